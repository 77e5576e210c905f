#!/usr/bin/env bash
# make test after its three builds (ASan, clang + fuzz targets, release):
# runs every phase and prints the wall time of each at the end.
#   unit tests (ctest, 4 at a time: they mostly wait for fsync)
#   fuzz smoke (replay + a few seconds per target) beside the crash test
#   API and browser tests
#   ThreadSanitizer unit and concurrency tests (its build runs, niced, in the
#   background from the start: it fills the cores the waiting phases leave)
#   the Debian package: built from the release objects, installed, checked
# Every phase runs even when an earlier one failed; the exit status is the
# first failure's.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
: "${TEST_BUILD:=build-test}" "${CLANG_BUILD:=build-clang}" "${TSAN_BUILD:=build-tsan}"
: "${CRASH_CYCLES:=30}" "${FUZZ_SMOKE_SECONDS:=3}" "${MAKE:=make}"
: "${TSAN_TESTS:?}"
logs=$(mktemp -d)
# Interrupted: stop the background build and fuzzers too.
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM
status=0
summary=()
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { # name start rc
  summary+=("$(printf '%-34s %7s s  %s' "$1" "$(since "$2")" "$([ "$3" -eq 0 ] && echo ok || echo FAILED)")")
  [ "$3" -eq 0 ] || [ "$status" -ne 0 ] || status=$3
}
run() { # name command...
  local name=$1 t0; shift
  t0=$(now)
  echo "== $name"
  "$@"
  record "$name" "$t0" $?
}

t_all=$(now)
# The ThreadSanitizer build, in the background from the start.
( t=$(now)
  cmake -S . -B "$TSAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DGH_TSAN=ON -DGH_TESTS=ON >/dev/null &&
    nice -n 5 cmake --build "$TSAN_BUILD" -j 2
  rc=$?
  since "$t" >"$logs/tsan-build.time"
  exit $rc ) >"$logs/tsan-build.log" 2>&1 &
tsan_pid=$!

run "unit tests (ASan)" bash -c "cd '$TEST_BUILD' && ctest --output-on-failure -j4"

# Fuzz smoke beside the crash test: one is CPU, the other mostly waits.
t0=$(now)
echo "== fuzz smoke + crash test (${CRASH_CYCLES} cycles)"
FUZZ_BUILD="$here/$CLANG_BUILD" scripts/fuzz.sh "$FUZZ_SMOKE_SECONDS" >"$logs/fuzz.log" 2>&1 &
fuzz_pid=$!
CRASH_CYCLES=$CRASH_CYCLES GATEHOUSE_BIN="$here/$TEST_BUILD/gatehouse" node --test tests/crash/
crash_rc=$?
record "crash test" "$t0" $crash_rc
wait $fuzz_pid
fuzz_rc=$?
cat "$logs/fuzz.log"
record "fuzz smoke (beside the crash test)" "$t0" $fuzz_rc

# API_TESTS narrows the step (checking this script); make test runs all.
browser=()
[ -d tests/browser ] && browser=(tests/browser/)
# shellcheck disable=SC2086 # a list of files
run "API and browser tests" env GATEHOUSE_BIN="$here/$TEST_BUILD/gatehouse" \
  node --test --test-concurrency=2 ${API_TESTS:-tests/api/ ${browser[*]}}

t0=$(now)
wait $tsan_pid
rc=$?
record "TSan build (waited for)" "$t0" $rc
[ $rc -eq 0 ] || tail -50 "$logs/tsan-build.log"
if [ $rc -eq 0 ]; then
  run "unit tests (TSan)" bash -c "cd '$TSAN_BUILD' && ctest --output-on-failure -j4"
  # shellcheck disable=SC2086 # a list of files
  run "concurrency tests (TSan)" env GATEHOUSE_BIN="$here/$TSAN_BUILD/gatehouse" \
    node --test --test-concurrency=1 $TSAN_TESTS
fi
summary+=("$(printf '%-34s %7s s' "(TSan build, in the background)" "$(cat "$logs/tsan-build.time" 2>/dev/null)")")

run "Debian package" "$MAKE" --no-print-directory deb-test

echo
echo "make test phases (wall time):"
printf '  %s\n' "${summary[@]}"
printf '  %-34s %7s s\n' "all phases after the builds" "$(since "$t_all")"
exit $status
