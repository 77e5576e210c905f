/*
 * Unit tests for user search (issue 17, src/store/accounts.c and migration
 * 12): q is a case- and accent-insensitive substring of the name, e-mail or
 * badge, answered from the trigram index (the query plan never scans the
 * organization's users for a query of three characters or more, nor for a
 * page without q); the index follows inserts, renames and deletes; name
 * order ignores case and accents. Tasks (migration 21) the same way: ref
 * and title, any case and accents, from their own trigram index, in ref
 * order, never a full scan; groups (migration 22) by name, in name order
 * from an index (no sort of the whole org).
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

#include "store/db.h"
#include "store/store.h"
#include "store/shopfloor.h"
#include "store/groups.h"
#include "store/invites.h"
#include "store/sqlite_int.h"

typedef struct fx {
    gh_fx_db d;
    gh_db *db; /* d.db */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    gh_fx_db_open(&f->d, "search");
    f->db = f->d.db;
    gh_fx_add_org(f->db, "org_a", "a");
    gh_fx_add_org(f->db, "org_b", "b");
    gh_fx_add_user(f->db, "org_a", "usr_1", "Émile Zola", "emile.zola@plant.test", "B-1001");
    gh_fx_add_user(f->db, "org_a", "usr_2", "José Núñez", "JNunez@Plant.test", NULL);
    gh_fx_add_user(f->db, "org_a", "usr_3", "eve Adams", NULL, "X77-Ärger");
    /* "Zoë" with a combining diaeresis (decomposed input). */
    gh_fx_add_user(f->db, "org_a", "usr_4", "Zoe\xCC\x88 Schmidt", "zoe@plant.test", NULL);
    gh_fx_add_user(f->db, "org_a", "usr_5", "élodie Martin", NULL, NULL);
    gh_fx_add_user(f->db, "org_b", "usr_b1", "Emile Other", "emile@other.test", "B-1001");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    gh_fx_db_remove(&f->d);
    free(f);
    return 0;
}

typedef struct hits { char ids[512]; } hits;

static void collect(const gh_user *u, void *arg)
{
    hits *h = arg;
    size_t n = strlen(h->ids);
    snprintf(h->ids + n, sizeof h->ids - n, "%s%s", n ? "," : "", u->id);
}

static const char *find(fx *f, const char *org, const char *q)
{
    static hits h;
    gh_err e = {0};
    memset(&h, 0, sizeof h);
    gh_user_filter fl = {.q = q, .limit = 100};
    assert_int_equal(gh_store_user_list(f->db, org, &fl, collect, &h, &e), GH_OK);
    return h.ids;
}

static void search_ignores_case_and_accents(void **state)
{
    fx *f = *state;
    assert_string_equal(find(f, "org_a", "emile"), "usr_1");
    assert_string_equal(find(f, "org_a", "ÉMILE"), "usr_1");
    assert_string_equal(find(f, "org_a", "ZOLA"), "usr_1");
    assert_string_equal(find(f, "org_a", "nunez"), "usr_2");
    assert_string_equal(find(f, "org_a", "Núñ"), "usr_2");
    assert_string_equal(find(f, "org_a", "zoë"), "usr_4");      /* composed query, decomposed name */
    assert_string_equal(find(f, "org_a", "zoe sch"), "usr_4");  /* across a space */
    /* Substrings anywhere: middle of the name, e-mail, badge. */
    assert_string_equal(find(f, "org_a", "lodi"), "usr_5");
    assert_string_equal(find(f, "org_a", "jnunez@"), "usr_2");
    assert_string_equal(find(f, "org_a", "plant.test"), "usr_1,usr_2,usr_4");
    assert_string_equal(find(f, "org_a", "b-100"), "usr_1");
    assert_string_equal(find(f, "org_a", "arger"), "usr_3");
    /* Short queries (no trigram) still match, by scanning the keys. */
    assert_string_equal(find(f, "org_a", "Zo"), "usr_1,usr_4");
    assert_string_equal(find(f, "org_a", "é"), "usr_5,usr_1,usr_3,usr_2,usr_4"); /* name order */
    /* Never across organizations, never across fields, quotes are text. */
    assert_string_equal(find(f, "org_b", "emile"), "usr_b1");
    assert_string_equal(find(f, "org_a", "zolaemile"), "");
    assert_string_equal(find(f, "org_a", "\"zola"), "");
    assert_string_equal(find(f, "org_a", "zola OR eve"), "");
}

