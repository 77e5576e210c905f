# gatehouse: the two commands.
#   make run    install what is missing, build, serve on http://127.0.0.1:8080
#   make test   install what is missing, build with ASan+UBSan, run every test;
#               also the release build that make run serves,
#               also a clang build (warnings as errors) and the concurrency
#               tests under ThreadSanitizer (make tsan); scripts/test.sh runs
#               the phases and prints the time of each
#   make clang  compile everything with clang, warnings as errors (with the
#               fuzz instrumentation and ASan: the same build is make fuzz's)
#   make deb    build the Debian package into dist/ (scripts/make-deb.sh)
#   make deb-test  build it, install it with dpkg -i, check it, remove it
#   make tsan   build with ThreadSanitizer, run the unit tests and the
#               concurrency API tests ($(TSAN_TESTS)) under it
#   make fuzz   build the libFuzzer targets (fuzz/) with clang and run each
#               for FUZZ_SECONDS (default 60); make test runs each 3 s after
#               replaying its corpus and kept crashes (fuzz-smoke)
#   make torture  the crash test (tests/crash/) for 1,000 SIGKILL cycles;
#               make test runs it for 30
#   docs/RELIABILITY.md has the last results; bench/soak.sh is the soak
# Extra arguments for serve: make run ARGS="--demo"

BUILD      ?= build
TEST_BUILD ?= build-test
CLANG_BUILD ?= build-clang
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= $(CLANG_BUILD)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,fuzz_%,$(wildcard fuzz/fuzz_*.c))
CRASH_CYCLES ?= 30
# The API tests that exercise threads against each other: drain under load,
# concurrent guesses and sign-ins racing a lock, writes racing a demotion,
# simultaneous starts, the background writer against a locked database, the
# key cache during revocations, the connection reaper and budgets.
TSAN_TESTS ?= tests/api/service.test.mjs tests/api/freshness.test.mjs tests/api/edge.test.mjs \
             tests/api/signin-concurrency.test.mjs tests/api/escalation.test.mjs
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
ARGS       ?=

.PHONY: all run test deps deps-test build build-test clang tsan unit api browser bench clean deb deb-test \
        fuzz-build fuzz fuzz-smoke crash torture

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p var
	$(BUILD)/gatehouse serve --create $(ARGS)

build-test: deps-test
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGH_SANITIZE=ON -DGH_TESTS=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)

# One clang build serves the -Werror check and the fuzz targets (libFuzzer
# wants its instrumentation on every object): compiled once, not twice.
clang: deps-test
	@cmake -S . -B $(CLANG_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DGH_TESTS=ON -DGH_FUZZ=ON >/dev/null
	@cmake --build $(CLANG_BUILD) -j $(JOBS)

tsan: deps-test
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGH_TSAN=ON -DGH_TESTS=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && ctest --output-on-failure -j4
	GATEHOUSE_BIN=$(CURDIR)/$(TSAN_BUILD)/gatehouse node --test --test-concurrency=1 $(TSAN_TESTS)

fuzz-build: deps-test
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DGH_TESTS=ON -DGH_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)

fuzz: fuzz-build
	FUZZ_BUILD=$(CURDIR)/$(FUZZ_BUILD) scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	FUZZ_BUILD=$(CURDIR)/$(FUZZ_BUILD) scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

crash: build-test
	CRASH_CYCLES=$(CRASH_CYCLES) GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test tests/crash/

torture: build-test
	CRASH_CYCLES=1000 CRASH_PROGRESS=$${CRASH_PROGRESS:-$(CURDIR)/$(TEST_BUILD)/torture-progress.log} \
	  GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test tests/crash/

unit: build-test
	cd $(TEST_BUILD) && ctest --output-on-failure -j4

api: build-test
	GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test --test-concurrency=2 tests/api/

browser: build-test
	GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test --test-concurrency=1 tests/browser/

# Three builds (ASan, clang with the fuzz targets, release), then the
# phases of scripts/test.sh; the TSan build runs beside the first phases.
test: build-test clang build
	@TEST_BUILD=$(TEST_BUILD) CLANG_BUILD=$(CLANG_BUILD) TSAN_BUILD=$(TSAN_BUILD) CRASH_CYCLES=$(CRASH_CYCLES) \
	  FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) TSAN_TESTS="$(TSAN_TESTS)" scripts/test.sh

# The packaged binary (gatehouse_pkg: reads /etc/gatehouse/gatehouse.conf)
# links the release build's objects; only cli.c is compiled again.
deb: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target gatehouse_pkg manpage
	@scripts/make-deb.sh $(BUILD) dist gatehouse_pkg

deb-test: deb deps-test
	GATEHOUSE_DEB=$$(ls -t dist/gatehouse_*.deb | head -1) node --test tests/packaging/

bench: build
	bench/run.sh

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(CLANG_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) build-deb build-fuzz dist
