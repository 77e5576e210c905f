/*
 * Allocation failure in core writes and checks (tests/support/failalloc.h):
 * each test walks N over every allocation a call makes, failing the Nth,
 * and asserts what must hold whichever one fails: the call answers OK or a
 * clean internal error (never a wrong rule decision), a failed write leaves
 * the row and the audit trail as they were, a successful one changed both,
 * and AddressSanitizer sees no leak (the binary exits under LeakSanitizer).
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
#include "failalloc.h"
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
    snprintf(f->dir, sizeof f->dir, "/tmp/gh-failalloc-XXXXXX");
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
    gh_failalloc_arm(0);
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

/* The invariant scan: a role it could not keep must not make the sole
 * administrator look like nobody (a false last_admin refusal). */
static void invariant_scan_under_allocation_failure(void **state)
{
    fx *f = *state;
    long n = 1;
    for (;; n++) {
        gh_ctx ctx = sys_ctx(f);
        gh_failalloc_arm(n);
        gh_status st = gh_accounts_check_invariants(&ctx, f->org.id, false);
        bool hit = gh_failalloc_hit();
        gh_failalloc_arm(0);
        if (!hit) {
            assert_int_equal(st, GH_OK);
            break;
        }
        if (st != GH_OK && st != GH_E_INTERNAL)
            fail_msg("allocation %ld failing gave status %d code %s: %s", n, (int)st, ctx.err.code, ctx.err.detail);
    }
    assert_true(n > 1); /* the scan allocates: the walk did fail something */
}

/* A user update: whichever allocation fails, it either wrote the change and
 * its audit row, or answered an internal error and wrote neither; never OK
 * without writing. */
static void user_update_under_allocation_failure(void **state)
{
    fx *f = *state;
    gh_err e = {0};
    long n = 1;
    for (;; n++) {
        gh_user before, after;
        int64_t seq0, seq1;
        assert_int_equal(gh_store_user_get(f->db, f->org.id, f->admin.id, &before, &e), GH_OK);
        assert_int_equal(gh_store_audit_last_seq(f->db, &seq0, &e), GH_OK);
        gh_user_patch p = {.checkin_exempt_set = true, .checkin_exempt = !before.checkin_exempt};
        gh_ctx ctx = sys_ctx(f);
        gh_failalloc_arm(n);
        gh_status st = gh_user_update(&ctx, f->admin.id, &p, NULL);
        bool hit = gh_failalloc_hit();
        gh_failalloc_arm(0);
        assert_int_equal(gh_store_user_get(f->db, f->org.id, f->admin.id, &after, &e), GH_OK);
        assert_int_equal(gh_store_audit_last_seq(f->db, &seq1, &e), GH_OK);
        if (st == GH_OK) {
            if (after.checkin_exempt == before.checkin_exempt || seq1 == seq0)
                fail_msg("allocation %ld failing: answered OK but wrote %s", n,
                         after.checkin_exempt == before.checkin_exempt ? "nothing" : "no audit row");
        } else {
            if (st != GH_E_INTERNAL)
                fail_msg("allocation %ld failing gave status %d code %s", n, (int)st, ctx.err.code);
            assert_int_equal(after.checkin_exempt, before.checkin_exempt);
            assert_int_equal(seq1, seq0);
        }
        if (!hit) break;
    }
    assert_true(n > 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(invariant_scan_under_allocation_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(user_update_under_allocation_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
