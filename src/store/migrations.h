/*
 * The schema, as numbered forward-only migrations. A migration is never
 * edited once released: changes are new entries at the end.
 */
#ifndef GH_MIGRATIONS_H
#define GH_MIGRATIONS_H

int gh_migrations_count(void);
/* SQL of migration v (1-based). */
const char *gh_migration_sql(int v);

#endif
