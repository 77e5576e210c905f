#!/usr/bin/env bash
# Installs what gatehouse needs to build, run and test, and nothing that is
# already there. Idempotent: a second run does nothing but check.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also the test tools (cmocka, chromium, wrk,
#                                    nginx, sqlite3 CLI, clang (and libFuzzer:
#                                    libclang-rt-14-dev) for the second
#                                    compiler's warnings, node packages for
#                                    tests/, Debian's PostgreSQL server for
#                                    the throw-away test clusters of
#                                    scripts/pg-cluster.sh (its own service
#                                    is not used); ThreadSanitizer comes
#                                    with gcc)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev
      libsqlite3-dev libsodium-dev libunistring-dev john-data scdoc
      libgnutls28-dev libsystemd-dev libcurl4-openssl-dev libcjose-dev
      liboath-dev libqrencode-dev liblasso3-dev libfido2-dev libcbor-dev libpq-dev)
if [ "$want_test" = 1 ]; then
  pkgs+=(libcmocka-dev chromium wrk nginx-light nodejs npm sqlite3 clang libclang-rt-14-dev openssl
         postgresql)
fi

missing=()
for p in "${pkgs[@]}"; do
  # nodejs/npm may come from elsewhere (a newer Node on PATH is fine).
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale or absent on a fresh machine.
  $sudo apt-get update -q >/dev/null || $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want_test" = 1 ]; then
  # Test tooling from the npm registry, pinned by tests/package-lock.json.
  if [ ! -d "$here/tests/node_modules/playwright-core" ] ||
     [ "$here/tests/package-lock.json" -nt "$here/tests/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in tests/"
    (cd "$here/tests" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
