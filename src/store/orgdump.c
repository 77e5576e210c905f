/* One organization's rows out and in (see orgdump.h). */
#include "store/orgdump.h"
#include "store/stmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"

typedef struct dump_table {
    const char *name;
    const char *where; /* ?1 is the org id */
    const char *order;
    bool new_seq;      /* the server-wide seq column is not kept */
} dump_table;

#define BY_ORG "org_id = ?1"
static const dump_table tables[] = {
    {"orgs", "id = ?1", "id", false},
    {"roles", BY_ORG, "key", false},
    {"users", BY_ORG, "id", false},
    {"groups", BY_ORG, "id", false},
    {"group_members", BY_ORG, "group_id, user_id", false},
    {"views", BY_ORG, "id", false},
    {"view_shares", BY_ORG, "view_id, group_id", false},
    {"api_keys", BY_ORG, "id", false},
    {"invites", BY_ORG, "id", false},
    {"kiosk_devices", BY_ORG, "id", false},
    {"tasks", BY_ORG, "id", false},
    {"task_assignees", "task_id IN (SELECT id FROM tasks WHERE org_id = ?1)", "task_id, user_id", false},
    {"screens", BY_ORG, "id", false},
    {"screen_tasks", "screen_id IN (SELECT id FROM screens WHERE org_id = ?1)", "screen_id, task_id", false},
    {"screen_members", "screen_id IN (SELECT id FROM screens WHERE org_id = ?1)", "screen_id, user_id", false},
    {"order_assignees", BY_ORG, "order_ref, user_id", false},
    {"user_tombstones", BY_ORG, "id", false},
    {"org_mfa", BY_ORG, "org_id", false},
    {"mfa_factors", BY_ORG, "id", false},
    {"mfa_recovery_codes", BY_ORG, "user_id, code_hash", false},
    {"scim_users", BY_ORG, "user_id", false},
    {"esign_accounts", BY_ORG, "user_id", false},
    {"signatures", BY_ORG, "seq", false},
    {"signature_heads", BY_ORG, "org_id", false},
    {"webauthn_credentials", BY_ORG, "id", false},
    {"checkins", BY_ORG, "id", false},
    {"webhooks", BY_ORG, "id", false},
    {"webhook_deliveries", BY_ORG, "seq", true},
    {"saml_sp_keys", BY_ORG, "org_id", false},
    {"org_sso", BY_ORG, "org_id", false},
    {"sso_domains", BY_ORG, "domain", false},
    {"identities", BY_ORG, "id", false},
    {"activity", BY_ORG, "seq", true},
    {"audit", BY_ORG, "seq", true},
};
#define NTABLES (sizeof tables / sizeof tables[0])

static const dump_table *find_table(const char *name)
{
    for (size_t i = 0; i < NTABLES; i++)
        if (strcmp(tables[i].name, name) == 0) return &tables[i];
    return NULL;
}

static json_t *column_value(gh_stmt *st, int i)
{
    switch (gh_col_type(st, i)) {
    case GH_COL_NULL: return json_null();
    case GH_COL_INT: return json_integer((json_int_t)gh_col_i64(st, i));
    case GH_COL_REAL: return json_real(gh_col_double(st, i));
    case GH_COL_TEXT: {
        const char *t = gh_col_text(st, i);
        return json_stringn(t, gh_col_bytes(st, i));
    }
    default: return NULL; /* no table stores blobs */
    }
}

int gh_store_org_dump(gh_db *db, const char *org_id, int (*emit)(const char *table, json_t *row, void *arg),
                      void *arg, char *err, size_t errlen)
{
    gh_stmt *st = NULL;
    json_t *row = NULL;
    int rc = -1;
    for (size_t t = 0; t < NTABLES; t++) {
        char sql[512];
        int n = snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE %s ORDER BY %s", tables[t].name, tables[t].where,
                         tables[t].order);
        if (n < 0 || (size_t)n >= sizeof sql) { snprintf(err, errlen, "query too long"); goto out; }
        if (!(st = gh_stmt_prepare(db, sql))) goto sqlerr;
        gh_bind_text(st, 1, org_id);
        int s;
        while ((s = gh_step(st)) == GH_ROW) {
            if (!(row = json_object())) { snprintf(err, errlen, "out of memory"); goto out; }
            for (int i = 0; i < gh_col_count(st); i++) {
                const char *col = gh_col_name(st, i);
                if (tables[t].new_seq && strcmp(col, "seq") == 0) continue;
                json_t *v = column_value(st, i);
                if (!v || json_object_set_new(row, col, v) != 0) {
                    snprintf(err, errlen, "cannot export %s.%s", tables[t].name, col);
                    goto out;
                }
            }
            if (emit(tables[t].name, row, arg) != 0) { snprintf(err, errlen, "export stopped"); goto out; }
            json_decref(row);
            row = NULL;
        }
        if (s != GH_DONE) goto sqlerr;
        gh_stmt_finalize(st);
        st = NULL;
    }
    rc = 0;
    goto out;
