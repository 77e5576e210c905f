/* The delivery outbox's dispatcher and the SMTP sender (see delivery.h). */
#include "core/delivery.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mail.h"
#include "core/outbound.h"
#include "core/webhooks.h"
#include "store/store.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

#define MAX_INFLIGHT 4
#define LEASE_EXTRA_S 120       /* lease = send timeout + this */
#define BACKOFF_FIRST_S 60
#define BACKOFF_MAX_S 3600
#define GIVE_UP_AFTER_S (24 * 3600)
#define SCRUB_EVERY_S 30

static struct {
    bool configured, plain, auth;
    char url[1024], user[256], password[256], from_name[256], from_addr[256], ca_file[1024];
    long timeout_s;
} cfg;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static bool running, stop_flag;
static unsigned inflight;
static atomic_bool aborting;

int gh_delivery_configure(const gh_smtp_settings *s, char *err, size_t errlen)
{
    gh_delivery_forget();
    if (!s->url || !*s->url) return 0;
    bool smtps = strncmp(s->url, "smtps://", 8) == 0;
    if (!smtps && strncmp(s->url, "smtp://", 7) != 0) {
        snprintf(err, errlen, "--smtp-url must start with smtp:// (STARTTLS) or smtps://");
        return -1;
    }
    if (smtps && s->plain) {
        snprintf(err, errlen, "--smtp-plain cannot be combined with an smtps:// URL");
        return -1;
    }
    if (!s->from || !gh_mail_parse_from(s->from, cfg.from_name, sizeof cfg.from_name, cfg.from_addr,
                                        sizeof cfg.from_addr)) {
        snprintf(err, errlen, "--mail-from must be \"Name <address>\" or an address when SMTP is configured");
        gh_delivery_forget();
        return -1;
    }
    if (!gh_strlcpy(cfg.url, s->url, sizeof cfg.url) ||
        (s->ca_file && !gh_strlcpy(cfg.ca_file, s->ca_file, sizeof cfg.ca_file)) ||
        (s->user && !gh_strlcpy(cfg.user, s->user, sizeof cfg.user)) ||
        (s->password && !gh_strlcpy(cfg.password, s->password, sizeof cfg.password))) {
        snprintf(err, errlen, "an SMTP setting is too long");
        gh_delivery_forget();
        return -1;
    }
    cfg.auth = s->user && *s->user;
    cfg.plain = s->plain;
    cfg.timeout_s = s->timeout_s > 0 ? s->timeout_s : 60;
    cfg.configured = true;
    return 0;
}

void gh_delivery_forget(void)
{
    sodium_memzero(&cfg, sizeof cfg);
}

bool gh_delivery_configured(void) { return cfg.configured; }

/* ---- one SMTP transaction ---------------------------------------------------- */
typedef struct send_result {
    int outcome; /* 0 sent, 1 temporary failure, 2 permanent failure, 3 not attempted */
    long code;
    bool error_seen;
    char reply[512];
} send_result;

typedef struct reader {
    const char *p;
    size_t left;
} reader;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    reader *r = arg;
    size_t cap = size * nitems, n = r->left < cap ? r->left : cap;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

/* Keeps the server's first error reply (4xx/5xx) and its last other reply
 * but the closing "221". */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)h;
    send_result *r = arg;
    if (type != CURLINFO_HEADER_IN || size < 3) return 0;
    bool error = data[0] == '4' || data[0] == '5';
    if (r->error_seen || (!error && strncmp(data, "221", 3) == 0)) return 0;
    size_t n = size < sizeof r->reply - 1 ? size : sizeof r->reply - 1;
    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r')) n--;
    memcpy(r->reply, data, n);
    r->reply[n] = '\0';
    for (size_t i = 0; i < n; i++) if ((unsigned char)r->reply[i] < 0x20) r->reply[i] = ' ';
    r->error_seen = error;
    return 0;
}

