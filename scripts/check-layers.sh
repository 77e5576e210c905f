#!/bin/sh
# The layer rules that the compiler cannot see (docs/ARCHITECTURE.md):
#   - only src/store/ includes a database client header (sqlite3.h,
#     libpq-fe.h) or the store's private headers (store/sqlite_int.h,
#     store/backend.h, store/stmt.h, store/pg.h);
#   - inside src/store/, only the SQLite backend (sqlite.c, sqlite_int.h,
#     iofault.c/h, migrations.c) includes sqlite3.h or store/sqlite_int.h or
#     names a sqlite3_ or SQLITE_ symbol;
#   - src/store/ includes nothing from core/, api/ or http/;
#   - src/util/ includes nothing from store/, core/, api/ or http/;
#   - handlers (src/api/) and the HTTP layer call core, never gh_store_*.
# Run by ctest (check_layers); prints each offending line and exits 1.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
bad=0
report() { echo "layer rule broken ($1):"; echo "$2"; bad=1; }

out=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](sqlite3\.h|libpq-fe\.h|store/sqlite_int\.h|store/backend\.h|store/stmt\.h|store/pg\.h)[>"]' src \
      --include='*.c' --include='*.h' | grep -v '^src/store/')
[ -n "$out" ] && report "database headers outside src/store/" "$out"

# Inside src/store/, only the SQLite backend's own files see SQLite: the
# per-table files speak the neutral statement layer (store/stmt.h), so a
# second backend is one more backend file. Comment lines are skipped.
sqlite_files='^src/store/(sqlite\.c|sqlite_int\.h|iofault\.[ch]|migrations\.c):'
out=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](sqlite3\.h|store/sqlite_int\.h)[>"]|\bsqlite3_[a-z0-9_]+|\bsqlite3\b[[:space:]]*\*|\bSQLITE_[A-Z0-9_]+' \
      src/store --include='*.c' --include='*.h' | grep -vE "$sqlite_files" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')
[ -n "$out" ] && report "SQLite outside the SQLite backend's files in src/store/ (use store/stmt.h)" "$out"

out=$(grep -rnE '#[[:space:]]*include[[:space:]]*"(core|api|http)/' src/store --include='*.c' --include='*.h')
[ -n "$out" ] && report "src/store/ includes a header from above" "$out"

out=$(grep -rnE '#[[:space:]]*include[[:space:]]*"(store|core|api|http)/' src/util --include='*.c' --include='*.h')
[ -n "$out" ] && report "src/util/ includes a header from above" "$out"

out=$(grep -rnE '\bgh_store_[a-z_]+\(|#[[:space:]]*include[[:space:]]*"store/' src/api src/http --include='*.c' --include='*.h')
[ -n "$out" ] && report "api/ or http/ reaches the store (call core instead)" "$out"

[ $bad -eq 0 ] && echo "layers: ok"
exit $bad