sqlerr:
    snprintf(err, errlen, "export failed: %s", gh_db_errmsg(db));
out:
    json_decref(row);
    gh_stmt_finalize(st);
    return rc;
}

static bool plain_ident(const char *s)
{
    if (!*s || strlen(s) > 64) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9'))) return false;
    return true;
}

/* References that the schema alone does not keep inside one organization
 * (plain foreign keys to a parent's id): each must name a row of the org
 * being imported, so a crafted file cannot link to another org's rows. */
static const struct {
    const char *table, *column, *parent;
} refs[] = {
    {"task_assignees", "task_id", "tasks"},   {"task_assignees", "user_id", "users"},
    {"screen_tasks", "screen_id", "screens"}, {"screen_tasks", "task_id", "tasks"},
    {"screen_members", "screen_id", "screens"}, {"screen_members", "user_id", "users"},
    {"checkins", "task_id", "tasks"},         {"views", "owner_id", "users"},
    {"invites", "invited_by", "users"},       {"invites", "user_id", "users"},
    {"order_assignees", "user_id", "users"},   {"scim_users", "user_id", "users"},
};

static int refs_in_org(gh_db *db, const char *org_id, const char *table, json_t *row, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        if (strcmp(refs[i].table, table) != 0) continue;
        json_t *v = json_object_get(row, refs[i].column);
        if (!v || json_is_null(v)) continue;
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ?1 AND org_id = ?2", refs[i].parent);
        gh_stmt *st = NULL;
        bool ok = json_is_string(v) && (st = gh_stmt_prepare(db, sql)) != NULL;
        if (ok) {
            gh_bind_text(st, 1, json_string_value(v));
            gh_bind_text(st, 2, org_id);
            ok = gh_step(st) == GH_ROW;
        }
        gh_stmt_finalize(st);
        if (!ok) {
            snprintf(err, errlen, "%s.%s names a %s row that is not this organization's", table, refs[i].column,
                     refs[i].parent);
            return -1;
        }
    }
    return 0;
}

int gh_store_org_load(gh_db *db, const char *org_id, const char *table, json_t *row, char *err, size_t errlen)
{
    gh_stmt *st = NULL;
    int rc = -1;
    const dump_table *t = find_table(table);
    if (!t || !json_is_object(row) || json_object_size(row) == 0 || json_object_size(row) > 64) {
        snprintf(err, errlen, "unknown table or malformed row '%.64s'", table);
        return -1;
    }
    if (refs_in_org(db, org_id, t->name, row, err, errlen) != 0) return -1;
    char sql[4096], vals[512];
    size_t sl = 0, vl = 0;
    int n = snprintf(sql, sizeof sql, "INSERT INTO %s (", t->name);
    if (n < 0) return -1;
    sl = (size_t)n;
    const char *col;
    json_t *v;
    int k = 0;
    json_object_foreach(row, col, v) {
        if (!plain_ident(col) || (t->new_seq && strcmp(col, "seq") == 0)) {
            snprintf(err, errlen, "%s: unexpected column '%.64s'", t->name, col);
            return -1;
        }
        n = snprintf(sql + sl, sizeof sql - sl, "%s%s", k ? ", " : "", col);
        if (n < 0 || (size_t)n >= sizeof sql - sl) { snprintf(err, errlen, "%s: row too wide", t->name); return -1; }
        sl += (size_t)n;
        n = snprintf(vals + vl, sizeof vals - vl, "%s?%d", k ? ", " : "", k + 1);
        if (n < 0 || (size_t)n >= sizeof vals - vl) { snprintf(err, errlen, "%s: row too wide", t->name); return -1; }
        vl += (size_t)n;
        k++;
    }
    n = snprintf(sql + sl, sizeof sql - sl, ") VALUES (%s)", vals);
    if (n < 0 || (size_t)n >= sizeof sql - sl) { snprintf(err, errlen, "%s: row too wide", t->name); return -1; }
    if (!(st = gh_stmt_prepare(db, sql))) {
        snprintf(err, errlen, "%s: %s", t->name, gh_db_errmsg(db));
        goto out;
    }
    k = 0;
    json_object_foreach(row, col, v) {
        k++;
        if (json_is_null(v)) gh_bind_null(st, k);
        else if (json_is_integer(v)) gh_bind_i64(st, k, (int64_t)json_integer_value(v));
        else if (json_is_real(v)) gh_bind_double(st, k, json_real_value(v));
        else if (json_is_string(v)) gh_bind_textn(st, k, json_string_value(v), json_string_length(v));
        else { snprintf(err, errlen, "%s.%s: unexpected value", t->name, col); goto out; }
    }
    int s = gh_step(st);
    if (s != GH_DONE) {
        json_t *id = json_object_get(row, "id");
        if (s == GH_UNIQUE)
            snprintf(err, errlen, "%s %s collides with a row already in this database (%s)", t->name,
                     json_is_string(id) ? json_string_value(id) : "row", gh_db_errmsg(db));
        else
            snprintf(err, errlen, "%s: %s", t->name, gh_db_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    gh_stmt_finalize(st);
    return rc;
}