static int progress_cb(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg; (void)a; (void)b; (void)c; (void)d;
    return atomic_load(&aborting) ? 1 : 0;
}

static void smtp_send(const char *to, const char *msg, size_t len, send_result *r)
{
    CURL *h = curl_easy_init();
    struct curl_slist *rcpt = NULL;
    char from[300], rcpt_s[300], errbuf[CURL_ERROR_SIZE] = "";
    r->outcome = 1;
    r->code = 0;
    r->reply[0] = '\0';
    if (!h) { gh_strlcpy(r->reply, "out of memory", sizeof r->reply); goto out; }
    snprintf(from, sizeof from, "<%s>", cfg.from_addr);
    if (snprintf(rcpt_s, sizeof rcpt_s, "<%s>", to) >= (int)sizeof rcpt_s) {
        r->outcome = 2;
        gh_strlcpy(r->reply, "recipient address too long", sizeof r->reply);
        goto out;
    }
    rcpt = curl_slist_append(NULL, rcpt_s);
    if (!rcpt) { gh_strlcpy(r->reply, "out of memory", sizeof r->reply); goto out; }
    reader rd = {msg, len};
    gh_outbound_curl_setup(h, cfg.timeout_s, cfg.ca_file);
    curl_easy_setopt(h, CURLOPT_URL, cfg.url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL, cfg.plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    if (cfg.auth) {
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg.user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg.password);
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &rd);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, r);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
    if (rc == CURLE_OK) {
        r->outcome = 0;
    } else {
        r->outcome = r->code >= 500 && r->code < 600 ? 2 : 1;
        if (rc == CURLE_ABORTED_BY_CALLBACK || atomic_load(&aborting)) r->outcome = 3;
        /* The server's reply when it gave one, else what libcurl saw. */
        if (!r->error_seen)
            snprintf(r->reply, sizeof r->reply, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
out:
    curl_slist_free_all(rcpt);
    if (h) curl_easy_cleanup(h);
}

/* ---- building a message ------------------------------------------------------ */
static char *build(const char *id, const char *to, const char *subject, const char *text, const char *html,
                   size_t *len)
{
    unsigned char rnd[16];
    char hex[33], mid[400], boundary[64];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    const char *domain = strchr(cfg.from_addr, '@');
    snprintf(mid, sizeof mid, "<%s.%s@%s>", hex, id, domain ? domain + 1 : "gatehouse.invalid");
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(boundary, sizeof boundary, "=_gh_%s", hex); /* '=' and '_' never occur in base64 lines */
    char *own_html = NULL;
    if (!html) html = own_html = gh_mail_html_of_text(subject, "", text);
    char *msg = NULL;
    if (html) {
        gh_mail_msg m = {.from_name = cfg.from_name, .from_addr = cfg.from_addr, .to = to, .subject = subject,
                         .text = text, .html = html, .date = gh_now(), .message_id = mid, .boundary = boundary};
        msg = gh_mail_build(&m, len);
    }
    if (own_html) {
        sodium_memzero(own_html, strlen(own_html));
        free(own_html);
    }
    return msg;
}

/* ---- the outbox jobs ----------------------------------------------------------- */
typedef struct mail_job {
    char id[GH_ID_MAX];
    char to[GH_EMAIL_MAX + 1];
    char *msg;
    size_t len;
    int64_t created_at, attempts;
} mail_job;

static int64_t backoff_s(int64_t attempts)
{
    int64_t d = BACKOFF_FIRST_S;
    for (int64_t i = 1; i < attempts && d < BACKOFF_MAX_S; i++) d *= 2;
    if (d > BACKOFF_MAX_S) d = BACKOFF_MAX_S;
    /* jitter: between half and the whole delay */
    return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1));
}

static void record_once(const mail_job *j, const send_result *r, gh_err *err, gh_status *out);

/* gatehouse_mail_deliveries_total{result}: registered by gh_delivery_start,
 * before the dispatcher's thread exists. */
