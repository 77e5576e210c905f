/* Health, first-run setup, OpenAPI document, web pages, and the test clock. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/webhooks.h"
#include "core/access.h"
#include "core/accounts.h"
#include "core/health.h"
#include "core/testhooks.h"
#include "util/metrics.h"
#include "util/assets.h"

/* Liveness: the process serves HTTP. Always 200; set_up only when the
 * database answers (a broken database is /readyz's business: restarting a
 * live process does not mend it). */
static void healthz(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    int64_t orgs = ctx->db ? gh_health_org_count(ctx->db) : -1;
    json_t *b = json_pack("{s:s, s:i}", "status", "ok", "schema_version", gh_health_schema_version());
    if (b && orgs >= 0) json_object_set_new(b, "set_up", json_boolean(orgs > 0));
    gh_reply_json(r, 200, b);
}

/* Readiness: 200 only when this process should get traffic: migrations
 * applied (the database is at this binary's schema), the authorization
 * snapshot built, and not draining after SIGTERM. */
static void readyz(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    const char *status = "ready";
    int64_t stored = ctx->db ? gh_health_stored_schema_version(ctx->db) : -1;
    if (gh_server_draining()) status = "draining";
    else if (stored < 0) status = "database_unavailable";
    else if (stored != gh_health_schema_version()) status = "migrating";
    else if (!gh_access_ready()) status = "starting";
    bool ready = strcmp(status, "ready") == 0;
    gh_reply_json(r, ready ? 200 : 503, json_pack("{s:s, s:i}", "status", status, "schema_version", (int)stored));
}

typedef struct { gh_org_new n; gh_hash_job *job; } setup_state;

static void setup_done(gh_req *r)
{
    setup_state *s = gh_req_state(r);
    gh_ctx *ctx = gh_req_ctx(r);
    if (s->job->hash_rc != 0) { gh_api_failed(r, GH_E_INTERNAL); return; }
    s->n.admin_password_hash = s->job->new_hash;
    gh_org o;
    gh_user u;
    if (gh_api_failed(r, gh_org_create(ctx, &s->n, &o, &u))) return;
    gh_reply_json(r, 201, json_pack("{s:o, s:o}", "org", gh_org_json(ctx, &o), "admin", gh_user_json(&u)));
}

