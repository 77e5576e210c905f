/*
 * Unit tests for the incremental snapshot path (gh_authz_apply in
 * src/core/authz.c) on the default catalog: a user's change recompiles that
 * user only, a role edit recompiles its holders, new users and roles,
 * deletions (and an id coming back), what it refuses (an org or role it does
 * not know), that the base snapshot stays as it was, and an equivalence
 * test: a long random sequence of changes applied step by step must answer
 * exactly as a snapshot built from scratch from the same inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dbfixture.h"

#include "core/authz.h"
#include "core/catalog.h"

static gh_catalog *cat;

static int load_catalog(void **state)
{
    (void)state;
    cat = gh_fx_catalog_load();
    return 0;
}

static int free_catalog(void **state)
{
    (void)state;
    gh_catalog_free(cat);
    return 0;
}

static int P(const char *key)
{
    int p = gh_catalog_perm_index(cat, key);
    if (p < 0)
        fail_msg("no permission %s", key);
    return p;
}

static gh_permset set_of(const char *a, const char *b)
{
    gh_permset s;
    gh_permset_clear(&s);
    if (a)
        gh_permset_set(&s, (size_t)P(a));
    if (b)
        gh_permset_set(&s, (size_t)P(b));
    return s;
}

static bool can(const gh_authz *az, const char *org, const char *user, const char *perm)
{
    return gh_authz_check(az, org, user, perm, NULL);
}

/* Two orgs, two roles in o1, three users. */
static gh_authz *base_snapshot(void)
{
    gh_permset none;
    gh_permset_clear(&none);
    gh_authz_org_in orgs[] = {{"o1", GH_AUTHZ_ALL_MODULES, gh_catalog_all_addons(cat), none},
                              {"o2", GH_AUTHZ_ALL_MODULES, gh_catalog_all_addons(cat), none}};
    gh_authz_role_in roles[] = {{"o1", "admin", set_of("users.manage", "users.view"), false},
                                {"o1", "viewer", set_of("users.view", NULL), false},
                                {"o2", "viewer", set_of("users.view", NULL), false}};
    gh_authz_user_in users[] = {
        {"o1", "u1", "admin", GH_AUTHZ_ALL_MODULES, none, true},
        {"o1", "u2", "viewer", GH_AUTHZ_ALL_MODULES, none, true},
        {"o1", "u3", "viewer", GH_AUTHZ_ALL_MODULES, none, true},
        {"o2", "u1", "viewer", GH_AUTHZ_ALL_MODULES, none, true},
    };
    gh_authz *az = NULL;
    assert_int_equal(gh_authz_build(cat, orgs, 2, roles, 3, users, 4, &az), GH_AUTHZ_OK);
    return az;
}

static void user_change_recompiles_that_user(void **state)
{
    (void)state;
    gh_authz *base = base_snapshot(), *next = NULL;
    gh_authz_user_in u = {"o1", "u2", "viewer", GH_AUTHZ_ALL_MODULES, set_of("users.manage", NULL),
                          true};
    gh_authz_change ch = {.users = &u, .nusers = 1};
    assert_int_equal(gh_authz_apply(base, &ch, &next), GH_AUTHZ_OK);
    assert_true(can(next, "o1", "u2", "users.manage"));
    gh_authz_reason why;
    gh_authz_check(next, "o1", "u2", "users.manage", &why);
    assert_int_equal(why, GH_AUTHZ_GRANTED_BY_GRANT);
    assert_false(can(base, "o1", "u2", "users.manage")); /* base untouched */
    assert_false(can(next, "o1", "u3", "users.manage"));
    assert_true(can(next, "o1", "u1", "users.manage"));
    assert_true(gh_authz_user_count(next) >= 4); /* replaced rows stay until a merge */
    /* deactivating: nothing at all, and the base can go first */
    gh_authz_free(base);
    gh_authz_user_in off = u;
    off.active = false;
    ch.users = &off;
    gh_authz *third = NULL;
    assert_int_equal(gh_authz_apply(next, &ch, &third), GH_AUTHZ_OK);
    gh_authz_free(next);
    assert_false(can(third, "o1", "u2", "users.view"));
    gh_authz_check(third, "o1", "u2", "users.view", &why);
    assert_int_equal(why, GH_AUTHZ_USER_INACTIVE);
    assert_string_equal(gh_authz_user_role(third, gh_authz_user_index(third, "o1", "u2")), "viewer");
    gh_authz_free(third);
}

