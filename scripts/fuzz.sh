#!/usr/bin/env bash
# Runs the libFuzzer targets built in $FUZZ_BUILD (default build-clang: make
# clang builds them with the rest).
#   scripts/fuzz.sh SECONDS   replay fuzz/corpus/T and fuzz/regressions/T for
#                             every target T, then fuzz each for SECONDS
# New inputs go to $FUZZ_BUILD/corpus/T (not into the repository); a crash
# leaves its input as $FUZZ_BUILD/crash-T-*: copy it to fuzz/regressions/T/
# once fixed. Prints executions per target.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$here/build-clang}
seconds=${1:-3}
status=0
for src in "$here"/fuzz/fuzz_*.c; do
  t=$(basename "$src" .c); t=${t#fuzz_}
  bin="$build/fuzz_$t"
  seeds=("$here/fuzz/corpus/$t")
  [ -d "$here/fuzz/regressions/$t" ] && seeds+=("$here/fuzz/regressions/$t")
  # Replay: every seed and every kept crash must pass.
  if ! "$bin" -runs=0 "${seeds[@]}" >"$build/replay-$t.log" 2>&1; then
    echo "fuzz: $t: a corpus or regression input fails (see $build/replay-$t.log)"; status=1; continue
  fi
  mkdir -p "$build/corpus/$t"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/crash-$t-" "$build/corpus/$t" "${seeds[@]}" >"$build/fuzz-$t.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$build/fuzz-$t.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $t: ${seconds}s, $runs executions, no finding"
  else
    echo "fuzz: $t: FINDING (see $build/fuzz-$t.log and $build/crash-$t-*)"; status=1
  fi
done
exit $status
