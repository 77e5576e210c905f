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

#include "dbfixture.h"

#include "core/access.h"
#include "core/accounts.h"
#include "core/catalog.h"
#include "core/secret.h"
#include "store/store.h"

typedef gh_fx_org fx;

static int setup(void **state)
{
    *state = gh_fx_org_new("txpre");
    return 0;
}

static int teardown(void **state)
{
    gh_fx_org_free(*state);
    return 0;
}

static gh_ctx sys_ctx(const fx *f) { return gh_fx_sys_ctx(f); }

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