static void role_edit_recompiles_holders(void **state)
{
    (void)state;
    gh_authz *base = base_snapshot(), *next = NULL;
    gh_authz_role_in r = {"o1", "viewer", set_of("users.view", "users.manage"), false};
    gh_authz_change ch = {.roles = &r, .nroles = 1};
    assert_int_equal(gh_authz_apply(base, &ch, &next), GH_AUTHZ_OK);
    assert_true(can(next, "o1", "u2", "users.manage"));
    assert_true(can(next, "o1", "u3", "users.manage"));
    assert_false(can(next, "o2", "u1", "users.manage")); /* o2's viewer is another role */
    /* a device role keeps only read-only permissions */
    gh_authz_role_in dev = {"o1", "viewer", set_of("users.view", "users.manage"), true};
    gh_authz_change ch2 = {.roles = &dev, .nroles = 1};
    gh_authz *third = NULL;
    assert_int_equal(gh_authz_apply(next, &ch2, &third), GH_AUTHZ_OK);
    assert_false(can(third, "o1", "u2", "users.manage"));
    assert_true(gh_authz_user_device(third, gh_authz_user_index(third, "o1", "u2")));
    gh_authz_free(base);
    gh_authz_free(next);
    gh_authz_free(third);
}

static void new_role_and_new_users(void **state)
{
    (void)state;
    gh_authz *base = base_snapshot(), *az = NULL;
    gh_permset none;
    gh_permset_clear(&none);
    gh_authz_role_in r = {"o2", "admin", set_of("users.manage", NULL), false};
    gh_authz_user_in us[] = {{"o2", "n1", "admin", GH_AUTHZ_ALL_MODULES, none, true},
                             {"o1", "n2", NULL, GH_AUTHZ_ALL_MODULES, set_of("users.view", NULL), true}};
    gh_authz_change ch = {.roles = &r, .nroles = 1, .users = us, .nusers = 2};
    assert_int_equal(gh_authz_apply(base, &ch, &az), GH_AUTHZ_OK);
    assert_true(can(az, "o2", "n1", "users.manage"));
    assert_true(can(az, "o1", "n2", "users.view"));
    assert_false(can(az, "o1", "n1", "users.manage"));
    assert_int_equal(gh_authz_user_index(base, "o2", "n1"), -1);
    assert_int_equal(gh_authz_user_count(az), 6); /* two new rows, nothing replaced */
    /* many creates, one step at a time: the table grows, every user found */
    gh_authz *cur = az;
    char ids[300][16];
    for (int i = 0; i < 300; i++) {
        snprintf(ids[i], sizeof ids[i], "m%d", i);
        gh_authz_user_in u = {"o1", ids[i], i % 2 ? "admin" : "viewer", GH_AUTHZ_ALL_MODULES, none,
                              true};
        gh_authz_change one = {.users = &u, .nusers = 1};
        gh_authz *nx = NULL;
        assert_int_equal(gh_authz_apply(cur, &one, &nx), GH_AUTHZ_OK);
        gh_authz_free(cur);
        cur = nx;
    }
    for (int i = 0; i < 300; i++) {
        assert_true(can(cur, "o1", ids[i], "users.view"));
        assert_int_equal(can(cur, "o1", ids[i], "users.manage"), i % 2 == 1);
    }
    assert_true(can(cur, "o2", "n1", "users.manage"));
    assert_true(gh_authz_memory(cur) > 0);
    gh_authz_free(cur);
    gh_authz_free(base);
}

static void deletion_and_return(void **state)
{
    (void)state;
    gh_authz *base = base_snapshot(), *az = NULL, *back = NULL;
    gh_authz_user_ref gone[] = {{"o1", "u1"}, {"o1", "nobody"}};
    gh_authz_change ch = {.gone = gone, .ngone = 2};
    assert_int_equal(gh_authz_apply(base, &ch, &az), GH_AUTHZ_OK);
    assert_int_equal(gh_authz_user_index(az, "o1", "u1"), -1);
    gh_authz_reason why;
    assert_false(gh_authz_check(az, "o1", "u1", "users.view", &why));
    assert_int_equal(why, GH_AUTHZ_UNKNOWN_USER);
    assert_true(can(az, "o2", "u1", "users.view")); /* the same id in another org */
    assert_true(can(base, "o1", "u1", "users.manage"));
    assert_null(gh_authz_explain(az, cat, gh_authz_user_index(az, "o1", "u1")));
    /* the id comes back */
    gh_permset none;
    gh_permset_clear(&none);
    gh_authz_user_in u = {"o1", "u1", "viewer", GH_AUTHZ_ALL_MODULES, none, true};
    gh_authz_change ch2 = {.users = &u, .nusers = 1};
    assert_int_equal(gh_authz_apply(az, &ch2, &back), GH_AUTHZ_OK);
    assert_true(can(back, "o1", "u1", "users.view"));
    assert_false(can(back, "o1", "u1", "users.manage"));
    gh_authz_free(base);
    gh_authz_free(az);
    gh_authz_free(back);
}

