/* Webhook delivery (see webhooks.h): due deliveries leased from the
 * store, posted with curl within a timeout, signed, recorded, retried with
 * backoff and given up after a day. */
#include "core/webhooks.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/outbound.h"
#include "core/secretbox.h"
#include "core/sso.h"
#include "store/store.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

#include "core/webhooks_int.h"

#define SEND_TIMEOUT_S 15
#define LEASE_S (SEND_TIMEOUT_S + 120)
#define MAX_INFLIGHT 4
#define BACKOFF_FIRST_S 5
#define BACKOFF_MAX_S 3600
#define GIVE_UP_AFTER_S (24 * 3600)

/* ---- delivery ------------------------------------------------------------------------ */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned inflight;
static atomic_bool aborting;
static gh_metric *deliveries_metric;

void gh_webhooks_abort(bool on) { atomic_store(&aborting, on); }

void gh_webhooks_register_metrics(void)
{
    if (!deliveries_metric)
        deliveries_metric = gh_metric_counter("gatehouse_webhook_deliveries_total",
                                              "webhook delivery attempts recorded, by result (delivered, deferred, "
                                              "failed)", "result");
}

typedef struct hook_job {
    char id[GH_ID_MAX], webhook_id[GH_ID_MAX];
    char url[GH_WEBHOOK_URL_MAX + 1];
    char secret[SECRET_TEXT_MAX];
    char *payload;
    int64_t created_at, attempts;
} hook_job;

typedef struct reply {
    long code;
    char excerpt[GH_WEBHOOK_EXCERPT_MAX + 1];
    size_t len;
    char error[300];
    int outcome; /* 0 delivered, 1 try again, 3 not attempted (shutdown) */
} reply;

static size_t write_cb(char *data, size_t size, size_t nitems, void *arg)
{
    reply *r = arg;
    size_t n = size * nitems, room = GH_WEBHOOK_EXCERPT_MAX - r->len, take = n < room ? n : room;
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)data[i];
        r->excerpt[r->len++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    r->excerpt[r->len] = '\0';
    return n; /* the rest is read and dropped */
}

static int progress_cb(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg; (void)a; (void)b; (void)c; (void)d;
    return atomic_load(&aborting) ? 1 : 0;
}

static void post(const hook_job *j, reply *r)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    char sig[128], line[256], errbuf[CURL_ERROR_SIZE] = "";
    int64_t ts = gh_now();
    size_t blen = strlen(j->payload);
    r->outcome = 1;
    if (!h) { gh_strlcpy(r->error, "out of memory", sizeof r->error); goto out; }
    if (gh_webhook_sign(j->secret, j->id, ts, j->payload, blen, sig, sizeof sig) != 0) {
        gh_strlcpy(r->error, "the signing secret is unreadable", sizeof r->error);
        goto out;
    }
    const char *fixed[] = {"Content-Type: application/json", "User-Agent: gatehouse-webhooks", "Expect:"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *t = curl_slist_append(hdr, fixed[i]);
        if (!t) goto oom;
        hdr = t;
    }
    snprintf(line, sizeof line, "webhook-id: %s", j->id);
    struct curl_slist *t = curl_slist_append(hdr, line);
    if (!t) goto oom;
    hdr = t;
    snprintf(line, sizeof line, "webhook-timestamp: %lld", (long long)ts);
    if (!(t = curl_slist_append(hdr, line))) goto oom;
    hdr = t;
    snprintf(line, sizeof line, "webhook-signature: %s", sig);
    if (!(t = curl_slist_append(hdr, line))) goto oom;
    hdr = t;
    gh_outbound_curl_setup(h, SEND_TIMEOUT_S, NULL);
    curl_easy_setopt(h, CURLOPT_URL, j->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, strncmp(j->url, "https:", 6) == 0 ? "https" : "http");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->payload);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
    if (rc != CURLE_OK) {
        r->outcome = rc == CURLE_ABORTED_BY_CALLBACK || atomic_load(&aborting) ? 3 : 1;
        snprintf(r->error, sizeof r->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else if (r->code >= 200 && r->code < 300) {
        r->outcome = 0;
    } else if (r->code >= 300 && r->code < 400) {
        snprintf(r->error, sizeof r->error, "HTTP %ld: redirects are not followed", r->code);
    } else {
        snprintf(r->error, sizeof r->error, "HTTP %ld", r->code);
    }
    goto out;
oom:
    gh_strlcpy(r->error, "out of memory", sizeof r->error);
out:
    curl_slist_free_all(hdr);
    if (h) curl_easy_cleanup(h);
    sodium_memzero(sig, sizeof sig);
}

static int64_t backoff_s(int64_t attempts)
{
    int64_t d = BACKOFF_FIRST_S;
    for (int64_t i = 1; i < attempts && d < BACKOFF_MAX_S; i++) d *= 2;
    if (d > BACKOFF_MAX_S) d = BACKOFF_MAX_S;
    return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1));
}

