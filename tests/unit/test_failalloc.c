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

#include "dbfixture.h"

#include "core/access.h"
#include "core/accounts.h"
#include "core/catalog.h"
#include "core/secret.h"
#include "failalloc.h"
#include "store/store.h"

typedef gh_fx_org fx;

static int setup(void **state)
{
    *state = gh_fx_org_new("failalloc");
    return 0;
}

static int teardown(void **state)
{
    gh_failalloc_arm(0);
    gh_fx_org_free(*state);
    return 0;
}

static gh_ctx sys_ctx(const fx *f) { return gh_fx_sys_ctx(f); }

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
