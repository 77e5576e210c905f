/* The metrics registry (see metrics.h). Series are created under a mutex and
 * published by an atomic count; updates are atomic adds on the series found
 * by a lock-free scan, so a hot path costs a hash and a few compares. */
#include "util/metrics.h"
#include "util/hash.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_COUNTER, K_GAUGE, K_HISTOGRAM, K_GAUGE_FN } kind;

#define MAX_METRICS 128
#define KEY_MAX 320

typedef struct series {
    uint64_t hash;
    char key[KEY_MAX]; /* label values joined by \x1f */
    _Atomic uint64_t count;  /* counter value; histogram observations */
    _Atomic int64_t gauge;
    _Atomic uint64_t sum_micro; /* histogram sum, in millionths */
    _Atomic uint64_t buckets[GH_METRIC_MAX_BUCKETS];
} series;

struct gh_metric {
    char name[96];
    char help[200];
    kind k;
    size_t nlabels;
    char labels[GH_METRIC_MAX_LABELS][32];
    double bounds[GH_METRIC_MAX_BUCKETS];
    size_t nbounds;
    double (*fn)(void *);
    void *arg;
    series *series; /* GH_METRIC_MAX_SERIES, allocated on first use */
    _Atomic size_t nseries;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static gh_metric *metrics[MAX_METRICS];
static _Atomic size_t nmetrics;
static _Atomic uint64_t dropped;

static const double default_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static gh_metric *reg(const char *name, const char *help, kind k, const char *labels, const double *bounds,
                      size_t nbounds, double (*fn)(void *), void *arg)
{
    gh_metric *m = NULL;
    pthread_mutex_lock(&lock);
    size_t n = atomic_load(&nmetrics);
    for (size_t i = 0; i < n; i++)
        if (strcmp(metrics[i]->name, name) == 0) { m = metrics[i]; goto out; }
    if (n >= MAX_METRICS) goto out;
    m = calloc(1, sizeof *m);
    if (!m) goto out;
    gh_strlcpy(m->name, name, sizeof m->name);
    gh_strlcpy(m->help, help, sizeof m->help);
    m->k = k;
    m->fn = fn; /* set before the metric is published: render reads it unlocked */
    m->arg = arg;
    for (const char *p = labels; p && *p && m->nlabels < GH_METRIC_MAX_LABELS;) {
        size_t len = strcspn(p, ",");
        if (len >= sizeof m->labels[0]) len = sizeof m->labels[0] - 1;
        memcpy(m->labels[m->nlabels], p, len);
        m->labels[m->nlabels++][len] = '\0';
        p += strcspn(p, ",");
        if (*p == ',') p++;
    }
    if (k == K_HISTOGRAM) {
        if (!bounds) { bounds = default_bounds; nbounds = sizeof default_bounds / sizeof default_bounds[0]; }
        if (nbounds > GH_METRIC_MAX_BUCKETS) nbounds = GH_METRIC_MAX_BUCKETS;
        memcpy(m->bounds, bounds, nbounds * sizeof *bounds);
        m->nbounds = nbounds;
    }
    if (k != K_GAUGE_FN) {
        m->series = calloc(GH_METRIC_MAX_SERIES, sizeof *m->series);
        if (!m->series) { free(m); m = NULL; goto out; }
    }
    metrics[n] = m;
    atomic_store(&nmetrics, n + 1);
out:
    pthread_mutex_unlock(&lock);
    return m;
}

gh_metric *gh_metric_counter(const char *name, const char *help, const char *labels)
{
    return reg(name, help, K_COUNTER, labels, NULL, 0, NULL, NULL);
}

gh_metric *gh_metric_gauge(const char *name, const char *help, const char *labels)
{
    return reg(name, help, K_GAUGE, labels, NULL, 0, NULL, NULL);
}

gh_metric *gh_metric_histogram(const char *name, const char *help, const char *labels, const double *bounds,
                               size_t nbounds)
{
    return reg(name, help, K_HISTOGRAM, labels, bounds, nbounds, NULL, NULL);
}

gh_metric *gh_metric_gauge_fn(const char *name, const char *help, double (*fn)(void *arg), void *arg)
{
    return reg(name, help, K_GAUGE_FN, NULL, NULL, 0, fn, arg);
}

/* The series for these label values, created when new; NULL when full. */
static series *find(gh_metric *m, const char *const *values)
{
    if (!m || !m->series) return NULL;
    char key[KEY_MAX];
    size_t len = 0;
    for (size_t i = 0; i < m->nlabels; i++) {
        const char *v = values && values[i] ? values[i] : "";
        int w = snprintf(key + len, sizeof key - len, "%s%s", i ? "\x1f" : "", v);
        if (w < 0 || (size_t)w >= sizeof key - len) { len = sizeof key - 1; break; }
        len += (size_t)w;
    }
    key[len] = '\0';
    uint64_t h = gh_hash(key, len);
    size_t n = atomic_load_explicit(&m->nseries, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (m->series[i].hash == h && strcmp(m->series[i].key, key) == 0) return &m->series[i];
    series *s = NULL;
    pthread_mutex_lock(&lock);
    n = atomic_load(&m->nseries);
    for (size_t i = 0; i < n; i++)
        if (m->series[i].hash == h && strcmp(m->series[i].key, key) == 0) { s = &m->series[i]; goto out; }
    if (n >= GH_METRIC_MAX_SERIES) {
        atomic_fetch_add(&dropped, 1);
        goto out;
    }
    s = &m->series[n];
    s->hash = h;
    memcpy(s->key, key, len + 1);
    atomic_store_explicit(&m->nseries, n + 1, memory_order_release);
out:
    pthread_mutex_unlock(&lock);
    return s;
}

void gh_metric_add(gh_metric *m, const char *const *values, uint64_t n)
{
    series *s = find(m, values);
    if (s) atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void gh_metric_inc(gh_metric *m, const char *const *values) { gh_metric_add(m, values, 1); }

void gh_metric_set(gh_metric *m, const char *const *values, int64_t v)
{
    series *s = find(m, values);
    if (s) atomic_store_explicit(&s->gauge, v, memory_order_relaxed);
}

void gh_metric_gauge_add(gh_metric *m, const char *const *values, int64_t delta)
{
    series *s = find(m, values);
    if (s) atomic_fetch_add_explicit(&s->gauge, delta, memory_order_relaxed);
}

void gh_metric_observe(gh_metric *m, const char *const *values, double v)
{
    series *s = find(m, values);
    if (!s || !(v >= 0)) return; /* NaN and negative durations are dropped */
    size_t b = 0;
    while (b < m->nbounds && v > m->bounds[b]) b++;
    if (b < m->nbounds) atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    double micro = v * 1e6;
    atomic_fetch_add_explicit(&s->sum_micro, micro < 1.8e19 ? (uint64_t)micro : UINT64_MAX / 2, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

static void put_escaped(gh_buf *out, const char *s, bool help)
{
    for (; *s; s++) {
        if (*s == '\\') gh_buf_puts(out, "\\\\");
        else if (*s == '\n') gh_buf_puts(out, "\\n");
        else if (*s == '"' && !help) gh_buf_puts(out, "\\\"");
        else gh_buf_append(out, s, 1);
    }
}

/* {a="x",b="y"[,le="0.5"]} or nothing. */
static void put_labels(gh_buf *out, const gh_metric *m, const char *key, const char *le)
{
    if (m->nlabels == 0 && !le) return;
    gh_buf_puts(out, "{");
    const char *p = key;
    for (size_t i = 0; i < m->nlabels; i++) {
        size_t len = strcspn(p, "\x1f");
        char v[KEY_MAX];
        memcpy(v, p, len);
        v[len] = '\0';
        gh_buf_printf(out, "%s%s=\"", i ? "," : "", m->labels[i]);
        put_escaped(out, v, false);
        gh_buf_puts(out, "\"");
        p += len;
        if (*p) p++;
    }
    if (le) gh_buf_printf(out, "%sle=\"%s\"", m->nlabels ? "," : "", le);
    gh_buf_puts(out, "}");
}

void gh_metrics_render(gh_buf *out)
{
    size_t n = atomic_load(&nmetrics);
    for (size_t i = 0; i < n; i++) {
        const gh_metric *m = metrics[i];
        static const char *const types[] = {"counter", "gauge", "histogram", "gauge"};
        gh_buf_printf(out, "# HELP %s ", m->name);
        put_escaped(out, m->help, true);
        gh_buf_printf(out, "\n# TYPE %s %s\n", m->name, types[m->k]);
        if (m->k == K_GAUGE_FN) {
            double v = m->fn ? m->fn(m->arg) : NAN;
            if (!isnan(v)) gh_buf_printf(out, "%s %.17g\n", m->name, v);
            continue;
        }
        size_t ns = atomic_load_explicit(&m->nseries, memory_order_acquire);
        for (size_t j = 0; j < ns; j++) {
            const series *s = &m->series[j];
            if (m->k == K_COUNTER) {
                gh_buf_puts(out, m->name);
                put_labels(out, m, s->key, NULL);
                gh_buf_printf(out, " %llu\n", (unsigned long long)atomic_load(&s->count));
            } else if (m->k == K_GAUGE) {
                gh_buf_puts(out, m->name);
                put_labels(out, m, s->key, NULL);
                gh_buf_printf(out, " %lld\n", (long long)atomic_load(&s->gauge));
            } else {
                uint64_t count = atomic_load(&s->count), cum = 0;
                for (size_t b = 0; b < m->nbounds; b++) {
                    char le[32];
                    snprintf(le, sizeof le, "%g", m->bounds[b]);
                    cum += atomic_load(&s->buckets[b]);
                    gh_buf_printf(out, "%s_bucket", m->name);
                    put_labels(out, m, s->key, le);
                    gh_buf_printf(out, " %llu\n", (unsigned long long)(cum < count ? cum : count));
                }
                gh_buf_printf(out, "%s_bucket", m->name);
                put_labels(out, m, s->key, "+Inf");
                gh_buf_printf(out, " %llu\n%s_sum", (unsigned long long)count, m->name);
                put_labels(out, m, s->key, NULL);
                gh_buf_printf(out, " %.6f\n%s_count", (double)atomic_load(&s->sum_micro) / 1e6, m->name);
                put_labels(out, m, s->key, NULL);
                gh_buf_printf(out, " %llu\n", (unsigned long long)count);
            }
        }
    }
    gh_buf_printf(out,
                  "# HELP gatehouse_metrics_series_dropped_total label combinations beyond a metric's limit\n"
                  "# TYPE gatehouse_metrics_series_dropped_total counter\n"
                  "gatehouse_metrics_series_dropped_total %llu\n",
                  (unsigned long long)atomic_load(&dropped));
}

void gh_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    size_t n = atomic_load(&nmetrics);
    for (size_t i = 0; i < n; i++) {
        free(metrics[i]->series);
        free(metrics[i]);
        metrics[i] = NULL;
    }
    atomic_store(&nmetrics, 0);
    atomic_store(&dropped, 0);
    pthread_mutex_unlock(&lock);
}