static gh_metric *deliveries_metric;

/* Records the outcome; a busy database (another process writing) is retried
 * a few times, since an unrecorded send waits for its lease to run out and is
 * then sent again. */
static void record(const mail_job *j, const send_result *r)
{
    gh_status st = GH_OK;
    for (int i = 0; i < 5; i++) {
        gh_err err = {0};
        record_once(j, r, &err, &st);
        if (st == GH_OK || st != GH_E_BUSY) {
            if (st != GH_OK)
                gh_logf(GH_LOG_ERROR, "cannot record the delivery of %s: %s", j->id, err.detail[0] ? err.detail : "db");
            gh_err_clear(&err);
            return;
        }
        gh_err_clear(&err);
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    gh_logf(GH_LOG_ERROR, "cannot record the delivery of %s: the database stayed busy; it is sent again after its lease", j->id);
}

static void record_once(const mail_job *j, const send_result *r, gh_err *errp, gh_status *out)
{
    gh_db *db = gh_db_thread();
    *out = GH_E_INTERNAL;
    if (!db) return; /* the lease runs out and the mail is claimed again */
    gh_err err = {0};
    int64_t now = gh_now();
    gh_status st;
    const char *status = "sent";
    if (r->outcome == 0) {
        st = gh_store_outbox_finish(db, j->id, "sent", now, 0, NULL, &err);
        if (st == GH_OK) gh_store_outbox_scrub(db, now, &err);
    } else if (r->outcome == 2) {
        status = "failed";
        st = gh_store_outbox_finish(db, j->id, "failed", now, 0, r->reply, &err);
        if (st == GH_OK) gh_store_outbox_scrub(db, now, &err);
    } else if (r->outcome == 3) {
        status = "deferred";
        st = gh_store_outbox_finish(db, j->id, "deferred", now, now, "interrupted by shutdown", &err);
    } else {
        int64_t next = now + backoff_s(j->attempts);
        if (next > j->created_at + GIVE_UP_AFTER_S) {
            char msg[600];
            snprintf(msg, sizeof msg, "gave up after %lld attempts: %s", (long long)j->attempts, r->reply);
            status = "failed";
            st = gh_store_outbox_finish(db, j->id, "failed", now, 0, msg, &err);
            if (st == GH_OK) gh_store_outbox_scrub(db, now, &err);
        } else {
            status = "deferred";
            st = gh_store_outbox_finish(db, j->id, "deferred", now, next, r->reply, &err);
        }
    }
    if (st == GH_OK && deliveries_metric) gh_metric_inc(deliveries_metric, (const char *[]){status});
    if (st == GH_OK)
        gh_log(r->outcome == 0 ? GH_LOG_INFO : GH_LOG_WARN, NULL, "mail delivery",
           json_pack("{s:s, s:s, s:I, s:s}", "mail_id", j->id, "status", status, "attempts",
                     (json_int_t)j->attempts, "reply", r->reply));
    *out = st;
    *errp = err;
}

static void job_free(mail_job *j)
{
    if (j->msg) {
        sodium_memzero(j->msg, j->len);
        free(j->msg);
    }
    free(j);
}

static void job_run(void *arg)
{
    mail_job *j = arg;
    send_result r = {.outcome = 3};
    if (!gh_outbound_cancelled() && !atomic_load(&aborting)) smtp_send(j->to, j->msg, j->len, &r);
    record(j, &r);
    job_free(j);
    pthread_mutex_lock(&mu);
    inflight--;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* Claims what is due and hands it to the workers; false when nothing was. */
static bool dispatch_one(gh_db *db)
{
    pthread_mutex_lock(&mu);
    bool room = inflight < MAX_INFLIGHT;
    pthread_mutex_unlock(&mu);
    if (!room) return false;
    gh_err err = {0};
    json_t *m = NULL;
    int64_t now = gh_now();
    if (gh_store_outbox_claim(db, now, cfg.configured ? cfg.timeout_s + LEASE_EXTRA_S : LEASE_EXTRA_S, &m, &err)
            != GH_OK || !m) {
        gh_err_clear(&err);
        return false;
    }
    const char *id = json_string_value(json_object_get(m, "id"));
    if (!cfg.configured) {
        gh_log(GH_LOG_INFO, NULL, "mail queued (no SMTP configured; see `gatehouse outbox`)",
               json_pack("{s:s, s:O, s:O, s:O}", "mail_id", id, "kind", json_object_get(m, "kind"), "to",
                         json_object_get(m, "to"), "subject", json_object_get(m, "subject")));
        gh_store_outbox_finish(db, id, "logged", now, 0, NULL, &err);
        goto out;
    }
    mail_job *j = calloc(1, sizeof *j);
    if (!j) goto defer;
    gh_strlcpy(j->id, id, sizeof j->id);
    gh_strlcpy(j->to, json_string_value(json_object_get(m, "to")), sizeof j->to);
    j->created_at = json_integer_value(json_object_get(m, "created_at"));
    j->attempts = json_integer_value(json_object_get(m, "attempts"));
    j->msg = build(id, j->to, json_string_value(json_object_get(m, "subject")),
                   json_string_value(json_object_get(m, "body")),
                   json_string_value(json_object_get(m, "html")), &j->len);
    if (!j->msg) { job_free(j); goto defer; }
    pthread_mutex_lock(&mu);
    inflight++;
    pthread_mutex_unlock(&mu);
    if (gh_outbound_submit(job_run, j) != 0) {
        pthread_mutex_lock(&mu);
        inflight--;
        pthread_mutex_unlock(&mu);
        job_free(j);
        goto defer;
    }
    goto out;
defer:
    gh_store_outbox_finish(db, id, "deferred", now, now + BACKOFF_FIRST_S, "could not start the delivery", &err);
out:;
    /* The claimed row holds the link until it is sent: wipe our copy. */
    const char *fields[] = {"body", "html", "link"};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        const char *v = json_string_value(json_object_get(m, fields[k]));
        if (v) sodium_memzero((void *)v, strlen(v));
    }
    json_decref(m);
    gh_err_clear(&err);
    return true;
}

static void *dispatch_loop(void *unused)
{
    (void)unused;
    int64_t last_scrub = 0;
    pthread_mutex_lock(&mu);
    while (!stop_flag) {
        pthread_mutex_unlock(&mu);
        gh_db *db = gh_db_thread();
        if (db) {
            int64_t now = gh_now();
            if (now - last_scrub >= SCRUB_EVERY_S || now < last_scrub) {
                gh_err err = {0};
                gh_store_outbox_scrub(db, now, &err);
                gh_err_clear(&err);
                last_scrub = now;
            }
            /* One mail is two short write transactions: between them a
             * request waiting for the write lock goes first. */
            while (!gh_db_write_wanted() && dispatch_one(db)) {
                pthread_mutex_lock(&mu);
                bool s = stop_flag;
                pthread_mutex_unlock(&mu);
                if (s) break;
            }
            /* Webhook deliveries: the second kind of outbox row (core/webhooks.h). */
            while (!gh_db_write_wanted() && gh_webhooks_dispatch_one(db)) {
                pthread_mutex_lock(&mu);
                bool s = stop_flag;
                pthread_mutex_unlock(&mu);
                if (s) break;
            }
        }
        pthread_mutex_lock(&mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        if (!stop_flag) pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    gh_db_thread_close();
    return NULL;
}

int gh_delivery_start(void)
{
    if (!deliveries_metric)
        deliveries_metric = gh_metric_counter("gatehouse_mail_deliveries_total",
                                              "mail delivery attempts recorded, by result (sent, deferred, failed)",
                                              "result");
    gh_webhooks_register_metrics();
    gh_webhooks_abort(false);
    pthread_mutex_lock(&mu);
    stop_flag = false;
    atomic_store(&aborting, false);
    int rc = running ? -1 : pthread_create(&thread, NULL, dispatch_loop, NULL);
    if (rc == 0) running = true;
    pthread_mutex_unlock(&mu);
    return rc == 0 ? 0 : -1;
}

void gh_delivery_stop(void)
{
    pthread_mutex_lock(&mu);
    if (!running) {
        pthread_mutex_unlock(&mu);
        return;
    }
    stop_flag = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    /* Sends in flight give up at once; their rows become due again. The
     * caller stops the outbound workers next, which waits for them. */
    atomic_store(&aborting, true);
    gh_webhooks_abort(true);
    pthread_mutex_lock(&mu);
    running = false;
    pthread_mutex_unlock(&mu);
}

void gh_delivery_kick(void)
{
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* ---- gatehouse mail test ------------------------------------------------------ */
typedef struct test_job {
    const char *to, *org;
    send_result r;
    int rc;
} test_job;

static void test_run(void *arg)
{
    test_job *t = arg;
    gh_mail_var vars[] = {{"org", t->org}, {NULL, NULL}};
    gh_mail_text mt = {0};
    size_t len = 0;
    char *msg = NULL;
    t->rc = -1;
    if (gh_mail_render("test", vars, &mt) != 0) {
        gh_strlcpy(t->r.reply, "cannot render the test message", sizeof t->r.reply);
        goto out;
    }
    msg = build("test", t->to, mt.subject, mt.text, mt.html, &len);
    if (!msg) {
        gh_strlcpy(t->r.reply, "cannot build the test message", sizeof t->r.reply);
        goto out;
    }
    smtp_send(t->to, msg, len, &t->r);
    t->rc = t->r.outcome == 0 ? 0 : -1;
out:
    free(msg);
    gh_mail_text_free(&mt);
}

int gh_delivery_send_test(const char *to, const char *org_name, char *reply, size_t cap)
{
    if (!cfg.configured) {
        snprintf(reply, cap, "mail is not configured (--smtp-url / GATEHOUSE_SMTP_URL)");
        return -1;
    }
    test_job t = {.to = to, .org = org_name ? org_name : "gatehouse", .rc = -1};
    if (gh_outbound_run(test_run, &t) != 0) {
        snprintf(reply, cap, "the outbound workers are busy");
        return -1;
    }
    snprintf(reply, cap, "%s", t.r.reply[0] ? t.r.reply : (t.rc == 0 ? "accepted" : "no answer"));
    return t.rc;
}

/* ---- the API's view ------------------------------------------------------------ */
static json_t *metadata(json_t *m)
{
    static const char *const drop[] = {"body", "link", "org_id"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) json_object_del(m, drop[i]);
    return m;
}

json_t *gh_delivery_list(gh_ctx *ctx, int limit)
{
    json_t *all = gh_store_outbox_list(ctx->db, ctx->actor.org_id, limit, &ctx->err);
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m) metadata(m);
    return all;
}

void gh_delivery_annotate(gh_ctx *ctx, json_t *items, const char *kind, const char *email_key, const char *skip_key)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *to = json_string_value(json_object_get(it, email_key));
        if (!to || (skip_key && json_is_true(json_object_get(it, skip_key)))) continue;
        gh_err err = {0};
        json_t *m = gh_store_outbox_latest(ctx->db, ctx->actor.org_id, kind, to, &err);
        gh_err_clear(&err);
        if (!m) continue;
        if (json_is_object(m)) {
            json_t *o = json_pack("{s:O, s:O, s:O, s:O}", "status", json_object_get(m, "status"), "attempts",
                                  json_object_get(m, "attempts"), "last_error", json_object_get(m, "last_error"),
                                  "sent_at", json_object_get(m, "sent_at"));
            json_decref(m);
            m = o ? o : json_null();
        }
        json_object_set_new(it, "mail", m);
    }
}