/* More changed users than an overlay keeps: merged into a new flat
 * snapshot, with deletions and replacements of base users carried over. */
static void overlay_merges_when_full(void **state)
{
    (void)state;
    gh_authz *cur = base_snapshot();
    gh_permset none;
    gh_permset_clear(&none);
    static char ids[1500][16];
    for (int i = 0; i < 1500; i++) {
        snprintf(ids[i], sizeof ids[i], "k%d", i);
        gh_authz_user_in u = {"o1", ids[i], i % 3 ? "viewer" : "admin", GH_AUTHZ_ALL_MODULES, none,
                              i % 7 != 0};
        gh_authz_user_ref g = {"o1", i == 10 ? "u1" : ids[i / 2]};
        /* every step creates one; some also delete an earlier one */
        gh_authz_change ch = {.users = &u, .nusers = 1, .gone = &g, .ngone = i % 5 == 0 ? 1 : 0};
        gh_authz *nx = NULL;
        assert_int_equal(gh_authz_apply(cur, &ch, &nx), GH_AUTHZ_OK);
        gh_authz_free(cur);
        cur = nx;
    }
    assert_int_equal(gh_authz_user_index(cur, "o1", "u1"), -1);
    assert_true(can(cur, "o1", "u2", "users.view"));
    for (int i = 0; i < 1500; i++) {
        bool deleted = false;
        for (int k = i + 1; k < 1500 && !deleted; k++)
            deleted = k % 5 == 0 && k != 10 && k / 2 == i;
        int idx = gh_authz_user_index(cur, "o1", ids[i]);
        assert_int_equal(idx < 0, deleted);
        if (!deleted)
            assert_int_equal(can(cur, "o1", ids[i], "users.manage"), i % 3 == 0 && i % 7 != 0);
    }
    gh_authz_free(cur);
}

static void refuses_what_it_cannot_apply(void **state)
{
    (void)state;
    gh_authz *base = base_snapshot(), *az = (gh_authz *)1;
    gh_permset none;
    gh_permset_clear(&none);
    gh_authz_user_in new_org = {"o9", "x", NULL, GH_AUTHZ_ALL_MODULES, none, true};
    gh_authz_change ch = {.users = &new_org, .nusers = 1};
    assert_int_equal(gh_authz_apply(base, &ch, &az), GH_AUTHZ_EINVAL);
    assert_null(az);
    gh_authz_user_in bad_role = {"o2", "x", "admin", GH_AUTHZ_ALL_MODULES, none, true};
    ch.users = &bad_role;
    assert_int_equal(gh_authz_apply(base, &ch, &az), GH_AUTHZ_EINVAL);
    gh_authz_role_in r = {"o9", "r", none, false};
    gh_authz_change ch2 = {.roles = &r, .nroles = 1};
    assert_int_equal(gh_authz_apply(base, &ch2, &az), GH_AUTHZ_EINVAL);
    gh_authz_user_in null_id = {"o1", NULL, NULL, GH_AUTHZ_ALL_MODULES, none, true};
    ch.users = &null_id;
    assert_int_equal(gh_authz_apply(base, &ch, &az), GH_AUTHZ_EINVAL);
    assert_int_equal(gh_authz_apply(NULL, &ch, &az), GH_AUTHZ_EINVAL);
    assert_true(can(base, "o1", "u1", "users.manage")); /* still fine */
    gh_authz_free(base);
}

/* ---- equivalence with a full build -------------------------------------------- */

#define NORG 3
#define MAXROLE 12
#define MAXUSER 400

typedef struct {
    char id[16];
    int org;
    int role; /* index into roles, -1 none */
    uint64_t modules;
    gh_permset grants;
    bool active, exists;
} m_user;

typedef struct {
    char key[16];
    int org;
    gh_permset perms;
    bool device;
} m_role;

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static gh_permset rnd_perms(void)
{
    gh_permset s;
    gh_permset_clear(&s);
    size_t n = gh_catalog_perm_count(cat);
    for (int k = (int)(rnd() % 6); k > 0; k--)
        gh_permset_set(&s, rnd() % n);
    return s;
}

