/* The statement layer's shared row loops (store/stmt.h). */
#include "store/stmt.h"

json_t *gh_sql_json_rows(gh_db *db, gh_stmt *st, json_t *(*row)(gh_stmt *, void *), void *arg, gh_err *err,
                         const char *what)
{
    json_t *items = json_array();
    if (!items) {
        gh_reset(st);
        gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
        return NULL;
    }
    int s;
    bool oom = false;
    while ((s = gh_step(st)) == GH_ROW) {
        json_t *it = row(st, arg);
        if (!it || json_array_append_new(items, it) != 0) {
            oom = true;
            break;
        }
    }
    gh_reset(st);
    if (oom || s != GH_DONE) {
        json_decref(items);
        if (oom) gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
        else gh_db_fail(db, err, what);
        return NULL;
    }
    return items;
}

gh_status gh_sql_plan(gh_db *db, const char *q, void (*bind)(gh_stmt *, void *), void *arg, char *out, size_t cap,
                      gh_err *err)
{
    gh_status rc = GH_OK;
    gh_stmt *st = NULL;
    char *sql = NULL;
    if (cap) out[0] = '\0';
    const gh_store_ops *ops = gh_db_ops(db);
    size_t pl = strlen(ops->plan_prefix), ql = strlen(q);
    if (pl > SIZE_MAX - 1 - ql || !(sql = malloc(pl + ql + 1))) {
        rc = gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
        goto done;
    }
    memcpy(sql, ops->plan_prefix, pl);
    memcpy(sql + pl, q, ql + 1);
    if (!(st = gh_stmt_prepare(db, sql))) {
        rc = gh_db_fail(db, err, "plan");
        goto done;
    }
    bind(st, arg);
    size_t n = 0;
    while (gh_step(st) == GH_ROW) {
        int w = snprintf(out + n, cap - n, "%s\n", gh_col_text(st, ops->plan_column));
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
done:
    gh_stmt_finalize(st);
    free(sql);
    return rc;
}

bool gh_sql_search_phrase(const char *q, char *fold, size_t fcap, size_t *foldn, char *phrase, size_t pcap)
{
    *foldn = q && *q ? gh_search_fold(q, fold, fcap) : 0;
    if (pcap < 3 || *foldn == 0 || gh_search_chars(fold) < 3) return false;
    size_t n = 0;
    phrase[n++] = '"';
    for (size_t i = 0; i < *foldn && n + 3 < pcap; i++) {
        if (fold[i] == '"') phrase[n++] = '"';
        phrase[n++] = fold[i];
    }
    phrase[n++] = '"';
    phrase[n] = '\0';
    return true;
}

int64_t gh_sql_search_count(gh_db *db, const char *sql, const char *org_id, const char *phrase, int64_t upto)
{
    gh_stmt *st = gh_db_stmt(db, sql);
    if (!st) return -1;
    gh_bind_text(st, 1, phrase);
    gh_bind_text(st, 2, org_id);
    gh_bind_i64(st, 3, upto);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}