static void index_follows_writes(void **state)
{
    fx *f = *state;
    gh_err e = {0};
    gh_user *u = calloc(1, sizeof *u);
    assert_non_null(u);
    assert_int_equal(gh_store_user_get(f->db, "org_a", "usr_3", u, &e), GH_OK);
    gh_strlcpy(u->name, "Evelyn Ängström", sizeof u->name);
    assert_int_equal(gh_store_user_update(f->db, u, &e), GH_OK);
    free(u);
    assert_string_equal(find(f, "org_a", "adams"), "");
    assert_string_equal(find(f, "org_a", "angstr"), "usr_3");
    assert_int_equal(gh_store_user_delete(f->db, "org_a", "usr_3", &e), GH_OK);
    assert_string_equal(find(f, "org_a", "angstr"), "");
    assert_string_equal(find(f, "org_a", "x77"), "");
}

static void name_order_ignores_case_and_accents(void **state)
{
    fx *f = *state;
    assert_string_equal(find(f, "org_a", NULL), "usr_5,usr_1,usr_3,usr_2,usr_4");
}

/* A full scan shows as "SCAN users" (or its FTS/id tables) without an index. */
static void assert_no_full_scan(fx *f, const gh_user_filter *fl)
{
    char plan[2048];
    gh_err e = {0};
    assert_int_equal(gh_store_user_list_plan(f->db, "org_a", fl, plan, sizeof plan, &e), GH_OK);
    assert_true(plan[0] != '\0');
    for (char *line = plan; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (strncmp(line, "SCAN ", 5) == 0 && !strstr(line, "USING INDEX") && !strstr(line, "USING COVERING INDEX") &&
            !strstr(line, "VIRTUAL TABLE INDEX")) {
            fail_msg("full scan in the plan for q=%s: %s", fl->q ? fl->q : "(none)", line);
        }
        if (strstr(line, "USING INDEX users_org_name") && fl->q && strlen(fl->q) >= 3)
            fail_msg("a search walks the org's name index: %s", line);
        if (!nl) break;
        line = nl + 1;
    }
}

static void searches_use_the_index(void **state)
{
    fx *f = *state;
    gh_user_filter pages[] = {
        {.limit = 100},
        {.limit = 100, .after_name = "eve Adams", .after_id = "usr_3"},
        {.q = "emile", .limit = 100},
        {.q = "Núñez", .limit = 100, .status = "active"},
        {.q = "plant", .limit = 100, .after_name = "Émile Zola", .after_id = "usr_1", .access = 1},
        {.q = "b-1001", .limit = 100, .role = "user"},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) assert_no_full_scan(f, &pages[i]);
}

/* A search that matches more than the index path's limit walks the name
 * order instead (the same answers, pages continue by cursor), and still
 * never scans the table. */
