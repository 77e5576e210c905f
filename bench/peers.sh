#!/usr/bin/env bash
# gatehouse next to Glewlwyd (Debian's `glewlwyd` package, SQLite backend)
# in one run on this machine: create, list 100, get one and RSS, printed as
# ratios (bench/peers.mjs). Issue 17's goals: create >= 50x, list 100 >= 100x,
# get one >= 50x.
# Usage: bench/peers.sh [PEOPLE] [SECONDS]   e.g. bench/peers.sh 10000 5
# (needs `make build`; runs niced, the machine may be shared).
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-10000}
SECS=${2:-5}
BIN=build/gatehouse
[ -x "$BIN" ] || { echo "build first: make build"; exit 1; }
command -v glewlwyd >/dev/null || { echo "glewlwyd missing: apt-get install glewlwyd"; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps.sh --test"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install sqlite3"; exit 1; }
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
nice node bench/peers.mjs "$BIN" "$PEOPLE" "$SECS"