static void record(const hook_job *j, const reply *r)
{
    for (int i = 0; i < 5; i++) {
        gh_db *db = gh_db_thread();
        if (!db) return; /* the lease runs out and it is claimed again */
        gh_err err = {0};
        int64_t now = gh_now(), next = 0;
        const char *status = "delivered";
        const char *error = r->error[0] ? r->error : NULL;
        char msg[400];
        if (r->outcome == 3) {
            status = "deferred";
            next = now;
            error = "interrupted by shutdown";
        } else if (r->outcome != 0) {
            next = now + backoff_s(j->attempts);
            status = "deferred";
            if (next > j->created_at + GIVE_UP_AFTER_S) {
                snprintf(msg, sizeof msg, "gave up after %lld attempts: %s", (long long)j->attempts, r->error);
                status = "failed";
                error = msg;
            }
        }
        gh_status st = gh_store_whdelivery_finish(db, j->id, status, now, next, r->code, r->excerpt, error, &err);
        gh_err_clear(&err);
        if (st == GH_OK) {
            if (deliveries_metric) gh_metric_inc(deliveries_metric, (const char *[]){status});
            gh_log(r->outcome == 0 ? GH_LOG_INFO : GH_LOG_WARN, NULL, "webhook delivery",
                   json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "delivery_id", j->id, "webhook_id", j->webhook_id,
                             "status", status, "attempts", (json_int_t)j->attempts, "http_status",
                             (json_int_t)r->code, "error", r->error));
            return;
        }
        if (st != GH_E_BUSY) break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    gh_logf(GH_LOG_ERROR, "cannot record webhook delivery %s; it is sent again after its lease", j->id);
}

static void job_free(hook_job *j)
{
    sodium_memzero(j->secret, sizeof j->secret);
    free(j->payload);
    free(j);
}

static void job_run(void *arg)
{
    hook_job *j = arg;
    reply r = {.outcome = 3};
    if (!gh_outbound_cancelled() && !atomic_load(&aborting)) post(j, &r);
    record(j, &r);
    job_free(j);
    pthread_mutex_lock(&mu);
    inflight--;
    pthread_mutex_unlock(&mu);
}

bool gh_webhooks_dispatch_one(void *dbp)
{
    gh_db *db = dbp;
    pthread_mutex_lock(&mu);
    bool room = inflight < MAX_INFLIGHT;
    pthread_mutex_unlock(&mu);
    if (!room || atomic_load(&aborting)) return false;
    gh_err err = {0};
    json_t *m = NULL;
    int64_t now = gh_now();
    if (gh_store_whdelivery_claim(db, now, LEASE_S, &m, &err) != GH_OK || !m) {
        gh_err_clear(&err);
        return false;
    }
    const char *id = json_string_value(json_object_get(m, "id"));
    const char *org = json_string_value(json_object_get(m, "org_id"));
    const char *hook = json_string_value(json_object_get(m, "webhook_id"));
    gh_webhook *w = calloc(1, sizeof *w);
    hook_job *j = calloc(1, sizeof *j);
    const char *why = "could not start the delivery";
    bool give_up = false;
    if (!w || !j) goto defer;
    if (gh_store_webhook_get(db, org, hook, w, &err) != GH_OK) goto defer; /* deleted: its rows went with it */
    if (!w->enabled) {
        why = "the endpoint is disabled";
        give_up = true;
        goto defer;
    }
    char context[160];
    size_t n = 0;
    gh_webhook_seal_context(w, context, sizeof context);
    if (gh_secretbox_open(context, w->secret, j->secret, sizeof j->secret, &n, &err) != GH_OK) {
        why = "the signing secret is unreadable";
        goto defer;
    }
    gh_strlcpy(j->id, id, sizeof j->id);
    gh_strlcpy(j->webhook_id, hook, sizeof j->webhook_id);
    gh_strlcpy(j->url, w->url, sizeof j->url);
    j->created_at = json_integer_value(json_object_get(m, "created_at"));
    j->attempts = json_integer_value(json_object_get(m, "attempts"));
    if (!(j->payload = strdup(json_string_value(json_object_get(m, "payload"))))) goto defer;
    pthread_mutex_lock(&mu);
    inflight++;
    pthread_mutex_unlock(&mu);
    if (gh_outbound_submit(job_run, j) != 0) {
        pthread_mutex_lock(&mu);
        inflight--;
        pthread_mutex_unlock(&mu);
        goto defer;
    }
    j = NULL;
    goto out;
defer:
    gh_err_clear(&err);
    gh_store_whdelivery_finish(db, id, give_up ? "failed" : "deferred", now, now + BACKOFF_FIRST_S, 0, NULL, why, &err);
out:
    if (j) job_free(j);
    if (w) sodium_memzero(w->secret, sizeof w->secret);
    free(w);
    json_decref(m);
    gh_err_clear(&err);
    return true;
}
