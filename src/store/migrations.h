/*
 * The schema, as numbered forward-only migrations. A migration is never
 * edited once released: changes are new entries at the end.
 */
#ifndef GH_MIGRATIONS_H
#define GH_MIGRATIONS_H

int gh_migrations_count(void);
/* SQL of migration v (1-based). */
const char *gh_migration_sql(int v);

/* The same migrations for PostgreSQL (store/pg_migrations.c): as many, in
 * the same order. */
int gh_pg_migrations_count(void);
const char *gh_pg_migration_sql(int v);

#endif
