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

/* The search key of an audit event `a` (SQLite, with gatehouse's
 * gh_search_key): its action, its actor's name and its target's name as
 * they are when the event is written (a deleted person's from the
 * tombstone, a deleted group or role from the name the event recorded).
 * Migration 28 fills audit_search with it and store/audit.c writes it with
 * each event: changing it needs a new migration that rebuilds the index. */
#define GH_AUDIT_DETAIL_TEXT(key) "CASE WHEN json_type(a.detail, '$." key "') = 'text' THEN json_extract(a.detail, '$." key "') END"
#define GH_AUDIT_USER_NAME(idcol) \
    "coalesce((SELECT name FROM users WHERE id = " idcol " AND org_id = a.org_id)," \
    " (SELECT name FROM user_tombstones WHERE id = " idcol " AND org_id = a.org_id))"
#define GH_AUDIT_SEARCH_KEY \
    "gh_search_key(a.action," \
    " CASE a.actor_type WHEN 'user' THEN " GH_AUDIT_USER_NAME("a.actor_id") \
    " WHEN 'api_key' THEN (SELECT name FROM api_keys WHERE id = a.actor_id AND org_id = a.org_id)" \
    " ELSE a.actor_type END," \
    " CASE a.target_type WHEN 'user' THEN coalesce(" GH_AUDIT_USER_NAME("a.target_id") ", " GH_AUDIT_DETAIL_TEXT("user_name") ")" \
    " WHEN 'group' THEN coalesce((SELECT name FROM groups WHERE id = a.target_id AND org_id = a.org_id), " \
    GH_AUDIT_DETAIL_TEXT("group_name") ", " GH_AUDIT_DETAIL_TEXT("name") ")" \
    " WHEN 'role' THEN coalesce((SELECT name FROM roles WHERE key = a.target_id AND org_id = a.org_id), " \
    GH_AUDIT_DETAIL_TEXT("name") ")" \
    " WHEN 'api_key' THEN coalesce((SELECT name FROM api_keys WHERE id = a.target_id AND org_id = a.org_id), " \
    GH_AUDIT_DETAIL_TEXT("name") ")" \
    " WHEN 'org' THEN (SELECT name FROM orgs WHERE id = a.target_id AND id = a.org_id)" \
    " ELSE " GH_AUDIT_DETAIL_TEXT("name") " END)"

#endif
