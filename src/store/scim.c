/* store/scim.h: SCIM attributes kept beside a user. */
#include "store/scim.h"
#include "store/stmt.h"

#include <string.h>

#define SCIM_COLS "user_id, external_id, title, given_name, family_name, employee_number, department, manager_id"

static void scim_row(gh_stmt *st, gh_user_scim *s)
{
    memset(s, 0, sizeof *s);
    CP(s->external_id, 1); CP(s->title, 2); CP(s->given_name, 3); CP(s->family_name, 4);
    CP(s->employee_number, 5); CP(s->department, 6); CP(s->manager_id, 7);
}

gh_status gh_store_user_scim_get(gh_db *db, const char *org_id, const char *user_id, gh_user_scim *out, gh_err *err)
{
    memset(out, 0, sizeof *out);
    PREP(db, st, "SELECT " SCIM_COLS " FROM scim_users WHERE org_id = ?1 AND user_id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    int s = gh_step(st);
    if (s == GH_ROW) scim_row(st, out);
    gh_reset(st);
    if (s == GH_ROW || s == GH_DONE) return GH_OK;
    return gh_db_fail(db, err, "scim user get");
}

static bool scim_empty(const gh_user_scim *s)
{
    return !s->external_id[0] && !s->title[0] && !s->given_name[0] && !s->family_name[0] && !s->employee_number[0] &&
           !s->department[0] && !s->manager_id[0];
}

gh_status gh_store_user_scim_put(gh_db *db, const char *org_id, const char *user_id, const gh_user_scim *s,
                                 gh_err *err)
{
    if (scim_empty(s)) {
        PREP(db, st, "DELETE FROM scim_users WHERE org_id = ?1 AND user_id = ?2", err);
        gh_bind_text(st, 1, org_id);
        gh_bind_text(st, 2, user_id);
        int r = gh_step(st);
        gh_reset(st);
        return r == GH_DONE ? GH_OK : gh_db_fail(db, err, "scim user delete");
    }
    PREP(db, st, "INSERT INTO scim_users (org_id, " SCIM_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"
                 " ON CONFLICT (user_id) DO UPDATE SET org_id = excluded.org_id, external_id = excluded.external_id,"
                 " title = excluded.title, given_name = excluded.given_name, family_name = excluded.family_name,"
                 " employee_number = excluded.employee_number, department = excluded.department,"
                 " manager_id = excluded.manager_id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, s->external_id);
    gh_bind_text(st, 4, s->title);
    gh_bind_text(st, 5, s->given_name);
    gh_bind_text(st, 6, s->family_name);
    gh_bind_text(st, 7, s->employee_number);
    gh_bind_text(st, 8, s->department);
    gh_bind_text(st, 9, s->manager_id);
    int r = gh_step(st);
    gh_reset(st);
    return r == GH_DONE ? GH_OK : gh_db_fail(db, err, "scim user write");
}

gh_status gh_store_user_scim_each(gh_db *db, const char *org_id,
                                  void (*fn)(const char *user_id, const gh_user_scim *s, void *arg), void *arg,
                                  gh_err *err)
{
    PREP(db, st, "SELECT " SCIM_COLS " FROM scim_users WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        gh_user_scim row;
        scim_row(st, &row);
        char uid[GH_ID_MAX];
        gh_strlcpy(uid, gh_col_text(st, 0), sizeof uid);
        fn(uid, &row, arg);
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "scim user list");
}