static void broad_search_pages_in_name_order(void **state)
{
    fx *f = *state;
    gh_err e = {0};
    char id[32], name[64];
    assert_int_equal(gh_db_exec(f->db, "BEGIN"), 0);
    for (int i = 0; i < 2100; i++) {
        snprintf(id, sizeof id, "usr_c%04d", i);
        snprintf(name, sizeof name, "Common Person %d", 2099 - i);
        gh_fx_add_user(f->db, "org_a", id, name, NULL, NULL);
    }
    assert_int_equal(gh_db_exec(f->db, "COMMIT"), 0);
    hits h = {0};
    gh_user_filter fl = {.q = "COMMON", .limit = 3};
    assert_int_equal(gh_store_user_list(f->db, "org_a", &fl, collect, &h, &e), GH_OK);
    assert_string_equal(h.ids, "usr_c2099,usr_c2098,usr_c2097"); /* Common Person 0, 1, 2 */
    memset(&h, 0, sizeof h);
    gh_user_filter next = {.q = "common", .limit = 2, .after_name = "Common Person 2", .after_id = "usr_c2097"};
    assert_int_equal(gh_store_user_list(f->db, "org_a", &next, collect, &h, &e), GH_OK);
    assert_string_equal(h.ids, "usr_c2096,usr_c2095");
    /* A narrow search in the same org still uses the trigram index. */
    assert_string_equal(find(f, "org_a", "person 2099"), "usr_c0000");
    assert_no_full_scan(f, &(gh_user_filter){.q = "person 2099", .limit = 100});
    char plan[2048];
    assert_int_equal(gh_store_user_list_plan(f->db, "org_a", &fl, plan, sizeof plan, &e), GH_OK);
    assert_non_null(strstr(plan, "USING INDEX users_org_name"));
    assert_null(strstr(plan, "TEMP B-TREE"));
}

/* ---- tasks ---------------------------------------------------------------------- */
static void add_task(gh_db *db, const char *org, const char *id, const char *ref, const char *title)
{
    gh_task t = {0};
    gh_err e = {0};
    gh_strlcpy(t.id, id, sizeof t.id);
    gh_strlcpy(t.org_id, org, sizeof t.org_id);
    gh_strlcpy(t.ref, ref, sizeof t.ref);
    gh_strlcpy(t.title, title, sizeof t.title);
    gh_strlcpy(t.status, "open", sizeof t.status);
    t.created_at = 1;
    assert_int_equal(gh_store_task_insert(db, &t, &e), GH_OK);
}

static void collect_task(const gh_task *t, void *arg)
{
    hits *h = arg;
    size_t n = strlen(h->ids);
    snprintf(h->ids + n, sizeof h->ids - n, "%s%s", n ? "," : "", t->id);
}

static const char *find_task(fx *f, const char *org, const char *q)
{
    static hits h;
    gh_err e = {0};
    memset(&h, 0, sizeof h);
    gh_task_filter fl = {.q = q, .limit = 100};
    assert_int_equal(gh_store_task_list(f->db, org, &fl, collect_task, &h, &e), GH_OK);
    return h.ids;
}

static void add_tasks(fx *f)
{
    add_task(f->db, "org_a", "tsk_1", "PO-1001", "Fräsen Gehäuse");
    add_task(f->db, "org_a", "tsk_2", "PO-1002", "Montage Élément");
    add_task(f->db, "org_a", "tsk_3", "QC-7", "Prüfung");
    add_task(f->db, "org_b", "tsk_b1", "PO-1001", "Fräsen other org");
}

static void task_search_ignores_case_and_accents(void **state)
{
    fx *f = *state;
    add_tasks(f);
    assert_string_equal(find_task(f, "org_a", "FRASEN"), "tsk_1");          /* indexed, folded */
    assert_string_equal(find_task(f, "org_a", "gehäu"), "tsk_1");
    assert_string_equal(find_task(f, "org_a", "element"), "tsk_2");
    assert_string_equal(find_task(f, "org_a", "po-100"), "tsk_1,tsk_2");     /* in ref order */
    assert_string_equal(find_task(f, "org_a", "qc"), "tsk_3");               /* short: walks the refs */
    assert_string_equal(find_task(f, "org_a", "RÜ"), "tsk_3");               /* short and folded */
    assert_string_equal(find_task(f, "org_a", "other"), "");                 /* never another org's */
    assert_string_equal(find_task(f, "org_a", NULL), "tsk_1,tsk_2,tsk_3");
    /* The index follows renames and deletes. */
    gh_task t;
    gh_err e = {0};
    assert_int_equal(gh_store_task_get(f->db, "org_a", "tsk_3", &t, &e), GH_OK);
    gh_strlcpy(t.title, "Endkontrolle", sizeof t.title);
    assert_int_equal(gh_store_task_update(f->db, &t, &e), GH_OK);
    assert_string_equal(find_task(f, "org_a", "prufung"), "");
    assert_string_equal(find_task(f, "org_a", "kontroll"), "tsk_3");
    assert_int_equal(gh_store_task_delete(f->db, "org_a", "tsk_3", &e), GH_OK);
    assert_string_equal(find_task(f, "org_a", "kontroll"), "");
}