static void setup(gh_req *r)
{
    static const gh_jfield f[] = {{"token", GH_J_STRING, true}, {"org", GH_J_OBJECT, true},
                                  {"admin", GH_J_OBJECT, true}, {"template", GH_J_STRING, false}, {NULL, 0, false}};
    static const gh_jfield fo[] = {{"name", GH_J_STRING, true}, {"slug", GH_J_STRING, true}, {NULL, 0, false}};
    static const gh_jfield fa[] = {{"email", GH_J_STRING, true}, {"name", GH_J_STRING, true},
                                   {"password", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *org = json_object_get(b, "org"), *admin = json_object_get(b, "admin");
    if (!gh_json_check_in_or_reply(r, org, fo, "org") || !gh_json_check_in_or_reply(r, admin, fa, "admin")) return;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_arena *a = gh_req_arena(r);
    setup_state *s = gh_arena_alloc(a, sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    s->n = (gh_org_new){
        .slug = gh_arena_strdup(a, gh_jstr(org, "slug")), .name = gh_arena_strdup(a, gh_jstr(org, "name")),
        .template_set = gh_jstr(b, "template") ? gh_arena_strdup(a, gh_jstr(b, "template")) : NULL,
        .admin_email = gh_arena_strdup(a, gh_jstr(admin, "email")),
        .admin_name = gh_arena_strdup(a, gh_jstr(admin, "name")),
        .setup_token = gh_arena_strdup(a, gh_jstr(b, "token")),
    };
    if (gh_api_failed(r, gh_org_validate_new(ctx, &s->n))) return;
    gh_pw_context pc = {.email = s->n.admin_email, .name = s->n.admin_name, .org_name = s->n.name};
    if (gh_api_failed(r, gh_password_check_for(gh_jstr(admin, "password"), "admin.password", &pc, &ctx->err))) return;
    s->job = gh_api_hash_job_new(r, NULL, NULL, gh_jstr(admin, "password"));
    if (!s->job) { gh_api_failed(r, GH_E_INTERNAL); return; }
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, setup_done);
}

/* Gauges read from the database at scrape time, on the scraping thread. */
static double sessions_open(void *unused)
{
    (void)unused;
    gh_db *db = gh_db_thread();
    int64_t n = db ? gh_health_sessions_open(db, gh_now()) : -1;
    return n < 0 ? NAN : (double)n;
}

static double mail_backlog(void *unused)
{
    (void)unused;
    gh_db *db = gh_db_thread();
    int64_t n = db ? gh_health_mail_backlog(db) : -1;
    return n < 0 ? NAN : (double)n;
}

static double webhook_backlog(void *unused)
{
    (void)unused;
    gh_db *db = gh_db_thread();
    int64_t n = db ? gh_health_webhook_backlog(db) : -1;
    return n < 0 ? NAN : (double)n;
}

static double draining_gauge(void *unused)
{
    (void)unused;
    return gh_server_draining() ? 1 : 0;
}

static double snapshot_bytes(void *unused)
{
    (void)unused;
    size_t users;
    return (double)gh_access_snapshot_memory(&users);
}

static double snapshot_users(void *unused)
{
    (void)unused;
    size_t users;
    gh_access_snapshot_memory(&users);
    return (double)users;
}

void gh_api_metrics_register(void)
{
    gh_metric_gauge_fn("gatehouse_snapshot_bytes", "bytes the authorization snapshot in use holds", snapshot_bytes,
                       NULL);
    gh_metric_gauge_fn("gatehouse_snapshot_users", "user rows of the authorization snapshot in use (deleted ones until the next full rebuild)",
                       snapshot_users, NULL);
    gh_metric_gauge_fn("gatehouse_sessions_open", "sessions neither expired nor idle, all organizations", sessions_open,
                       NULL);
    gh_metric_gauge_fn("gatehouse_mail_backlog", "mails waiting in the outbox", mail_backlog, NULL);
    gh_metric_gauge_fn("gatehouse_webhook_backlog", "webhook deliveries waiting (queued, deferred or being sent)",
                       webhook_backlog, NULL);
    gh_webhooks_register_metrics();
    gh_metric_gauge_fn("gatehouse_draining", "1 from SIGTERM on", draining_gauge, NULL);
    /* Listed from the start, before their first event. */
    gh_api_metric_signins();
    gh_api_metric_checks();
    gh_health_metrics_register();
}

/* Prometheus text format (util/metrics.h). */
static void metrics(gh_req *r)
{
    if (gh_server_metrics_separate()) { /* --metrics-listen: only there */
        gh_err e = {0};
        gh_fail(&e, GH_E_NOT_FOUND, "not_found", "metrics are served on the metrics address (--metrics-listen)");
        gh_reply_err(r, &e);
        gh_err_clear(&e);
        return;
    }
    gh_buf b;
    gh_buf_init(&b, 8u << 20);
    gh_metrics_render(&b);
    if (!gh_buf_ok(&b)) {
        gh_buf_release(&b);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    gh_reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len, true);
    gh_buf_release(&b);
}

static void openapi(gh_req *r)
{
    gh_reply_bytes(r, 200, "application/json", gh_embedded_openapi, gh_embedded_openapi_len, false);
}

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"}, {".json", "application/json"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}, {".webmanifest", "application/manifest+json"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

static const gh_asset *asset_find(const char *path)
{
    for (const gh_asset *a = gh_web_assets; a->path; a++)
        if (strcmp(a->path, path) == 0) return a;
    return NULL;
}

/* /console/... and /kiosk/...: a file if it exists, else the app's
 * index.html (client-side routes such as /kiosk/acme/ or
 * /console/verify-email). */
static void pages(gh_req *r)
{
    const char *path = gh_req_path(r);
    bool kiosk = strncmp(path, "/kiosk", 6) == 0;
    const gh_asset *a = NULL;
    if (!strstr(path, "..")) {
        a = asset_find(path);
        if (!a && kiosk) {
            /* /kiosk/{org}/app.js -> /kiosk/app.js */
            const char *slash = strchr(path + 7, '/');
            if (slash && slash[1]) {
                char p[256];
                snprintf(p, sizeof p, "/kiosk%s", slash);
                a = asset_find(p);
            }
        }
        if (!a) a = asset_find(kiosk ? "/kiosk/index.html" : "/console/index.html");
    }
    if (!a) {
        gh_err e = {0};
        gh_fail(&e, GH_E_NOT_FOUND, "not_found", "no such page");
        gh_reply_err(r, &e);
        return;
    }
    gh_reply_bytes(r, 200, mime_of(a->path), a->data, a->len, false);
    gh_reply_header(r, "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
                    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    gh_reply_header(r, "Cache-Control", "no-cache");
}

static void root(gh_req *r)
{
    gh_reply_bytes(r, 302, "text/plain", "see /console/\n", 14, false);
    gh_reply_header(r, "Location", "/console/");
}

static void test_clock(gh_req *r)
{
    static const gh_jfield f[] = {{"advance_s", GH_J_INT, true}, {"freeze", GH_J_BOOL, false}, {NULL, 0, false}};
    gh_ctx *ctx = gh_req_ctx(r);
    if (!gh_cfg()->test_clock) {
        gh_fail(&ctx->err, GH_E_NOT_FOUND, "not_found", "no such resource");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_int_t s = json_integer_value(json_object_get(b, "advance_s"));
    if (s < 0 || s > 10LL * 365 * 86400) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "out_of_range", "advance_s", "advance_s must be 0..10 years");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *freeze = json_object_get(b, "freeze");
    if (freeze) gh_clock_freeze(json_is_true(freeze));
    gh_clock_advance(s);
    char now[32];
    gh_time_fmt(gh_now(), now);
    gh_reply_json(r, 200, json_pack("{s:s}", "now", now));
}

/* Test-only (--test-io-faults): arms the I/O fault shim, store/iofault.h.
 * {"ops": ["write", "sync"], "after": N, "count": M}: of the reads, writes
 * or syncs named, the first N pass and the next M fail (-1: until the next
 * call; ops [] disarms). With "marked": true only the I/O of requests that
 * carry the Gatehouse-Test-Io-Fault header counts, not that of other
 * requests or background threads. Answers the faults injected so far. */
static void test_io_fault(gh_req *r)
{
    static const gh_jfield f[] = {
        {"ops", GH_J_ARRAY, true}, {"after", GH_J_INT, false}, {"count", GH_J_INT, false},
        {"marked", GH_J_BOOL, false}, {NULL, 0, false}};
    gh_ctx *ctx = gh_req_ctx(r);
    if (!gh_test_iofault_enabled()) {
        gh_fail(&ctx->err, GH_E_NOT_FOUND, "not_found", "no such resource");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    unsigned ops = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "ops"), i, v) {
        const char *op = json_string_value(v);
        unsigned bit = !op ? 0 : !strcmp(op, "read") ? GH_TEST_IOFAULT_READ : !strcmp(op, "write") ? GH_TEST_IOFAULT_WRITE
                               : !strcmp(op, "sync") ? GH_TEST_IOFAULT_SYNC : 0;
        if (!bit) {
            gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "ops", "ops are read, write and sync");
            gh_reply_ctx_err(r);
            return;
        }
        ops |= bit;
    }
    json_t *after = json_object_get(b, "after"), *count = json_object_get(b, "count");
    json_int_t a = after ? json_integer_value(after) : 0, c = count ? json_integer_value(count) : 1;
    if (a < 0 || a > 1000000 || c < -1 || c > 1000000) {
        gh_fail(&ctx->err, GH_E_INVALID, "out_of_range", "after is 0..1000000, count -1..1000000");
        gh_reply_ctx_err(r);
        return;
    }
    gh_test_iofault_arm(ops, a, c, json_is_true(json_object_get(b, "marked")));
    gh_reply_json(r, 200, json_pack("{s:I}", "injected", (json_int_t)gh_test_iofault_injected()));
}

const gh_route gh_api_routes_system[] = {
    {"GET", "/healthz", healthz, GH_AUTH_NONE, GH_R_NO_DB, NULL},
    {"GET", "/readyz", readyz, GH_AUTH_NONE, GH_R_NO_DB, NULL},
    {"GET", "/metrics", metrics, GH_AUTH_NONE, 0, NULL},
    {"GET", "/", root, GH_AUTH_NONE, 0, NULL},
    {"POST", "/v1/setup", setup, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"GET", "/v1/openapi.json", openapi, GH_AUTH_NONE, 0, NULL},
    {"POST", "/v1/test/clock", test_clock, GH_AUTH_NONE, 0, NULL},
    {"POST", "/v1/test/io-fault", test_io_fault, GH_AUTH_NONE, GH_R_NO_DB, NULL},
    {"GET", "/console/*", pages, GH_AUTH_NONE, 0, NULL},
    {"GET", "/kiosk/*", pages, GH_AUTH_NONE, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