static const char *org_ids[NORG] = {"oa", "ob", "oc"};

static gh_authz_user_in user_in_of(const m_user *u, const m_role *roles)
{
    gh_authz_user_in x = {org_ids[u->org], u->id, u->role >= 0 ? roles[u->role].key : NULL,
                          u->modules, u->grants, u->active};
    return x;
}

static gh_authz_role_in role_in_of(const m_role *r)
{
    gh_authz_role_in x = {org_ids[r->org], r->key, r->perms, r->device};
    return x;
}

static gh_authz *full_build(const gh_authz_org_in *orgs, const m_role *roles, int nroles,
                            const m_user *users, int nusers)
{
    static gh_authz_role_in rin[MAXROLE];
    static gh_authz_user_in uin[MAXUSER];
    size_t nu = 0;
    for (int i = 0; i < nroles; i++)
        rin[i] = role_in_of(&roles[i]);
    for (int i = 0; i < nusers; i++)
        if (users[i].exists)
            uin[nu++] = user_in_of(&users[i], roles);
    gh_authz *az = NULL;
    assert_int_equal(gh_authz_build(cat, orgs, NORG, rin, (size_t)nroles, uin, nu, &az),
                     GH_AUTHZ_OK);
    return az;
}

static void assert_same(const gh_authz *inc, const gh_authz *full, const m_user *users, int nusers,
                        bool explain)
{
    size_t nperm = gh_catalog_perm_count(cat);
    for (int i = 0; i < nusers; i++) {
        const m_user *u = &users[i];
        int a = gh_authz_user_index(inc, org_ids[u->org], u->id);
        int b = gh_authz_user_index(full, org_ids[u->org], u->id);
        assert_int_equal(a >= 0, u->exists);
        assert_int_equal(b >= 0, u->exists);
        for (int o = 0; o < NORG; o++) /* nowhere else */
            if (o != u->org || !u->exists)
                assert_int_equal(gh_authz_user_index(inc, org_ids[o], u->id) >= 0,
                                 gh_authz_user_index(full, org_ids[o], u->id) >= 0);
        if (!u->exists)
            continue;
        gh_permset pa, pb;
        gh_authz_user_perms(inc, a, &pa);
        gh_authz_user_perms(full, b, &pb);
        assert_memory_equal(&pa, &pb, sizeof pa);
        assert_int_equal(gh_authz_user_active(inc, a), gh_authz_user_active(full, b));
        assert_int_equal(gh_authz_user_device(inc, a), gh_authz_user_device(full, b));
        assert_int_equal(gh_authz_user_modules(inc, a), gh_authz_user_modules(full, b));
        const char *ra = gh_authz_user_role(inc, a), *rb = gh_authz_user_role(full, b);
        assert_int_equal(ra == NULL, rb == NULL);
        if (ra)
            assert_string_equal(ra, rb);
        for (size_t p = 0; p < nperm; p++) {
            assert_int_equal(gh_authz_allowed(inc, a, (int)p), gh_authz_allowed(full, b, (int)p));
            assert_int_equal(gh_authz_reason_of(inc, a, (int)p), gh_authz_reason_of(full, b, (int)p));
        }
        if (explain) {
            json_t *ja = gh_authz_explain(inc, cat, a), *jb = gh_authz_explain(full, cat, b);
            assert_non_null(ja);
            assert_true(json_equal(ja, jb));
            json_decref(ja);
            json_decref(jb);
        }
    }
}

