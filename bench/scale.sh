#!/usr/bin/env bash
# Scale benchmarks (issue 17 and issue 22's shift change), all in one run
# on this machine, against the release build:
#  1. bench/scale.mjs: organizations of 1k, 10k and 100k people (roles,
#     grants, groups, tasks): CSV import, creating people one by one, the
#     snapshot rebuild, list 100, search, get one, RSS;
#  2. bench/signin.mjs: password sign-ins/s as a ratio to bare libsodium,
#     and checks/s while sign-ins saturate the hashing threads;
#  3. bench/shiftchange.mjs: 100 workers signing in at once at 5 kiosks.
# Usage: bench/scale.sh [SIZES] [SECONDS]   e.g. bench/scale.sh 1000,10000 5
# (needs `make build`; runs niced, the machine may be shared).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-1000,10000,100000}
SECS=${2:-10}
BIN=build/gatehouse
[ -x "$BIN" ] || { echo "build first: make build"; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps.sh --test"; exit 1; }
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "== organizations of $SIZES people"
nice node bench/scale.mjs "$BIN" "$SIZES"
echo "== sign-ins and checks under sign-in load (${SECS}s each)"
nice node bench/signin.mjs "$BIN" "$SECS"
echo "== shift change: 100 workers at 5 kiosks at once"
nice node bench/shiftchange.mjs "$BIN" 100 5
