/*
 * Unit tests for core/throttle.c: free attempts, the doubling wait and its
 * cap, a day without failures starting over, one reservation in flight per
 * key (also under threads), lapsed reservations, reset, known keys and the
 * epoch that forget() renews.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/throttle.h"

#define T0 1800000000

static int clear(void **state)
{
    (void)state;
    gh_throttle_clear_all();
    return 0;
}

static void free_attempts_then_doubling(void **state)
{
    (void)state;
    int retry = 0;
    for (int i = 1; i <= 3; i++) {
        assert_true(gh_throttle_allowed("k", T0, &retry));
        assert_int_equal(gh_throttle_fail("k", T0, 3), i);
    }
    assert_true(gh_throttle_allowed("k", T0, &retry)); /* three free ones cost nothing */
    assert_int_equal(gh_throttle_fail("k", T0, 3), 4);  /* the first paid one: 1 s */
    assert_false(gh_throttle_allowed("k", T0, &retry));
    assert_int_equal(retry, 1);
    assert_true(gh_throttle_allowed("k", T0 + 1, &retry));
    gh_throttle_fail("k", T0 + 1, 3);                    /* 2 s */
    assert_false(gh_throttle_allowed("k", T0 + 2, &retry));
    assert_int_equal(retry, 1);
    assert_true(gh_throttle_allowed("k", T0 + 3, &retry));
    /* other keys are not touched */
    assert_true(gh_throttle_allowed("other", T0, &retry));
    assert_int_equal(gh_throttle_failures("other", T0), 0);
}

static void wait_is_capped_and_a_quiet_day_forgets(void **state)
{
    (void)state;
    int retry = 0;
    int64_t t = T0;
    for (int i = 0; i < 40; i++) gh_throttle_fail("k", t, 0);
    assert_false(gh_throttle_allowed("k", t, &retry));
    assert_true(retry >= 1 && retry <= 900);
    assert_int_equal(retry, 900);
    assert_true(gh_throttle_allowed("k", t + 900, &retry));
    assert_int_equal(gh_throttle_failures("k", t + 900), 40);
    /* a day without failures: the count starts over */
    assert_int_equal(gh_throttle_failures("k", t + 86400 + 1), 0);
}

static void one_reservation_in_flight(void **state)
{
    (void)state;
    int retry = 0;
    assert_true(gh_throttle_reserve("k", T0, &retry));
    assert_false(gh_throttle_reserve("k", T0, &retry));
    assert_true(retry >= 1);
    assert_false(gh_throttle_allowed("k", T0, &retry));
    gh_throttle_release("k", T0, true, 5);
    assert_int_equal(gh_throttle_failures("k", T0), 1);
    assert_true(gh_throttle_reserve("k", T0, &retry));
    gh_throttle_release("k", T0, false, 5);
    assert_int_equal(gh_throttle_failures("k", T0), 1); /* a success counts nothing */
    /* a reservation never released lapses */
    assert_true(gh_throttle_reserve("lost", T0, &retry));
    assert_false(gh_throttle_reserve("lost", T0 + GH_THROTTLE_LEASE - 1, &retry));
    assert_true(gh_throttle_reserve("lost", T0 + GH_THROTTLE_LEASE + 1, &retry));
}

static int winners;
static pthread_mutex_t winners_mu = PTHREAD_MUTEX_INITIALIZER;

static void *racer(void *arg)
{
    (void)arg;
    int retry = 0;
    if (gh_throttle_reserve("raced", T0, &retry)) {
        pthread_mutex_lock(&winners_mu);
        winners++;
        pthread_mutex_unlock(&winners_mu);
    }
    return NULL;
}

static void concurrent_reservations_admit_one(void **state)
{
    (void)state;
    pthread_t th[16];
    winners = 0;
    for (int i = 0; i < 16; i++) assert_int_equal(pthread_create(&th[i], NULL, racer, NULL), 0);
    for (int i = 0; i < 16; i++) pthread_join(th[i], NULL);
    assert_int_equal(winners, 1);
}

static void reset_known_and_epoch(void **state)
{
    (void)state;
    int retry = 0;
    for (int i = 0; i < 10; i++) gh_throttle_fail("k", T0, 0);
    assert_false(gh_throttle_allowed("k", T0, &retry));
    gh_throttle_reset("k");
    assert_true(gh_throttle_allowed("k", T0, &retry));
    assert_int_equal(gh_throttle_failures("k", T0), 0);

    assert_false(gh_throttle_is_known("addr", T0));
    gh_throttle_mark_known("addr", T0);
    assert_true(gh_throttle_is_known("addr", T0 + 10));
    assert_false(gh_throttle_is_known("addr", T0 + GH_THROTTLE_KNOWN_FOR + 1));

    uint32_t e1 = gh_throttle_epoch("acct", T0);
    assert_int_equal(gh_throttle_epoch("acct", T0 + 5), e1); /* stable while kept */
    gh_throttle_fail("acct", T0, 0);
    gh_throttle_forget("acct", T0);
    assert_int_equal(gh_throttle_failures("acct", T0), 0);
    /* a new epoch (32 random bits: equal by chance once in 4 billion runs) */
    assert_int_not_equal(gh_throttle_epoch("acct", T0), e1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(free_attempts_then_doubling, clear),
        cmocka_unit_test_setup(wait_is_capped_and_a_quiet_day_forgets, clear),
        cmocka_unit_test_setup(one_reservation_in_flight, clear),
        cmocka_unit_test_setup(concurrent_reservations_admit_one, clear),
        cmocka_unit_test_setup(reset_known_and_epoch, clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
