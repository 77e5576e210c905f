#!/bin/sh
# A throw-away PostgreSQL cluster for tests and trials, from Debian's
# postgresql package: initdb + pg_ctl in a folder of its own, no system
# service, a Unix socket in that folder and no TCP unless asked.
#
#   scripts/pg-cluster.sh start DIR [--tcp PORT]   make DIR, start, print the URL
#   scripts/pg-cluster.sh url DIR                  print the URL again
#   scripts/pg-cluster.sh stop DIR                 stop the server, delete DIR
#
# The URL names a role and a database, both "gatehouse" (the role owns the
# database and may create databases; it is no superuser), with a random
# password, scram-sha-256 on every connection:
#   postgresql://gatehouse:PASSWORD@/gatehouse?host=DIR&port=5432
# initdb refuses to run as root: as root, DIR is given to the postgres user
# and every server command runs through runuser -u postgres (DIR's parents
# must let that user through: /tmp does). Otherwise the commands run as the
# caller. The cluster is tuned for tests, not for data worth keeping (fsync
# off). PGBIN overrides the server binaries' folder (default: the newest
# under /usr/lib/postgresql).
set -eu

usage() { echo "usage: $0 start|stop|url DIR [--tcp PORT]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
tcp_port=""
if [ $# -gt 0 ]; then
  [ "$1" = "--tcp" ] && [ $# -eq 2 ] || usage
  tcp_port=$2
  case $tcp_port in '' | *[!0-9]*) usage ;; esac
fi
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
marker=$dir/.gatehouse-pg-cluster

if [ -z "${PGBIN:-}" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "pg-cluster: no PostgreSQL server binaries (install Debian's postgresql package)" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

running() { [ -f "$dir/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case $cmd in
start)
  if [ -f "$marker" ] && running; then
    cat "$dir/url"
    exit 0
  fi
  if [ -e "$dir" ] && [ ! -f "$marker" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    echo "pg-cluster: $dir exists and is not an empty folder or a cluster of this script" >&2
    exit 1
  fi
  # A folder left by a crashed run: start over.
  [ -f "$marker" ] && rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  : >"$marker"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  if ! as_pg test -w "$dir"; then
    echo "pg-cluster: the postgres user cannot write $dir (its parent folders must let it through)" >&2
    rm -rf "$dir"
    exit 1
  fi
  port=${tcp_port:-5432}
  pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  su_pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$su_pass" >"$dir/pwfile"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pwfile"
  chmod 600 "$dir/pwfile"
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    echo "pg-cluster: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  }
  listen=""
  [ -n "$tcp_port" ] && listen=127.0.0.1
  cat >>"$dir/data/postgresql.conf" <<EOF
# scripts/pg-cluster.sh: a throw-away cluster for tests
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$dir'
max_connections = 40
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start >/dev/null || {
    echo "pg-cluster: the server did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
  }
  as_pg env PGPASSWORD="$su_pass" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h "$dir" -p "$port" -U postgres -d postgres >/dev/null <<EOF
CREATE ROLE gatehouse LOGIN CREATEDB PASSWORD '$pass';
CREATE DATABASE gatehouse OWNER gatehouse;
EOF
  rm -f "$dir/pwfile"
  printf 'postgresql://gatehouse:%s@/gatehouse?host=%s&port=%s\n' "$pass" "$dir" "$port" >"$dir/url"
  cat "$dir/url"
  ;;
url)
  [ -f "$marker" ] && [ -f "$dir/url" ] || { echo "pg-cluster: no cluster in $dir" >&2; exit 1; }
  cat "$dir/url"
  ;;
stop)
  [ -f "$marker" ] || { [ -e "$dir" ] && echo "pg-cluster: $dir is not a cluster of this script" >&2 && exit 1; exit 0; }
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 120 stop >/dev/null 2>&1 || {
      # Still up after the fast shutdown: the server's own pid, from its file.
      pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null || true
    }
  fi
  rm -rf "$dir"
  ;;
*) usage ;;
esac
