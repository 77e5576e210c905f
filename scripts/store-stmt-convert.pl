#!/usr/bin/perl -pi
# Converts store code written against SQLite directly (the style before
# store/stmt.h) to the backend-neutral statement layer, for branches that
# added store code in parallel:   perl -pi scripts/store-stmt-convert.pl src/store/FILE.c
# Then build: what it cannot map (sqlite3_column_text without the cast,
# sqlite3_extended_errcode, sqlite3_mprintf, ...) fails to compile or
# check_layers, and is converted by hand (store/stmt.h lists the calls).
s{#include "store/sqlite_int.h"}{#include "store/stmt.h"}g;
s{\bsqlite3_stmt\b}{gh_stmt}g;
s{\bsqlite3_step\(}{gh_step(}g;
s{\bsqlite3_reset\(}{gh_reset(}g;
s{\bSQLITE_ROW\b}{GH_ROW}g;
s{\bSQLITE_DONE\b}{GH_DONE}g;
s{\bsqlite3_column_int64\(}{gh_col_i64(}g;
s{\bsqlite3_column_int\(}{gh_col_int(}g;
s{\bsqlite3_column_double\(}{gh_col_double(}g;
s{\bsqlite3_column_type\((\w+), (\w+)\) == SQLITE_NULL}{gh_col_is_null($1, $2)}g;
s{\bsqlite3_column_type\((\w+), (\w+)\) != SQLITE_NULL}{!gh_col_is_null($1, $2)}g;
s{\(const char \*\)sqlite3_column_text\(}{gh_col_text_or_null(}g;
s{\bsqlite3_column_bytes\(}{gh_col_bytes(}g;
s{\bsqlite3_changes\(gh_db_raw\((\w+)\)\)}{gh_db_changes($1)}g;
s{\bsqlite3_errmsg\(gh_db_raw\((\w+)\)\)}{gh_db_errmsg($1)}g;
s{\bsqlite3_bind_null\(}{gh_bind_null(}g;
s{\bsqlite3_bind_int64\(}{gh_bind_i64(}g;
s{\bsqlite3_bind_text\((\w+), (\w+), ([^,]+), -1, SQLITE_(?:TRANSIENT|STATIC)\)}{gh_bind_text($1, $2, $3)}g;
s{(\w+) == SQLITE_CONSTRAINT_UNIQUE \|\| \1 == SQLITE_CONSTRAINT_PRIMARYKEY}{$1 == GH_UNIQUE}g;
s{(\w+) == SQLITE_CONSTRAINT_PRIMARYKEY \|\| \1 == SQLITE_CONSTRAINT_UNIQUE}{$1 == GH_UNIQUE}g;
s{\bSQLITE_CONSTRAINT_UNIQUE\b}{GH_UNIQUE}g;
s{\bSQLITE_CONSTRAINT_PRIMARYKEY\b}{GH_UNIQUE}g;
s{\bSQLITE_CONSTRAINT_FOREIGNKEY\b}{GH_FOREIGN_KEY}g;
s{\((\w+) & 0xff\) == SQLITE_CONSTRAINT\b}{gh_step_refused($1)}g;
s{\b(\w+) == SQLITE_CONSTRAINT\b}{gh_step_refused($1)}g;
s{strstr\(gh_db_errmsg\((\w+)\), ("\w+")\)}{gh_db_conflict_names($1, $2)}g;
s{\bsqlite3_prepare_v2\(gh_db_raw\((\w+)\), (\w+), -1, &(\w+), NULL\) != SQLITE_OK}{!($3 = gh_stmt_prepare($1, $2))}g;
s{\bsqlite3_prepare_v2\(gh_db_raw\((\w+)\), (\w+), -1, &(\w+), NULL\) == SQLITE_OK}{($3 = gh_stmt_prepare($1, $2)) != NULL}g;
s{\bsqlite3_finalize\(}{gh_stmt_finalize(}g;
s{\bsqlite3_bind_double\(}{gh_bind_double(}g;
s{\bsqlite3_column_count\(}{gh_col_count(}g;
s{\bsqlite3_column_name\(}{gh_col_name(}g;
s{\bsqlite3_int64\b}{int64_t}g;
