/* The hashing pool: one source cannot take more than its share of the
 * queue, unknown sources cannot take the reserve, priority jobs run first,
 * jobs that wait line up, and stopping drains the queue. The pool is
 * included whole (h2o style). */
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
static int order[256];
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
    if (norder < 256) order[norder++] = (int)(intptr_t)arg;
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

static _Atomic int dones;
static void count_done(void *arg)
{
    (void)arg;
    dones++;
}

/* Holds the only worker with hold(); returns when it has started. */
static void occupy_worker(void)
{
    gate_open = false;
    gate_entered = false;
    norder = 0;
    assert_int_equal(gh_pool_submit_tagged(hold, NULL, NULL, NULL, NULL), GH_POOL_OK);
    pthread_mutex_lock(&gate_mu);
    while (!gate_entered) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void release_worker(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* A pool that cannot be what was asked does not start; one that is not
 * running takes nothing; stopping runs every queued job and its
 * continuation, once. */
static void start_refusals_and_stop_drains(void **state)
{
    (void)state;
    assert_int_equal(gh_pool_start(0, 16), -1);
    assert_int_equal(gh_pool_start(1, 3), -1);
    assert_int_equal(gh_pool_submit_tagged(record, NULL, NULL, NULL, NULL), GH_POOL_FULL);
    assert_false(gh_pool_submit(record, NULL, NULL, NULL));

    dones = 0;
    assert_int_equal(gh_pool_start(1, 8), 0);
    occupy_worker();
    for (int i = 0; i < 4; i++) assert_true(gh_pool_submit(record, (void *)(intptr_t)i, count_done, NULL));
    assert_int_equal(norder, 0); /* nothing ran past the held worker */
    release_worker();
    gh_pool_stop();
    assert_int_equal(norder, 4);
    assert_int_equal(dones, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(order[i], i);

    /* Stopped: refused again, and stopping twice is harmless. */
    assert_int_equal(gh_pool_submit_tagged(record, NULL, NULL, NULL, NULL), GH_POOL_FULL);
    gh_pool_stop();
}

/* Jobs tagged wait are not refused when the queue is full: they line up
 * and run in arrival order once room frees, within their source's share
 * of the line. */
static void waiting_jobs_line_up(void **state)
{
    (void)state;
    assert_int_equal(gh_pool_start(1, 8), 0);
    occupy_worker();
    int ok = 0;
    for (int i = 0; i < 6; i++) ok += gh_pool_submit(record, (void *)(intptr_t)i, NULL, NULL);
    assert_int_equal(ok, 6); /* the open part is full */
    assert_false(gh_pool_submit(record, (void *)(intptr_t)99, NULL, NULL));
    for (int i = 0; i < GH_POOL_WAIT_SHARE + 1; i++) {
        gh_pool_tag t = {.keys = {"kiosk:hall", NULL}, .wait = true};
        gh_pool_result r = gh_pool_submit_tagged(record, (void *)(intptr_t)(100 + i), NULL, NULL, &t);
        /* The last is past the source's share of the line. */
        assert_int_equal(r, i < GH_POOL_WAIT_SHARE ? GH_POOL_OK : GH_POOL_SOURCE_FULL);
    }
    /* Another source still gets a place in the line. */
    gh_pool_tag other = {.keys = {"kiosk:gate", NULL}, .wait = true};
    assert_int_equal(gh_pool_submit_tagged(record, (void *)(intptr_t)500, NULL, NULL, &other), GH_POOL_OK);
    release_worker();
    gh_pool_stop();
    /* Everything accepted ran once: the plain jobs first, in order, then
     * the line, each source's jobs in arrival order. */
    assert_int_equal(norder, 6 + GH_POOL_WAIT_SHARE + 1);
    for (int i = 0; i < 6; i++) assert_int_equal(order[i], i);
    int others = 0, prev = 99;
    for (int i = 6; i < norder; i++) {
        if (order[i] == 500) { others++; continue; }
        assert_int_equal(order[i], prev + 1);
        prev = order[i];
    }
    assert_int_equal(others, 1);
    assert_int_equal(prev, 100 + GH_POOL_WAIT_SHARE - 1);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fair_share_and_reserve),
        cmocka_unit_test(untagged_jobs_share_only_the_queue),
        cmocka_unit_test(start_refusals_and_stop_drains),
        cmocka_unit_test(waiting_jobs_line_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
