/* The store SQL (through store/stmt.h) of store/changes.h. */
#include "store/changes.h"
#include "store/stmt.h"

#include <string.h>

gh_status gh_store_changes_since(gh_db *db, int64_t from, int64_t to,
                                 void (*fn)(gh_change_kind kind, const char *org_id, const char *id,
                                            void *arg),
                                 void *arg, int64_t *gens, gh_err *err)
{
    *gens = 0;
    PREP(db, st, "SELECT gen, kind, org_id, id FROM authz_changes WHERE gen > ?1 AND gen <= ?2 ORDER BY gen", err);
    gh_bind_i64(st, 1, from);
    gh_bind_i64(st, 2, to);
    int s;
    int64_t last = from;
    while ((s = gh_step(st)) == GH_ROW) {
        int64_t g = gh_col_i64(st, 0);
        if (g != last) {
            (*gens)++;
            last = g;
        }
        const char *kind = gh_col_text(st, 1);
        fn(strcmp(kind, "role") == 0 ? GH_CHANGE_ROLE : GH_CHANGE_USER, gh_col_text(st, 2),
           gh_col_text(st, 3), arg);
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "changes since");
}

gh_status gh_store_changes_prune(gh_db *db, int64_t upto, gh_err *err)
{
    PREP(db, st, "DELETE FROM authz_changes WHERE gen <= ?1", err);
    gh_bind_i64(st, 1, upto);
    STEP_DONE(db, st, err, "changes prune");
    return GH_OK;
}
