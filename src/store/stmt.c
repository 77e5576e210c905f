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
