/* The metrics registry (util/metrics.h): the text format, labels and their
 * escaping, cumulative histogram buckets, idempotent registration, the series
 * limit, and exact counts under concurrent updates. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/metrics.h"

static char *render(gh_buf *b)
{
    gh_buf_init(b, 1u << 24);
    gh_metrics_render(b);
    gh_buf_append(b, "", 1);
    assert_true(gh_buf_ok(b));
    return b->data;
}

static void test_counter_and_labels(void **state)
{
    (void)state;
    gh_metrics_reset();
    gh_metric *c = gh_metric_counter("gatehouse_t_total", "a test \\ counter\nwith lines", "route,status");
    assert_ptr_equal(c, gh_metric_counter("gatehouse_t_total", "other help", "route,status"));
    gh_metric_inc(c, (const char *[]){"/v1/users", "200"});
    gh_metric_add(c, (const char *[]){"/v1/users", "200"}, 4);
    gh_metric_inc(c, (const char *[]){"a\"b\\c\nd", "500"});
    gh_buf b;
    const char *t = render(&b);
    assert_non_null(strstr(t, "# HELP gatehouse_t_total a test \\\\ counter\\nwith lines\n"));
    assert_non_null(strstr(t, "# TYPE gatehouse_t_total counter\n"));
    assert_non_null(strstr(t, "gatehouse_t_total{route=\"/v1/users\",status=\"200\"} 5\n"));
    assert_non_null(strstr(t, "gatehouse_t_total{route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"));
    gh_buf_release(&b);
}

static void test_histogram_cumulative(void **state)
{
    (void)state;
    gh_metrics_reset();
    static const double bounds[] = {0.1, 1, 10};
    gh_metric *h = gh_metric_histogram("gatehouse_t_seconds", "h", NULL, bounds, 3);
    gh_metric_observe(h, NULL, 0.05);
    gh_metric_observe(h, NULL, 0.5);
    gh_metric_observe(h, NULL, 0.5);
    gh_metric_observe(h, NULL, 100);
    gh_metric_observe(h, NULL, -1); /* dropped */
    gh_buf b;
    const char *t = render(&b);
    assert_non_null(strstr(t, "gatehouse_t_seconds_bucket{le=\"0.1\"} 1\n"
                              "gatehouse_t_seconds_bucket{le=\"1\"} 3\n"
                              "gatehouse_t_seconds_bucket{le=\"10\"} 3\n"
                              "gatehouse_t_seconds_bucket{le=\"+Inf\"} 4\n"
                              "gatehouse_t_seconds_sum 101.050000\n"
                              "gatehouse_t_seconds_count 4\n"));
    gh_buf_release(&b);
}

static double value_of(void *arg) { return *(double *)arg; }

static void test_gauges(void **state)
{
    (void)state;
    gh_metrics_reset();
    gh_metric *g = gh_metric_gauge("gatehouse_t_gauge", "g", NULL);
    gh_metric_set(g, NULL, 10);
    gh_metric_gauge_add(g, NULL, -3);
    static double v = 7;
    gh_metric_gauge_fn("gatehouse_t_fn", "f", value_of, &v);
    gh_buf b;
    const char *t = render(&b);
    assert_non_null(strstr(t, "# TYPE gatehouse_t_gauge gauge\ngatehouse_t_gauge 7\n"));
    assert_non_null(strstr(t, "gatehouse_t_fn 7\n"));
    gh_buf_release(&b);
}

static void test_series_limit(void **state)
{
    (void)state;
    gh_metrics_reset();
    gh_metric *c = gh_metric_counter("gatehouse_t_many_total", "m", "k");
    char v[16];
    for (int i = 0; i < GH_METRIC_MAX_SERIES + 5; i++) {
        snprintf(v, sizeof v, "%d", i);
        gh_metric_inc(c, (const char *[]){v});
    }
    gh_buf b;
    const char *t = render(&b);
    assert_non_null(strstr(t, "gatehouse_metrics_series_dropped_total 5\n"));
    gh_buf_release(&b);
}

static gh_metric *shared;

static void *hammer(void *arg)
{
    const char *label = arg;
    for (int i = 0; i < 20000; i++) gh_metric_inc(shared, (const char *[]){label});
    return NULL;
}

static void test_concurrent_counts_exact(void **state)
{
    (void)state;
    gh_metrics_reset();
    shared = gh_metric_counter("gatehouse_t_conc_total", "c", "who");
    pthread_t th[4];
    static const char *const who[] = {"a", "b", "a", "b"};
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)who[i]), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    gh_buf b;
    const char *t = render(&b);
    assert_non_null(strstr(t, "gatehouse_t_conc_total{who=\"a\"} 40000\n"));
    assert_non_null(strstr(t, "gatehouse_t_conc_total{who=\"b\"} 40000\n"));
    gh_buf_release(&b);
    gh_metrics_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_labels),
        cmocka_unit_test(test_histogram_cumulative),
        cmocka_unit_test(test_gauges),
        cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_concurrent_counts_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
