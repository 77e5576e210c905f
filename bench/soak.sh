#!/usr/bin/env bash
# The soak (not in make test): 10 minutes of mixed load (permission checks,
# sign-ins, user updates, kiosk check-ins) at about half of the capacity
# measured first, against the release build. Prints one JSON line per minute
# with errors, p99 per operation, the server's RSS and open descriptors.
# Goal: zero errors, flat RSS and descriptors. Results: docs/RELIABILITY.md.
# Usage: bench/soak.sh [DURATION_SECONDS]   (make build first)
set -euo pipefail
cd "$(dirname "$0")/.."
export DURATION_S=${1:-600}
BIN=${GATEHOUSE_BIN:-build/gatehouse}
[ -x "$BIN" ] || { echo "build first: make build"; exit 1; }
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export GATEHOUSE_ADMIN_PASSWORD='long enduring test phrase 1234'
"$BIN" init --db "$work/gh.db" --org soak --org-name Soak --admin-email admin@soak.test >/dev/null 2>"$work/init.log" || { cat "$work/init.log"; exit 1; }
"$BIN" serve --db "$work/gh.db" --listen "127.0.0.1:$PORT" --quiet 2>"$work/server.log" &
pid=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
node bench/soak.mjs "http://127.0.0.1:$PORT" "$pid" "$GATEHOUSE_ADMIN_PASSWORD" "$BIN" "$work/gh.db" | tee "$work/soak.jsonl"
kill "$pid"; wait "$pid"; rc=$?; pid=
echo "server exit code: $rc"
grep -v '"level":"info"' "$work/server.log" | tail -5 || true
