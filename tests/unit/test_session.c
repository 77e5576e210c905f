/*
 * Unit tests for src/core/session.c's shared state (the file is included to
 * reach its static functions, the h2o habit): the API key cache never keeps
 * a key read before a revocation cleared it, and the queue of "last used"
 * writes merges touches and lets a queued touch count for the idle timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/session.c"

static const char HASH[GH_HASH_HEX_LEN + 1] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void key_read_before_revocation_is_not_cached(void **state)
{
    (void)state;
    gh_apikey k = {0}, out;
    gh_strlcpy(k.id, "key_1", sizeof k.id);
    uint64_t epoch;
    gh_apikey_cache_clear();
    /* A request misses the cache and starts reading the key ... */
    assert_false(key_cache_lookup(HASH, 1000.0, &out, &epoch));
    /* ... a revocation commits and clears the cache ... */
    gh_apikey_cache_clear();
    /* ... and the older read must not refill it. */
    assert_false(key_cache_store(HASH, &k, epoch, 1000.0));
    assert_false(key_cache_lookup(HASH, 1001.0, &out, &epoch));
}

static void key_read_without_revocation_is_cached_for_a_second(void **state)
{
    (void)state;
    gh_apikey k = {0}, out;
    gh_strlcpy(k.id, "key_2", sizeof k.id);
    uint64_t epoch;
    gh_apikey_cache_clear();
    assert_false(key_cache_lookup(HASH, 1000.0, &out, &epoch));
    assert_true(key_cache_store(HASH, &k, epoch, 1000.0));
    assert_true(key_cache_lookup(HASH, 1500.0, &out, &epoch));
    assert_string_equal(out.id, "key_2");
    assert_false(key_cache_lookup(HASH, 2000.0, &out, &epoch)); /* KEY_CACHE_MS later */
    gh_apikey_cache_clear();
    assert_false(key_cache_lookup(HASH, 1500.0, &out, &epoch));
}

static void touches_merge_and_count_while_queued(void **state)
{
    (void)state;
    touch_n = 0;
    assert_int_equal(touch_pending_at("ses_a"), 0);
    touch_enqueue(TOUCH_SESSION, "ses_a", NULL, NULL, 100);
    touch_enqueue(TOUCH_SESSION, "ses_a", NULL, NULL, 130);
    touch_enqueue(TOUCH_SESSION, "ses_a", NULL, NULL, 120); /* older: ignored */
    touch_enqueue(TOUCH_KEY, "ses_a", NULL, NULL, 90);      /* another kind, same id */
    touch_enqueue(TOUCH_SESSION, "ses_b", NULL, NULL, 110);
    assert_int_equal(touch_n, 3);
    assert_int_equal(touch_pending_at("ses_a"), 130);
    assert_int_equal(touch_pending_at("ses_b"), 110);
    assert_int_equal(touch_pending_at("ses_c"), 0);
    touch_enqueue(TOUCH_SESSION_DELETE, "ses_b", "org_1", "usr_1", 140);
    assert_int_equal(touch_pending_at("ses_b"), -1); /* removal queued: gone */
    touch_n = 0;
}

static void touch_queue_is_bounded(void **state)
{
    (void)state;
    char id[GH_ID_MAX];
    touch_n = 0;
    for (int i = 0; i < TOUCH_QUEUE_MAX + 10; i++) {
        snprintf(id, sizeof id, "ses_%d", i);
        touch_enqueue(TOUCH_SESSION, id, NULL, NULL, 1);
    }
    assert_int_equal(touch_n, TOUCH_QUEUE_MAX);
    assert_int_equal(touch_pending_at("ses_0"), 1);
    touch_n = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_read_before_revocation_is_not_cached),
        cmocka_unit_test(key_read_without_revocation_is_cached_for_a_second),
        cmocka_unit_test(touches_merge_and_count_while_queued),
        cmocka_unit_test(touch_queue_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
