#!/usr/bin/env bash
# gatehouse benchmarks, all on this machine in one run:
#  1. in-process permission checks (bench_authz) next to a reference loop;
#  2. POST /v1/check over HTTP keep-alive with wrk, next to nginx answering
#     the same JSON from memory, with the same wrk settings; then both again
#     with their request logs on (nginx's buffered access log).
# Usage: bench/run.sh [DURATION_SECONDS]   (needs `make build` first; the
# Makefile's `make bench` does both). Prints a summary and writes it to
# bench/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
BIN=build/gatehouse
[ -x "$BIN" ] || { echo "build first: make build"; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps.sh --test"; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx missing"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "== in-process checks"
build/bench_authz catalog/default.json | tee "$work/inproc.json"

echo "== HTTP: gatehouse POST /v1/check vs nginx static JSON (wrk -t2, -c64 and -c16, ${DUR}s each)"
GP=$(free_port); NP=$(free_port)
export GATEHOUSE_ADMIN_PASSWORD='bench password 1234'
"$BIN" init --db "$work/gh.db" --org bench --org-name "Plant One" --admin-email admin@bench.test >/dev/null
"$BIN" serve --db "$work/gh.db" --listen "127.0.0.1:$GP" --quiet 2>"$work/gh.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GP/healthz" >/dev/null && break; sleep 0.05; done
TOKEN=$(curl -sf "http://127.0.0.1:$GP/v1/auth/login" -H "Content-Type: application/json" -d "{\"email\":\"admin@bench.test\",\"password\":\"$GATEHOUSE_ADMIN_PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
KEY=$(curl -sf "http://127.0.0.1:$GP/v1/api-keys" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"name":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
USER_ID=$(curl -sf "http://127.0.0.1:$GP/v1/me" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
BODY="{\"user_id\":\"$USER_ID\",\"permission\":\"users.manage\"}"
echo "check answer: $(curl -sf "http://127.0.0.1:$GP/v1/check" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d "$BODY")"

cat > "$work/nginx.conf" <<NGX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NP;
    location = /v1/check {
      default_type application/json;
      return 200 '{"allowed":true,"reason":"granted_by_role"}';
    }
  }
}
NGX
"$NGINX" -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx.out" &
pids+=($!)
for _ in $(seq 100); do curl -sf -XPOST "http://127.0.0.1:$NP/v1/check" >/dev/null && break; sleep 0.05; done

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA

# The issue's setting (-c64), then fewer connections (-c16), where queueing
# on two cores no longer dominates the latency. Each pair runs back to back.
for c in 64 16; do
  wrk -t2 "-c$c" "-d${DUR}s" --latency -s "$work/post.lua" "http://127.0.0.1:$NP/v1/check" > "$work/nginx-c$c.txt"
  wrk -t2 "-c$c" "-d${DUR}s" --latency -s "$work/post.lua" "http://127.0.0.1:$GP/v1/check" > "$work/gh-c$c.txt"
done

# With request logs on (issue 17): nginx's access log buffered (64 KiB,
# flushed every second) next to gatehouse's default request log (one JSON
# line per request, through its writer thread), both to files.
kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()
sed -e "s|access_log off;|access_log $work/access.log combined buffer=64k flush=1s;|" "$work/nginx.conf" > "$work/nginx-log.conf"
"$NGINX" -c "$work/nginx-log.conf" -g 'daemon off;' 2>"$work/nginx.out" &
pids+=($!)
"$BIN" serve --db "$work/gh.db" --listen "127.0.0.1:$GP" 2>"$work/gh-requests.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GP/healthz" >/dev/null && curl -sf -XPOST "http://127.0.0.1:$NP/v1/check" >/dev/null && break; sleep 0.05; done
wrk -t2 -c16 "-d${DUR}s" --latency -s "$work/post.lua" "http://127.0.0.1:$NP/v1/check" > "$work/nginx-log-c16.txt"
wrk -t2 -c16 "-d${DUR}s" --latency -s "$work/post.lua" "http://127.0.0.1:$GP/v1/check" > "$work/gh-log-c16.txt"

python3 - "$work" <<'PY' | tee bench/results.txt
import json, re, sys, os
w = sys.argv[1]
def parse(p):
    t = open(p).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def ms(s):
        v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups(); v = float(v)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    p99 = ms(re.search(r"99%\s+(\S+)", t).group(1))
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    sock = re.search(r"Socket errors: (.*)", t)
    return rps, p99, int(errs.group(1)) if errs else 0, sock.group(1) if sock else "none"
for c in (64, 16):
    n = parse(os.path.join(w, f"nginx-c{c}.txt")); g = parse(os.path.join(w, f"gh-c{c}.txt"))
    print(f"wrk -t2 -c{c}")
    print(f"  nginx static       : {n[0]:10.0f} req/s  p99 {n[1]:.3f} ms  non-2xx {n[2]}  socket errors {n[3]}")
    print(f"  gatehouse /v1/check: {g[0]:10.0f} req/s  p99 {g[1]:.3f} ms  non-2xx {g[2]}  socket errors {g[3]}")
    print(f"  ratio gatehouse/nginx: {g[0]/n[0]:.2f} req/s, {g[1]/n[1]:.2f} p99")
n = parse(os.path.join(w, "nginx-log-c16.txt")); g = parse(os.path.join(w, "gh-log-c16.txt"))
print("wrk -t2 -c16, request logs on (nginx access_log buffer=64k; gatehouse default log)")
print(f"  nginx static       : {n[0]:10.0f} req/s  p99 {n[1]:.3f} ms")
print(f"  gatehouse /v1/check: {g[0]:10.0f} req/s  p99 {g[1]:.3f} ms")
print(f"  ratio gatehouse/nginx: {g[0]/n[0]:.2f} req/s, {g[1]/n[1]:.2f} p99")
inproc = json.loads(open(os.path.join(w, "inproc.json")).read().strip().splitlines()[-1])
a, cs, rc = inproc["allowed"], inproc["check_string"], inproc["reference_call"]
print(f"in-process, one thread, {inproc['users']} users:")
print(f"  gh_authz_allowed (by index)    : {a['per_second']/1e6:8.1f} M checks/s  {a['ns_per_call']:.2f} ns  ({a['ns_per_call']/rc['ns_per_iteration']:.2f} x an empty call)")
print(f"  gh_authz_check (by id strings) : {cs['per_second']/1e6:8.2f} M checks/s  {cs['ns_per_call']:.1f} ns")
print(f"  reference empty call           : {rc['per_second']/1e6:8.1f} M calls/s   {rc['ns_per_iteration']:.2f} ns")
print(f"  snapshot memory                : {inproc['snapshot_bytes']/1048576:.1f} MiB, {inproc['snapshot_bytes_per_user']:.0f} bytes per user")
print("raw:", json.dumps(inproc))
PY