static void task_searches_use_the_index(void **state)
{
    fx *f = *state;
    add_tasks(f);
    gh_task_filter pages[] = {
        {.limit = 100},
        {.limit = 100, .after_ref = "PO-1001"},
        {.q = "fräsen", .limit = 100},
        {.q = "po-1", .limit = 100, .status = "open", .after_ref = "PO-1001"},
        {.q = "qc", .limit = 100},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char plan[2048];
        gh_err e = {0};
        assert_int_equal(gh_store_task_list_plan(f->db, "org_a", &pages[i], plan, sizeof plan, &e), GH_OK);
        assert_true(plan[0] != '\0');
        /* A full scan is "SCAN t" without an index; three characters or
         * more are looked up in the trigram index, not walked. */
        for (char *line = plan; *line;) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            if (strncmp(line, "SCAN ", 5) == 0 && !strstr(line, "USING INDEX") &&
                !strstr(line, "USING COVERING INDEX") && !strstr(line, "VIRTUAL TABLE INDEX"))
                fail_msg("full scan in the task plan for q=%s: %s", pages[i].q ? pages[i].q : "(none)", line);
            if (!nl) break;
            line = nl + 1;
        }
        bool indexed = strstr(plan, "VIRTUAL TABLE INDEX") != NULL;
        assert_int_equal(indexed, pages[i].q && strlen(pages[i].q) >= 3);
    }
}

/* ---- groups --------------------------------------------------------------------- */
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

static void collect_group(const gh_group *g, void *arg)
{
    hits *h = arg;
    size_t n = strlen(h->ids);
    snprintf(h->ids + n, sizeof h->ids - n, "%s%s", n ? "," : "", g->id);
}

static const char *find_group(fx *f, const char *q, const char *after_name, const char *after_id, int limit)
{
    static hits h;
    gh_err e = {0};
    memset(&h, 0, sizeof h);
    assert_int_equal(gh_store_group_list(f->db, "org_a", NULL, q, after_name, after_id, limit, collect_group, &h, &e),
                     GH_OK);
    return h.ids;
}

static void group_search_and_order(void **state)
{
    fx *f = *state;
    add_group(f->db, "org_a", "grp_1", "Schweißerei");
    add_group(f->db, "org_a", "grp_2", "émaillage");
    add_group(f->db, "org_a", "grp_3", "Fräserei Süd");
    add_group(f->db, "org_a", "grp_4", "Montage");
    add_group(f->db, "org_b", "grp_b1", "Fräserei Nord");
    /* Name order ignores case and accents; pages continue by cursor. */
    assert_string_equal(find_group(f, NULL, NULL, NULL, 100), "grp_2,grp_3,grp_4,grp_1");
    assert_string_equal(find_group(f, NULL, "Fräserei Süd", "grp_3", 100), "grp_4,grp_1");
    assert_string_equal(find_group(f, "FRASEREI", NULL, NULL, 100), "grp_3");   /* indexed, one org */
    assert_string_equal(find_group(f, "ei", NULL, NULL, 100), "grp_3,grp_1");   /* short: walks the order */
    assert_string_equal(find_group(f, "EMAIL", NULL, NULL, 100), "grp_2");
    assert_string_equal(find_group(f, "erei", "Fräserei Süd", "grp_3", 100), "grp_1");
    /* The index follows renames and deletes. */
    gh_group g = {0};
    gh_err e = {0};
    gh_strlcpy(g.id, "grp_4", sizeof g.id);
    gh_strlcpy(g.org_id, "org_a", sizeof g.org_id);
    gh_strlcpy(g.name, "Endmontage", sizeof g.name);
    g.updated_at = 2;
    assert_int_equal(gh_store_group_update(f->db, &g, &e), GH_OK);
    assert_string_equal(find_group(f, "endmon", NULL, NULL, 100), "grp_4");
    assert_int_equal(gh_store_group_delete(f->db, "org_a", "grp_4", &e), GH_OK);
    assert_string_equal(find_group(f, "endmon", NULL, NULL, 100), "");
    /* No plan scans the table, and a page without q is an index walk
     * (no sort of the whole org). */
    const struct { const char *q, *after_name, *after_id; } cases[] = {
        {NULL, NULL, NULL}, {NULL, "Montage", "grp_4"}, {"fräserei", NULL, NULL}, {"ei", "Fräserei Süd", "grp_3"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char plan[2048];
        assert_int_equal(gh_store_group_list_plan(f->db, "org_a", cases[i].q, cases[i].after_name, cases[i].after_id,
                                                  plan, sizeof plan, &e), GH_OK);
        assert_true(plan[0] != '\0');
        for (char *line = plan; *line;) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            if (strncmp(line, "SCAN ", 5) == 0 && !strstr(line, "USING INDEX") &&
                !strstr(line, "USING COVERING INDEX") && !strstr(line, "VIRTUAL TABLE INDEX"))
                fail_msg("full scan in the group plan for q=%s: %s", cases[i].q ? cases[i].q : "(none)", line);
            if (!nl) break;
            line = nl + 1;
        }
        if (!cases[i].q || strlen(cases[i].q) < 3) assert_null(strstr(plan, "TEMP B-TREE"));
        else assert_non_null(strstr(plan, "VIRTUAL TABLE INDEX"));
    }
}

