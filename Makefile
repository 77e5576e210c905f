# gatehouse: the two commands.
#   make run    install what is missing, build, serve on http://127.0.0.1:8080
#   make test   install what is missing, build with ASan+UBSan, run every test
# Extra arguments for serve: make run ARGS="--demo"

BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
ARGS       ?=

.PHONY: all run test deps deps-test build build-test unit api browser bench clean

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
	$(BUILD)/gatehouse serve $(ARGS)

build-test: deps-test
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGH_SANITIZE=ON -DGH_TESTS=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)

unit: build-test
	cd $(TEST_BUILD) && ctest --output-on-failure

api: build-test
	GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test --test-concurrency=2 tests/api/

browser: build-test
	GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test --test-concurrency=1 tests/browser/

test: build-test
	cd $(TEST_BUILD) && ctest --output-on-failure
	GATEHOUSE_BIN=$(CURDIR)/$(TEST_BUILD)/gatehouse node --test --test-concurrency=2 tests/api/ $(wildcard tests/browser)

bench: build
	bench/run.sh

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