static void random_changes_match_full_build(void **state)
{
    (void)state;
    static m_user users[MAXUSER];
    static m_role roles[MAXROLE];
    int nusers = 0, nroles = 0;
    gh_authz_org_in orgs[NORG];
    uint64_t mods = gh_catalog_all_modules(cat);
    for (int o = 0; o < NORG; o++) {
        gh_authz_org_in x = {org_ids[o], o == 1 ? mods & ~(uint64_t)6 : GH_AUTHZ_ALL_MODULES,
                             o == 2 ? 0 : gh_catalog_all_addons(cat), rnd_perms()};
        orgs[o] = x;
    }
    for (; nroles < 4; nroles++) {
        snprintf(roles[nroles].key, sizeof roles[nroles].key, "r%d", nroles);
        roles[nroles].org = nroles % NORG;
        roles[nroles].perms = rnd_perms();
        roles[nroles].device = nroles == 3;
    }
    gh_authz *cur = full_build(orgs, roles, nroles, users, nusers);
    for (int step = 0; step < 1500; step++) {
        gh_authz_role_in rin[2];
        gh_authz_user_in uin[4];
        gh_authz_user_ref gone[2];
        gh_authz_change ch = {rin, 0, gone, 0, uin, 0};
        int ops = 1 + (int)(rnd() % 3); /* a transaction may change several things */
        for (int k = 0; k < ops; k++) {
            unsigned op = (unsigned)(rnd() % 100);
            if (op < 30 && nusers < MAXUSER) { /* create */
                m_user *u = &users[nusers++];
                snprintf(u->id, sizeof u->id, "u%d", nusers - 1);
                u->org = (int)(rnd() % NORG);
                int r = (int)(rnd() % (unsigned)nroles);
                u->role = roles[r].org == u->org ? r : -1;
                u->modules = rnd() % 4 ? GH_AUTHZ_ALL_MODULES : rnd() & mods;
                u->grants = rnd() % 3 ? rnd_perms() : (gh_permset){{0}};
                u->active = rnd() % 5 != 0;
                u->exists = true;
                if (ch.nusers < 4)
                    uin[ch.nusers++] = user_in_of(u, roles);
                else
                    nusers--; /* no room in this step */
            } else if (op < 65 && nusers > 0) { /* change a user */
                m_user *u = &users[rnd() % (unsigned)nusers];
                if (!u->exists || ch.nusers >= 4)
                    continue;
                switch (rnd() % 4) {
                case 0: u->grants = rnd_perms(); break;
                case 1: u->active = !u->active; break;
                case 2: u->modules = rnd() % 2 ? GH_AUTHZ_ALL_MODULES : rnd() & mods; break;
                default: {
                    int r = (int)(rnd() % (unsigned)nroles);
                    u->role = roles[r].org == u->org ? r : -1;
                }
                }
                uin[ch.nusers++] = user_in_of(u, roles);
            } else if (op < 75 && nusers > 0) { /* delete */
                m_user *u = &users[rnd() % (unsigned)nusers];
                if (!u->exists || ch.ngone >= 2)
                    continue;
                u->exists = false;
                gone[ch.ngone].org_id = org_ids[u->org];
                gone[ch.ngone++].user_id = u->id;
            } else if (op < 92) { /* edit a role */
                if (ch.nroles >= 2)
                    continue;
                m_role *r = &roles[rnd() % (unsigned)nroles];
                if (rnd() % 4 == 0)
                    r->device = !r->device;
                else
                    r->perms = rnd_perms();
                rin[ch.nroles++] = role_in_of(r);
            } else if (nroles < MAXROLE && ch.nroles < 2) { /* new role */
                m_role *r = &roles[nroles];
                snprintf(r->key, sizeof r->key, "r%d", nroles);
                r->org = (int)(rnd() % NORG);
                r->perms = rnd_perms();
                r->device = rnd() % 4 == 0;
                rin[ch.nroles++] = role_in_of(r);
                nroles++;
            }
        }
        /* a deleted user changed in the same step: the deletion wins only if
         * no later row brings it back, as the refresh reads the final rows */
        for (size_t g = 0; g < ch.ngone; g++)
            for (size_t x = 0; x < ch.nusers; x++)
                if (strcmp(gone[g].user_id, uin[x].user_id) == 0)
                    uin[x] = uin[--ch.nusers], x--;
        gh_authz *next = NULL;
        assert_int_equal(gh_authz_apply(cur, &ch, &next), GH_AUTHZ_OK);
        gh_authz_free(cur);
        cur = next;
        if (step % 100 == 99) {
            gh_authz *full = full_build(orgs, roles, nroles, users, nusers);
            assert_same(cur, full, users, nusers, step % 500 == 499);
            gh_authz_free(full);
        }
    }
    gh_authz *full = full_build(orgs, roles, nroles, users, nusers);
    assert_same(cur, full, users, nusers, true);
    gh_authz_free(full);
    gh_authz_free(cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_change_recompiles_that_user),
        cmocka_unit_test(role_edit_recompiles_holders),
        cmocka_unit_test(new_role_and_new_users),
        cmocka_unit_test(deletion_and_return),
        cmocka_unit_test(overlay_merges_when_full),
        cmocka_unit_test(refuses_what_it_cannot_apply),
        cmocka_unit_test(random_changes_match_full_build),
    };
    return cmocka_run_group_tests(tests, load_catalog, free_catalog);
}
