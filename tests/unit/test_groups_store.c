/*
 * Unit tests for the groups and views storage (src/store/groups.c) and the
 * schema behind it (migration 3): membership and shares cannot cross an
 * organization even if a caller forgot to check (composite foreign keys),
 * deletes cascade as documented, a deleted owner's personal views go and
 * shared ones stay with owner_id NULL; and the keyset cursor helper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dbfixture.h"

#include "store/groups.h"
#include "util/cursor.h"

typedef struct fx {
    gh_fx_db d;
    gh_db *db; /* d.db */
    gh_err err;
} fx;

static void add_group(gh_db *db, const char *org, const char *id, const char *name)
{
    gh_group g = {0};
    gh_err e = {0};
    gh_strlcpy(g.id, id, sizeof g.id);
    gh_strlcpy(g.org_id, org, sizeof g.org_id);
    gh_strlcpy(g.name, name, sizeof g.name);
    g.created_at = g.updated_at = 1;
    assert_int_equal(gh_store_group_insert(db, &g, &e), GH_OK);
}

static void add_view(gh_db *db, const char *org, const char *id, const char *owner)
{
    gh_view v = {0};
    gh_err e = {0};
    gh_strlcpy(v.id, id, sizeof v.id);
    gh_strlcpy(v.org_id, org, sizeof v.org_id);
    gh_strlcpy(v.owner_id, owner, sizeof v.owner_id);
    gh_strlcpy(v.kind, "dashboard", sizeof v.kind);
    gh_strlcpy(v.name, id, sizeof v.name);
    v.config = (char *)"{\"a\":1}";
    v.created_at = v.updated_at = 1;
    assert_int_equal(gh_store_view_insert(db, &v, &e), GH_OK);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    gh_fx_db_open(&f->d, "groups");
    f->db = f->d.db;
    gh_fx_add_org(f->db, "org_a", "a");
    gh_fx_add_org(f->db, "org_b", "b");
    gh_fx_add_user(f->db, "org_a", "usr_a1", NULL, NULL, NULL);
    gh_fx_add_user(f->db, "org_a", "usr_a2", NULL, NULL, NULL);
    gh_fx_add_user(f->db, "org_b", "usr_b1", NULL, NULL, NULL);
    add_group(f->db, "org_a", "grp_a", "Assembly");
    add_group(f->db, "org_b", "grp_b", "Assembly");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    gh_err_clear(&f->err);
    gh_fx_db_remove(&f->d);
    free(f);
    return 0;
}

static void count_visit(const gh_group *g, void *arg) { (void)g; (*(int *)arg)++; }

static void names_are_unique_per_org_ignoring_case(void **state)
{
    fx *f = *state;
    gh_group g = {0};
    gh_strlcpy(g.id, "grp_a2", sizeof g.id);
    gh_strlcpy(g.org_id, "org_a", sizeof g.org_id);
    gh_strlcpy(g.name, "ASSEMBLY", sizeof g.name);
    assert_int_equal(gh_store_group_insert(f->db, &g, &f->err), GH_E_CONFLICT);
    assert_string_equal(f->err.code, "group_name_taken");
    gh_strlcpy(g.name, "Welding", sizeof g.name);
    gh_err_clear(&f->err);
    assert_int_equal(gh_store_group_insert(f->db, &g, &f->err), GH_OK);
}

