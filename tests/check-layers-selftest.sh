#!/bin/sh
# Shows that scripts/check-layers.sh fails where it should: a scratch tree
# with SQLite used outside the SQLite backend's files of src/store/ must be
# refused, naming each offending line, and the same tree without them
# passed. Run by ctest (check_layers_selftest).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/store" "$tmp/src/core" "$tmp/src/util" "$tmp/src/api" "$tmp/src/http"
# Allowed: the SQLite backend's own files, and comments that name SQLite.
printf '#include <sqlite3.h>\nstatic int f(void) { return sqlite3_sleep(1) == SQLITE_OK; }\n' > "$tmp/src/store/sqlite.c"
printf '#include "store/sqlite_int.h"\n' > "$tmp/src/store/migrations.c"
printf '/* not sqlite3_step: gh_step */\n#include "store/stmt.h"\n' > "$tmp/src/store/users.c"
out=$(sh "$here/scripts/check-layers.sh" "$tmp" 2>&1)
[ $? -eq 0 ] || { echo "a clean tree was refused:"; echo "$out"; exit 1; }
# Refused: each way a per-table file can reach SQLite.
printf '#include <sqlite3.h>\n' > "$tmp/src/store/a.c"
printf '#include "store/sqlite_int.h"\n' > "$tmp/src/store/b.c"
printf 'int g(sqlite3_stmt *st) { return sqlite3_step(st); }\n' > "$tmp/src/store/c.c"
printf 'int h(int s) { return s == SQLITE_CONSTRAINT_UNIQUE; }\n' > "$tmp/src/store/d.h"
printf 'void *k(sqlite3 *db);\n' > "$tmp/src/store/e.c"
out=$(sh "$here/scripts/check-layers.sh" "$tmp" 2>&1)
rc=$?
[ $rc -eq 1 ] || { echo "SQLite in per-table files passed (rc $rc):"; echo "$out"; exit 1; }
for f in a.c b.c c.c d.h e.c; do
    echo "$out" | grep -q "^src/store/$f:1:" || { echo "src/store/$f not named:"; echo "$out"; exit 1; }
done
echo "$out" | grep -q "src/store/\(sqlite\|migrations\|users\)\.c" && { echo "an allowed line was named:"; echo "$out"; exit 1; }
echo "check-layers selftest: ok"