/* ---- list filters, invitations and audit (migration 28) -------------------------- */
/* A plan fails on a full scan of any table, and on a sort of the whole
 * list when `sorted_ok` is false; `want` must appear in it. */
static void assert_plan(const char *what, char *plan, const char *want, bool sorted_ok)
{
    if (want && !strstr(plan, want)) fail_msg("%s: the plan does not use %s:\n%s", what, want, plan);
    if (!sorted_ok && strstr(plan, "TEMP B-TREE")) fail_msg("%s: the plan sorts the list:\n%s", what, plan);
    for (char *line = plan; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (strncmp(line, "SCAN ", 5) == 0 && !strstr(line, "USING INDEX") && !strstr(line, "USING COVERING INDEX") &&
            !strstr(line, "VIRTUAL TABLE INDEX"))
            fail_msg("%s: full scan in the plan: %s", what, line);
        if (!nl) break;
        line = nl + 1;
    }
}

/* Each filter of GET /v1/users walks an index in name order: a rare value
 * (status=locked) reads only its own rows, and nothing sorts the org. */
static void user_filters_walk_their_index(void **state)
{
    fx *f = *state;
    gh_err e = {0};
    char plan[2048];
    const struct { gh_user_filter fl; const char *index; } cases[] = {
        {{.status = "locked", .limit = 100}, "users_org_status_name"},
        {{.status = "active", .limit = 100, .after_name = "eve Adams", .after_id = "usr_3"}, "users_org_status_name"},
        {{.role = "user", .limit = 100}, "users_org_role_name"},
        {{.role = "user", .status = "active", .limit = 100}, "users_org_role_name"},
        {{.access = 1, .limit = 100}, "users_org_office_name"},
        {{.access = 2, .limit = 100, .after_name = "eve Adams", .after_id = "usr_3"}, "users_org_factory_name"},
        {{.q = "ad", .limit = 100}, "users_org_name"},
        {{.limit = 100}, "users_org_name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(gh_store_user_list_plan(f->db, "org_a", &cases[i].fl, plan, sizeof plan, &e), GH_OK);
        assert_plan(cases[i].index, plan, cases[i].index, false);
    }
    /* And they answer as the filters say. */
    gh_user u = {0};
    assert_int_equal(gh_store_user_get(f->db, "org_a", "usr_2", &u, &e), GH_OK);
    gh_strlcpy(u.status, "locked", sizeof u.status);
    assert_int_equal(gh_store_user_update(f->db, &u, &e), GH_OK);
    hits h = {0};
    gh_user_filter locked = {.status = "locked", .limit = 100};
    assert_int_equal(gh_store_user_list(f->db, "org_a", &locked, collect, &h, &e), GH_OK);
    assert_string_equal(h.ids, "usr_2");
    memset(&h, 0, sizeof h);
    gh_user_filter active = {.status = "active", .role = "user", .q = "e", .limit = 100};
    assert_int_equal(gh_store_user_list(f->db, "org_a", &active, collect, &h, &e), GH_OK);
    assert_string_equal(h.ids, "usr_5,usr_1,usr_3,usr_4");
}

static void add_invite(gh_db *db, const char *org, const char *id, const char *email, int64_t at)
{
    gh_invite v = {0};
    gh_err e = {0};
    gh_strlcpy(v.id, id, sizeof v.id);
    gh_strlcpy(v.org_id, org, sizeof v.org_id);
    gh_strlcpy(v.email, email, sizeof v.email);
    gh_strlcpy(v.role_key, "user", sizeof v.role_key);
    snprintf(v.token_hash, sizeof v.token_hash, "hash_%s", id);
    gh_strlcpy(v.status, "pending", sizeof v.status);
    v.created_at = v.sent_at = at;
    v.expires_at = at + 3600;
    assert_int_equal(gh_store_invite_insert(db, &v, &e), GH_OK);
}

static void collect_invite(const gh_invite *v, void *arg)
{
    hits *h = arg;
    size_t n = strlen(h->ids);
    snprintf(h->ids + n, sizeof h->ids - n, "%s%s", n ? "," : "", v->id);
}

static const char *find_invite(fx *f, const char *q, int64_t after_at, const char *after_id)
{
    static hits h;
    gh_err e = {0};
    memset(&h, 0, sizeof h);
    gh_invite_filter fl = {.q = q, .after_created = after_at, .after_id = after_id, .limit = 100};
    assert_int_equal(gh_store_invite_list_pending(f->db, "org_a", &fl, collect_invite, &h, &e), GH_OK);
    char plan[2048];
    assert_int_equal(gh_store_invite_list_plan(f->db, "org_a", &fl, plan, sizeof plan, &e), GH_OK);
    assert_plan("invitations", plan, q && strlen(q) >= 3 ? "VIRTUAL TABLE INDEX" : "invites_org_status",
                q && strlen(q) >= 3);
    return h.ids;
}

/* GET /v1/invites?q=: a substring of the address, any case, from the
 * trigram index; in (created_at, id) order; the cursor continues it. */
static void invite_search(void **state)
{
    fx *f = *state;
    add_invite(f->db, "org_a", "inv_1", "Jose.Nunez@Plant.test", 10);
    add_invite(f->db, "org_a", "inv_2", "anna@office.test", 20);
    add_invite(f->db, "org_a", "inv_3", "mia@plant.test", 30);
    add_invite(f->db, "org_b", "inv_b1", "other@plant.test", 5);
    assert_string_equal(find_invite(f, NULL, 0, NULL), "inv_1,inv_2,inv_3");
    assert_string_equal(find_invite(f, "PLANT", 0, NULL), "inv_1,inv_3");
    assert_string_equal(find_invite(f, "núñez", 0, NULL), "inv_1");
    assert_string_equal(find_invite(f, "plant", 10, "inv_1"), "inv_3");
    assert_string_equal(find_invite(f, "a@", 0, NULL), "inv_2,inv_3"); /* short: walks the list */
    assert_string_equal(find_invite(f, "nobody", 0, NULL), "");
    /* An accepted invitation leaves the list; a deleted one the index. */
    gh_err e = {0};
    gh_invite v = {0};
    assert_int_equal(gh_store_invite_get(f->db, "org_a", "inv_3", &v, &e), GH_OK);
    gh_strlcpy(v.status, "accepted", sizeof v.status);
    v.accepted_at = 40;
    assert_int_equal(gh_store_invite_update(f->db, &v, &e), GH_OK);
    assert_string_equal(find_invite(f, "plant", 0, NULL), "inv_1");
    assert_int_equal(gh_db_exec(f->db, "DELETE FROM invites WHERE id = 'inv_1'"), 0);
    assert_string_equal(find_invite(f, "nunez", 0, NULL), "");
}

static void add_event(gh_db *db, const char *org, const char *actor, const char *action, const char *target_type,
                      const char *target, const char *detail)
{
    gh_err e = {0};
    gh_audit_row a = {.org_id = org, .actor_type = actor ? "user" : "system", .actor_id = actor, .action = action,
                      .target_type = target_type, .target_id = target, .ip = "", .request_id = "",
                      .detail_json = detail, .at = 1};
    assert_int_equal(gh_store_audit_insert(db, &a, &e), GH_OK);
}

static const char *find_event(fx *f, const char *q, int64_t before, int limit, int64_t *next)
{
    static char out[512];
    gh_err e = {0};
    gh_audit_filter fl = {.q = q, .before_seq = before, .limit = limit};
    json_t *items = json_array();
    assert_non_null(items);
    assert_int_equal(gh_store_audit_list(f->db, "org_a", &fl, items, next, &e), GH_OK);
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        size_t n = strlen(out);
        snprintf(out + n, sizeof out - n, "%s%s", n ? "," : "", json_string_value(json_object_get(it, "action")));
    }
    json_decref(items);
    char plan[4096];
    assert_int_equal(gh_store_audit_list_plan(f->db, "org_a", &fl, plan, sizeof plan, &e), GH_OK);
    assert_plan("audit", plan, q && strlen(q) >= 3 ? "VIRTUAL TABLE INDEX" : "audit_org", false);
    return out;
}

