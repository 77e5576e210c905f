/*
 * The write guard's one-shot precondition (gh_ctx.tx_precondition, used by
 * SCIM's If-Match): run inside the write transaction after the actor check;
 * when it fails nothing is written, and it runs for the first write only.
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

#include "core/access.h"
#include "core/accounts.h"
#include "core/catalog.h"
#include "core/secret.h"
#include "store/store.h"

typedef struct fx {
    char dir[64], path[96];
    gh_db *db;
    gh_catalog *cat;
    gh_org org;
    gh_user admin;
} fx;

static gh_catalog *load_catalog(void)
{
    const char *dir = getenv("GH_SOURCE_DIR");
    char path[4096], err[512];
    int n = snprintf(path, sizeof path, "%s/catalog/default.json", dir && *dir ? dir : ".");
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (set GH_SOURCE_DIR to the source tree)", path);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_true(len > 0 && len < sizeof text);
    gh_catalog *cat = NULL;
    if (gh_catalog_parse(text, len, "default.json", &cat, err, sizeof err)) fail_msg("%s", err);
    return cat;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char err[512];
    snprintf(f->dir, sizeof f->dir, "/tmp/gh-txpre-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/g.db", f->dir);
    assert_int_equal(gh_random_init(), 0);
    gh_secret_set_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    assert_int_equal(gh_secret_init(), 0);
    f->cat = load_catalog();
    gh_cfg()->catalog = f->cat;
    gh_db_set_path(f->path);
    if (gh_db_open(f->path, &f->db, err, sizeof err) != 0 || gh_db_migrate(f->db, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(gh_access_init(f->cat), 0);
    char hash[GH_PWHASH_MAX];
    assert_int_equal(gh_secret_hash("correct horse battery staple", hash), 0);
    gh_ctx ctx = {.db = f->db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "t"};
    gh_org_new n = {.slug = "acme", .name = "Acme", .admin_email = "ada@acme.test", .admin_name = "Ada",
                    .admin_password_hash = hash};
    if (gh_org_create(&ctx, &n, &f->org, &f->admin) != GH_OK) fail_msg("%s", ctx.err.detail);
    assert_int_equal(gh_access_refresh(f->db, true), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    gh_access_shutdown();
    gh_db_close(f->db);
    gh_catalog_free(f->cat);
    unlink(f->path);
    char side[128];
    snprintf(side, sizeof side, "%s-wal", f->path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", f->path);
    unlink(side);
    rmdir(f->dir);
    free(f);
    return 0;
}

static gh_ctx sys_ctx(const fx *f)
{
    gh_ctx ctx = {.db = f->db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "t"};
    gh_strlcpy(ctx.actor.org_id, f->org.id, sizeof ctx.actor.org_id);
    return ctx;
}

static int calls;

static gh_status refuse(gh_ctx *ctx, void *arg)
{
    (void)arg;
    calls++;
    return gh_fail(&ctx->err, GH_E_STALE, "version_mismatch", "changed meanwhile");
}

static gh_status allow(gh_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    calls++;
    return GH_OK;
}

static void failing_precondition_writes_nothing(void **state)
{
    fx *f = *state;
    gh_err e = {0};
    gh_user before, after;
    int64_t seq0, seq1;
    assert_int_equal(gh_store_user_get(f->db, f->org.id, f->admin.id, &before, &e), GH_OK);
    assert_int_equal(gh_store_audit_last_seq(f->db, &seq0, &e), GH_OK);
    gh_ctx ctx = sys_ctx(f);
    calls = 0;
    ctx.tx_precondition = refuse;
    gh_user_patch p = {.checkin_exempt_set = true, .checkin_exempt = !before.checkin_exempt};
    assert_int_equal(gh_user_update(&ctx, f->admin.id, &p, NULL), GH_E_STALE);
    assert_string_equal(ctx.err.code, "version_mismatch");
    assert_int_equal(calls, 1);
    assert_null(ctx.tx_precondition);
    gh_err_clear(&ctx.err);
    assert_int_equal(gh_store_user_get(f->db, f->org.id, f->admin.id, &after, &e), GH_OK);
    assert_int_equal(gh_store_audit_last_seq(f->db, &seq1, &e), GH_OK);
    assert_int_equal(after.checkin_exempt, before.checkin_exempt);
    assert_true(seq1 == seq0);
}

static void precondition_runs_once(void **state)
{
    fx *f = *state;
    gh_err e = {0};
    gh_user before, after;
    assert_int_equal(gh_store_user_get(f->db, f->org.id, f->admin.id, &before, &e), GH_OK);
    gh_ctx ctx = sys_ctx(f);
    calls = 0;
    ctx.tx_precondition = allow;
    gh_user_patch p = {.checkin_exempt_set = true, .checkin_exempt = !before.checkin_exempt};
    assert_int_equal(gh_user_update(&ctx, f->admin.id, &p, NULL), GH_OK);
    p.checkin_exempt = before.checkin_exempt;
    assert_int_equal(gh_user_update(&ctx, f->admin.id, &p, NULL), GH_OK);
    assert_int_equal(calls, 1);
    assert_int_equal(gh_store_user_get(f->db, f->org.id, f->admin.id, &after, &e), GH_OK);
    assert_int_equal(after.checkin_exempt, before.checkin_exempt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(failing_precondition_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(precondition_runs_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
