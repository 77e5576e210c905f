/* The hashing pool's fair share (issue 12): one source cannot take more
 * than its share of the queue, unknown sources cannot take the reserve, and
 * priority jobs run first. The pool is included whole (h2o style). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "../../src/http/pool.c"

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_entered;
static int order[64];
static int norder;

/* The first job holds the only worker until the gate opens. */
static void hold(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate_mu);
    gate_entered = true;
    pthread_cond_broadcast(&gate_cv);
    while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void record(void *arg)
{
    pthread_mutex_lock(&gate_mu);
    if (norder < 64) order[norder++] = (int)(intptr_t)arg;
    pthread_mutex_unlock(&gate_mu);
}

static gh_pool_result submit(int id, const char *k1, const char *k2, bool priority)
{
    gh_pool_tag t = {.keys = {k1, k2}, .priority = priority};
    return gh_pool_submit_tagged(record, (void *)(intptr_t)id, NULL, NULL, &t);
}

static void fair_share_and_reserve(void **state)
{
    (void)state;
    assert_int_equal(gh_pool_start(1, 16), 0);
    assert_int_equal(gh_pool_share(), 2);
    gh_pool_tag ht = {.keys = {"acct:victim", "ip:198.51.100.1"}};
    assert_int_equal(gh_pool_submit_tagged(hold, NULL, NULL, NULL, &ht), GH_POOL_OK);
    pthread_mutex_lock(&gate_mu);
    while (!gate_entered) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    /* The running job counts: the victim account has one more place. */
    assert_int_equal(submit(1, "acct:victim", "ip:198.51.100.2", false), GH_POOL_OK);
    assert_int_equal(submit(2, "acct:victim", "ip:198.51.100.3", false), GH_POOL_SOURCE_FULL);
    /* One address cannot take more either, whatever accounts it names. */
    assert_int_equal(submit(3, "acct:a", "ip:203.0.113.9", false), GH_POOL_OK);
    assert_int_equal(submit(4, "acct:b", "ip:203.0.113.9", false), GH_POOL_OK);
    assert_int_equal(submit(5, "acct:c", "ip:203.0.113.9", false), GH_POOL_SOURCE_FULL);
    /* Many addresses and accounts fill the open part (12 of 16)... */
    char a[32], b[32];
    int queued = 3, id = 10;
    for (; queued < 12; queued++, id++) {
        snprintf(a, sizeof a, "acct:spray%d", id);
        snprintf(b, sizeof b, "ip:192.0.2.%d", id);
        assert_int_equal(submit(id, a, b, false), GH_POOL_OK);
    }
    assert_int_equal(submit(99, "acct:late", "ip:192.0.2.250", false), GH_POOL_FULL);
    /* ...but the owner from a known address still gets a place, and runs first. */
    assert_int_equal(submit(100, "acct:owner", "ip:10.0.0.5", true), GH_POOL_OK);
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    gh_pool_stop();
    assert_int_equal(norder, 13);
    assert_int_equal(order[0], 100);
    assert_int_equal(order[1], 1);
}

static void untagged_jobs_share_only_the_queue(void **state)
{
    (void)state;
    gate_open = false;
    gate_entered = false;
    norder = 0;
    assert_int_equal(gh_pool_start(1, 8), 0);
    assert_int_equal(gh_pool_submit_tagged(hold, NULL, NULL, NULL, NULL), GH_POOL_OK);
    pthread_mutex_lock(&gate_mu);
    while (!gate_entered) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    int ok = 0;
    for (int i = 0; i < 20; i++) ok += gh_pool_submit(record, (void *)(intptr_t)i, NULL, NULL);
    assert_int_equal(ok, 6); /* 8 less the reserve of 2 */
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    gh_pool_stop();
    assert_int_equal(norder, 6);
    for (int i = 0; i < 6; i++) assert_int_equal(order[i], i); /* FIFO */
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fair_share_and_reserve),
        cmocka_unit_test(untagged_jobs_share_only_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