static void membership_cannot_cross_orgs(void **state)
{
    fx *f = *state;
    bool changed = false;
    /* A user of org b into a group of org a, filed under either org. */
    assert_int_not_equal(gh_store_group_member_add(f->db, "org_a", "grp_a", "usr_b1", NULL, 1, &changed, &f->err), GH_OK);
    gh_err_clear(&f->err);
    assert_int_not_equal(gh_store_group_member_add(f->db, "org_b", "grp_a", "usr_b1", NULL, 1, &changed, &f->err), GH_OK);
    gh_err_clear(&f->err);
    assert_int_equal(gh_store_group_member_add(f->db, "org_a", "grp_a", "usr_a1", NULL, 1, &changed, &f->err), GH_OK);
    assert_true(changed);
    assert_int_equal(gh_store_group_member_add(f->db, "org_a", "grp_a", "usr_a1", NULL, 2, &changed, &f->err), GH_OK);
    assert_false(changed);
    /* Reads are scoped too: org b does not see org a's group or membership. */
    gh_group g;
    assert_int_equal(gh_store_group_get(f->db, "org_b", "grp_a", NULL, &g, &f->err), GH_E_NOT_FOUND);
    gh_err_clear(&f->err);
    int n = 0;
    assert_int_equal(gh_store_groups_of_user(f->db, "org_b", "usr_a1", count_visit, &n, &f->err), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_store_groups_of_user(f->db, "org_a", "usr_a1", count_visit, &n, &f->err), GH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(gh_store_group_get(f->db, "org_a", "grp_a", "usr_a1", &g, &f->err), GH_OK);
    assert_int_equal(g.member_count, 1);
    assert_true(g.is_member);
}

static void shares_cannot_cross_orgs(void **state)
{
    fx *f = *state;
    add_view(f->db, "org_a", "view_a", "usr_a1");
    assert_int_not_equal(gh_store_view_share_add(f->db, "org_a", "view_a", "grp_b", NULL, 1, &f->err), GH_OK);
    gh_err_clear(&f->err);
    assert_int_not_equal(gh_store_view_share_add(f->db, "org_b", "view_a", "grp_b", NULL, 1, &f->err), GH_OK);
    gh_err_clear(&f->err);
    assert_int_equal(gh_store_view_share_add(f->db, "org_a", "view_a", "grp_a", NULL, 1, &f->err), GH_OK);
    gh_view v;
    assert_int_equal(gh_store_view_get(f->db, "org_b", "view_a", &v, &f->err), GH_E_NOT_FOUND);
    gh_err_clear(&f->err);
}

static void visit_view(const gh_view *v, void *arg) { (void)v; (*(int *)arg)++; }

static void deletes_cascade(void **state)
{
    fx *f = *state;
    bool changed;
    add_view(f->db, "org_a", "view_personal", "usr_a1");
    add_view(f->db, "org_a", "view_shared", "usr_a1");
    add_view(f->db, "org_a", "view_other", "usr_a2");
    assert_int_equal(gh_store_view_share_add(f->db, "org_a", "view_shared", "grp_a", NULL, 1, &f->err), GH_OK);
    assert_int_equal(gh_store_view_share_add(f->db, "org_a", "view_other", "grp_a", NULL, 1, &f->err), GH_OK);
    assert_int_equal(gh_store_group_member_add(f->db, "org_a", "grp_a", "usr_a2", NULL, 1, &changed, &f->err), GH_OK);
    assert_int_equal(gh_store_group_share_count(f->db, "org_a", "grp_a"), 2);

    /* The owner goes: the personal view with them, the shared one stays ownerless. */
    assert_int_equal(gh_store_user_delete(f->db, "org_a", "usr_a1", &f->err), GH_OK);
    gh_view v;
    assert_int_equal(gh_store_view_get(f->db, "org_a", "view_personal", &v, &f->err), GH_E_NOT_FOUND);
    gh_err_clear(&f->err);
    assert_int_equal(gh_store_view_get(f->db, "org_a", "view_shared", &v, &f->err), GH_OK);
    assert_string_equal(v.owner_id, "");
    assert_string_equal(v.config, "{\"a\":1}");
    gh_view_release(&v);
    int n = 0;
    gh_view_filter all = {.all = true, .limit = 10};
    assert_int_equal(gh_store_view_list(f->db, "org_a", &all, visit_view, &n, &f->err), GH_OK);
    assert_int_equal(n, 2);
    /* usr_a2 sees the shared one through grp_a, plus their own. */
    n = 0;
    gh_view_filter mine = {.user_id = "usr_a2", .limit = 10};
    assert_int_equal(gh_store_view_list(f->db, "org_a", &mine, visit_view, &n, &f->err), GH_OK);
    assert_int_equal(n, 2);

    /* The group goes: its memberships and shares with it. */
    assert_int_equal(gh_store_group_delete(f->db, "org_a", "grp_a", &f->err), GH_OK);
    assert_int_equal(gh_store_group_share_count(f->db, "org_a", "grp_a"), 0);
    n = 0;
    assert_int_equal(gh_store_view_list(f->db, "org_a", &mine, visit_view, &n, &f->err), GH_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(gh_store_groups_of_user(f->db, "org_a", "usr_a2", count_visit, &n, &f->err), GH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gh_store_group_delete(f->db, "org_a", "grp_a", &f->err), GH_E_NOT_FOUND);
    gh_err_clear(&f->err);
}

static void cursor_round_trip(void **state)
{
    (void)state;
    char c[GH_CURSOR_MAX], name[201], id[GH_ID_MAX];
    assert_true(gh_cursor_encode("Line 1 \xc3\xa9", "view_x", c));
    assert_true(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    assert_string_equal(name, "Line 1 \xc3\xa9");
    assert_string_equal(id, "view_x");
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(gh_cursor_encode(longname, "id", c));
    assert_false(gh_cursor_decode("zz", name, sizeof name, id, sizeof id));
    assert_false(gh_cursor_decode("616263", name, sizeof name, id, sizeof id));     /* no newline */
    assert_false(gh_cursor_decode("61000a62", name, sizeof name, id, sizeof id));   /* NUL inside */
    assert_false(gh_cursor_decode("", name, sizeof name, id, sizeof id));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(names_are_unique_per_org_ignoring_case, setup, teardown),
        cmocka_unit_test_setup_teardown(membership_cannot_cross_orgs, setup, teardown),
        cmocka_unit_test_setup_teardown(shares_cannot_cross_orgs, setup, teardown),
        cmocka_unit_test_setup_teardown(deletes_cascade, setup, teardown),
        cmocka_unit_test(cursor_round_trip),
    };
    return cmocka_run_group_tests_name("groups and views store", tests, NULL, NULL) ? 1 : 0;
}