/* GET /v1/audit?q=: the action, the actor's name or the target's (as
 * they were at the event), any case and accents, newest first, from the
 * trigram index whose rowids are the events' seq (no sort). */
static void audit_search(void **state)
{
    fx *f = *state;
    int64_t next = 0;
    add_event(f->db, "org_a", "usr_1", "user.created", "user", "usr_2", "{}");
    add_event(f->db, "org_a", "usr_2", "group.created", "group", "grp_x", "{\"name\":\"Fräserei\"}");
    add_event(f->db, "org_a", NULL, "user.locked", "user", "usr_4", "{}");
    add_event(f->db, "org_b", "usr_b1", "user.created", "user", "usr_b1", "{}");
    assert_string_equal(find_event(f, NULL, 0, 100, &next), "user.locked,group.created,user.created");
    assert_string_equal(find_event(f, "emile zola", 0, 100, &next), "user.created");      /* actor */
    assert_string_equal(find_event(f, "NUNEZ", 0, 100, &next), "group.created,user.created"); /* actor, target */
    assert_string_equal(find_event(f, "fraserei", 0, 100, &next), "group.created");       /* name in detail */
    assert_string_equal(find_event(f, "zoë", 0, 100, &next), "user.locked");
    assert_string_equal(find_event(f, "created", 0, 1, &next), "group.created");
    assert_true(next > 0);
    assert_string_equal(find_event(f, "created", next, 1, &next), "user.created");
    assert_string_equal(find_event(f, "ZO", 0, 100, &next), "user.locked,user.created"); /* short: walks */
    assert_int_equal(next, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(search_ignores_case_and_accents, setup, teardown),
        cmocka_unit_test_setup_teardown(index_follows_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(name_order_ignores_case_and_accents, setup, teardown),
        cmocka_unit_test_setup_teardown(searches_use_the_index, setup, teardown),
        cmocka_unit_test_setup_teardown(broad_search_pages_in_name_order, setup, teardown),
        cmocka_unit_test_setup_teardown(task_search_ignores_case_and_accents, setup, teardown),
        cmocka_unit_test_setup_teardown(task_searches_use_the_index, setup, teardown),
        cmocka_unit_test_setup_teardown(group_search_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(user_filters_walk_their_index, setup, teardown),
        cmocka_unit_test_setup_teardown(invite_search, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_search, setup, teardown),
    };
    return cmocka_run_group_tests_name("user search store", tests, NULL, NULL) ? 1 : 0;
}
