/*
 * Edge cases the fuzzers and the API tests reach only by chance: keyset
 * cursors at their size limits and with malformed hex (util/cursor.c), and
 * throttle reservations taken by many threads at once (core/throttle.c):
 * exactly one attempt per key is in flight, and every failure is counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <cmocka.h>

#include "core/throttle.h"
#include "util/cursor.h"

/* The longest name that fits: raw "name\nid" is (GH_CURSOR_MAX - 1) / 2 bytes. */
static void cursor_at_the_limit(void **state)
{
    (void)state;
    const size_t raw_max = (GH_CURSOR_MAX - 1) / 2;
    const char *id = "usr_0123456789";
    char name[GH_CURSOR_MAX], c[GH_CURSOR_MAX], n2[GH_CURSOR_MAX], i2[64];
    size_t fit = raw_max - strlen(id) - 1;
    memset(name, 'a', fit);
    name[fit] = '\0';
    assert_true(gh_cursor_encode(name, id, c));
    assert_int_equal(strlen(c), 2 * raw_max);
    assert_true(gh_cursor_decode(c, n2, sizeof n2, i2, sizeof i2));
    assert_string_equal(n2, name);
    assert_string_equal(i2, id);
    /* One byte more does not fit, and leaves an empty cursor. */
    name[fit] = 'a';
    name[fit + 1] = '\0';
    assert_false(gh_cursor_encode(name, id, c));
    assert_string_equal(c, "");
    /* A cursor longer than any encoded one is refused before decoding. */
    char longc[2 * GH_CURSOR_MAX];
    memset(longc, '6', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    assert_false(gh_cursor_decode(longc, n2, sizeof n2, i2, sizeof i2));
}

static void cursor_small_buffers_and_bad_hex(void **state)
{
    (void)state;
    char c[GH_CURSOR_MAX], name[8], id[8];
    assert_true(gh_cursor_encode("Anna", "usr_1", c));
    assert_true(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    /* Buffers too small for the parts: refused, never cut. */
    assert_false(gh_cursor_decode(c, name, 4, id, sizeof id));
    assert_false(gh_cursor_decode(c, name, sizeof name, id, 5));
    /* Empty name, empty id: both parts are whatever the newline splits. */
    assert_true(gh_cursor_encode("", "", c));
    assert_string_equal(c, "0a");
    assert_true(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    assert_string_equal(name, "");
    assert_string_equal(id, "");
    /* Odd length, a non-hex digit, a space, NULL. */
    assert_false(gh_cursor_decode("0a6", name, sizeof name, id, sizeof id));
    assert_false(gh_cursor_decode("0a6g", name, sizeof name, id, sizeof id));
    assert_false(gh_cursor_decode("0a 61", name, sizeof name, id, sizeof id));
    assert_false(gh_cursor_decode(NULL, name, sizeof name, id, sizeof id));
    /* Upper-case hex is the same cursor. */
    assert_true(gh_cursor_decode("410A42", name, sizeof name, id, sizeof id));
    assert_string_equal(name, "A");
    assert_string_equal(id, "B");
}

#define THREADS 8
#define GRANTS 50 /* reservations each thread takes */
static const int64_t T0 = 1800000000;
static atomic_int in_flight, max_in_flight, granted;
static pthread_barrier_t start;

/* Each thread takes the same key's reservation GRANTS times (trying again
 * when another holds it), fails the attempt and releases it: never two
 * holders at once. */
static void *guesser(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int mine = 0; mine < GRANTS;) {
        int wait = 0;
        if (!gh_throttle_reserve("race@acme.test", T0, &wait)) {
            if (wait < 1) abort();
            sched_yield();
            continue;
        }
        mine++;
        int now = atomic_fetch_add(&in_flight, 1) + 1;
        int seen = atomic_load(&max_in_flight);
        while (now > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now)) {}
        atomic_fetch_add(&granted, 1);
        atomic_fetch_sub(&in_flight, 1);
        /* A huge free allowance keeps the key open: only the race counts. */
        gh_throttle_release("race@acme.test", T0, true, 1000000);
    }
    return NULL;
}

static void throttle_one_reservation_at_a_time(void **state)
{
    (void)state;
    gh_throttle_clear_all();
    pthread_t t[THREADS];
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, guesser, NULL), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    assert_int_equal(atomic_load(&max_in_flight), 1);
    assert_int_equal(atomic_load(&granted), THREADS * GRANTS);
    /* Every released failure was counted, none lost to the race. */
    assert_int_equal(gh_throttle_failures("race@acme.test", T0), atomic_load(&granted));
    gh_throttle_clear_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cursor_at_the_limit),
        cmocka_unit_test(cursor_small_buffers_and_bad_hex),
        cmocka_unit_test(throttle_one_reservation_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
