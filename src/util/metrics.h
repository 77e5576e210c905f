/*
 * A small registry of Prometheus metrics: counters, gauges and histograms,
 * optionally with labels, updated with atomics from any thread, rendered in
 * the Prometheus text format (0.0.4) by gh_metrics_render (GET /metrics).
 *
 * Registering (once, at start, before threads use it; names get no prefix,
 * give the whole "gatehouse_..." name):
 *
 *     static gh_metric *mail_failed;
 *     mail_failed = gh_metric_counter("gatehouse_mail_failures_total", "mails that could not be sent", NULL);
 *     gh_metric_inc(mail_failed, NULL);
 *
 *     static gh_metric *sent = gh_metric_counter("gatehouse_mail_sent_total", "mails sent", "kind");
 *     gh_metric_inc(sent, (const char *[]){"invite"});
 *
 * Registering the same name again returns the same metric (so modules may
 * register lazily). A gauge whose value is computed at scrape time (a queue
 * depth, a backlog in the database) is gh_metric_gauge_fn. Label values are
 * escaped on output; a metric holds at most GH_METRIC_MAX_SERIES label
 * combinations (more are counted in gatehouse_metrics_series_dropped_total).
 */
#ifndef GH_METRICS_H
#define GH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define GH_METRIC_MAX_LABELS 4
#define GH_METRIC_MAX_SERIES 1024
#define GH_METRIC_MAX_BUCKETS 16

typedef struct gh_metric gh_metric;

/* labels: comma-separated label names ("route,method,status") or NULL. */
gh_metric *gh_metric_counter(const char *name, const char *help, const char *labels);
gh_metric *gh_metric_gauge(const char *name, const char *help, const char *labels);
/* bounds: the upper bounds of the buckets, ascending, in the metric's unit
 * (seconds for *_seconds); NULL for the default latency buckets. */
gh_metric *gh_metric_histogram(const char *name, const char *help, const char *labels, const double *bounds,
                               size_t nbounds);
/* A gauge without labels whose value fn(arg) gives at scrape time; fn runs
 * on the scraping HTTP thread (it may use gh_db_thread()); return NAN to
 * leave the sample out. */
gh_metric *gh_metric_gauge_fn(const char *name, const char *help, double (*fn)(void *arg), void *arg);

/* values: one string per label name (NULL when the metric has no labels). */
void gh_metric_inc(gh_metric *m, const char *const *values);
void gh_metric_add(gh_metric *m, const char *const *values, uint64_t n);
void gh_metric_set(gh_metric *m, const char *const *values, int64_t v); /* gauges */
void gh_metric_gauge_add(gh_metric *m, const char *const *values, int64_t delta);
void gh_metric_observe(gh_metric *m, const char *const *values, double v); /* histograms */

/* Appends every metric in the text format. */
void gh_metrics_render(gh_buf *out);
/* Forgets every metric (tests). Not safe while other threads update. */
void gh_metrics_reset(void);

#endif
