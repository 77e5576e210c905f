/*
 * libmicrohttpd glue: the life cycle of one request. The access handler
 * builds the request and, on the headers alone (before any body byte is
 * read), lets the gate (gate.c) refuse an over-limit Content-Length,
 * authenticate and check the route's permission; then it collects the body,
 * dispatches to the handler, suspends the connection while slow work runs
 * on the hashing pool, and queues the answer (set through reply.c). One
 * arena per request, freed when the request completes. gh_server_run starts
 * the daemon and, on SIGTERM, lets the requests in flight finish before it
 * stops. Connections and their deadline: conns.c; addresses and the metrics
 * listener: listen.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "api/api.h"
#include "core/denials.h"
#include "core/testhooks.h"
#include "http/idpcall.h"
#include "http/server_int.h"
#include "http/tls.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"

static struct MHD_Daemon *daemon_handle;
static _Atomic unsigned requests_alive;  /* gh_req objects not yet completed */
static atomic_bool draining;
static double drain_max_ms; /* SIGTERM: how long requests in flight may take */
static char request_prefix[16];
static void request_prefix_init(void)
{
    char id[GH_ID_MAX];
    gh_id_new("", id);
    snprintf(request_prefix, sizeof request_prefix, "%.10s", id + 1);
}
static unsigned bound_port;

static void deferred_done(void *arg)
{
    gh_req *r = arg;
    MHD_resume_connection(r->conn);
}

/* The body is complete: parse it and run the handler. */
static void dispatch(gh_req *r)
{
    const gh_route *rt = r->match.route;
    if (r->too_large) {
        gh_reply_fail(r, GH_E_TOO_LARGE, "body_too_large", "the request body is too large");
        return;
    }
    if (r->over_budget) {
        gh_reply_budget_spent(r);
        return;
    }
    if (!gh_buf_ok(&r->body)) {
        gh_reply_fail(r, GH_E_INTERNAL, "internal", "out of memory");
        return;
    }
    r->ctx.db = gh_db_thread();
    if (!r->ctx.db && !(rt->flags & GH_R_NO_DB)) {
        gh_reply_fail(r, GH_E_BUSY, "database_unavailable", "the database is unavailable");
        return;
    }
    if (r->body.len > 0 && !(rt->flags & GH_R_RAW_BODY)) {
        if (!gh_body_content_type_ok(gh_req_header(r, "Content-Type"))) {
            gh_reply_fail(r, GH_E_UNSUPPORTED_TYPE, "unsupported_media_type",
                       "send the body as Content-Type: application/json");
            return;
        }
        gh_err e = {0};
        if (gh_body_parse(r->body.data, r->body.len, &r->json, &e) != GH_OK) {
            gh_reply_err(r, &e);
            gh_err_clear(&e);
            return;
        }
    }
    rt->handler(r);
}

static gh_metric *m_requests, *m_duration, *m_throttled;
static bool serving_tls; /* set before the daemon starts */

static void register_metrics(void)
{
    m_requests = gh_metric_counter("gatehouse_http_requests_total", "HTTP requests answered, by route, method and status",
                                   "route,method,status");
    m_duration = gh_metric_histogram("gatehouse_http_request_duration_seconds",
                                     "time from the first byte of a request to its answer, by route and method",
                                     "route,method", NULL, 0);
    m_throttled = gh_metric_counter("gatehouse_throttled_total", "requests refused with 429 (throttled), by route",
                                    "route");
    gh_api_metrics_register();
}

/* Counted under the route's pattern (bounded), never the raw path. */
static void count_request(gh_req *r)
{
    const char *route = r->match.route ? r->match.route->pattern : r->match.path_known ? "(method)" : "(unmatched)";
    char status[8];
    snprintf(status, sizeof status, "%u", r->status);
    const char *method = r->match.route ? r->method : "other"; /* a route matched: its method or HEAD */
    gh_metric_inc(m_requests, (const char *[]){route, method, status});
    gh_metric_observe(m_duration, (const char *[]){route, method}, (gh_mono_ms() - r->started_ms) / 1000.0);
    if (r->status == 429) gh_metric_inc(m_throttled, (const char *[]){route});
}

static void finish_log(gh_req *r)
{
    if (gh_log_is_quiet()) return;
    json_t *f = json_pack("{s:s, s:s, s:i, s:f, s:s}", "method", r->method, "path", r->path,
                          "status", (int)r->status, "ms", gh_mono_ms() - r->started_ms, "ip", r->ip);
    gh_log(GH_LOG_INFO, r->request_id, "request", f);
}

/* Every 403 leaves through here, whoever raised it (dispatcher or core):
 * logged, and recorded in the audit trail at a bounded rate per actor. */
static void note_denial(gh_req *r)
{
    const gh_actor *a = &r->ctx.actor;
    const gh_route *rt = r->match.route;
    gh_denial d = {
        .org_id = a->org_id, .actor_type = a->type, .actor_id = a->id, .method = r->method,
        .route = rt ? rt->pattern : r->path, .path = r->path,
        .permission = r->denied_perm[0] ? r->denied_perm : (rt ? rt->perm : NULL),
        .code = r->denied_code, .ip = r->ip, .request_id = r->request_id,
    };
    gh_denial_note(&d);
}

/* Adds the handler's headers; false when one could not be added. */
static bool add_reply_headers(gh_req *r)
{
    if (r->headers_lost) return false;
    for (const struct reply_header *h = r->headers; h; h = h->next)
        if (MHD_add_response_header(r->resp, h->name, h->value) != MHD_YES) return false;
    return true;
}

static enum MHD_Result queue_answer(gh_req *r)
{
    if (!r->resp) gh_reply_fail(r, GH_E_INTERNAL, "internal", "no answer was produced");
    if (r->resp && !add_reply_headers(r)) {
        /* A partial answer (a lost Set-Cookie, Retry-After or Location)
         * would mislead the client: a clean 500 without them instead. */
        r->headers = NULL;
        r->headers_end = NULL;
        r->headers_lost = false;
        gh_reply_fail(r, GH_E_INTERNAL, "internal", "out of memory");
        if (r->resp && !add_reply_headers(r)) {
            MHD_destroy_response(r->resp);
            r->resp = NULL;
        }
    }
    if (!r->resp) return MHD_NO;
    if (r->status == 403) note_denial(r);
    MHD_add_response_header(r->resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(r->resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r->resp, "Referrer-Policy", "no-referrer");
    if (serving_tls) MHD_add_response_header(r->resp, "Strict-Transport-Security", "max-age=31536000");
    if (strncmp(r->path, "/v1/", 4) == 0 || strcmp(r->path, "/healthz") == 0 || strcmp(r->path, "/readyz") == 0)
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
    /* Draining: the client should not send another request on this one. */
    if (atomic_load(&draining)) MHD_add_response_header(r->resp, "Connection", "close");
    r->state = ST_DONE;
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->resp);
    count_request(r);
    finish_log(r);
    return ret;
}

/* Request ids need to be unique, not secret: a random per-process prefix and
 * a counter (no system call per request). */
static void request_id_new(char out[GH_ID_MAX])
{
    static _Atomic uint64_t counter;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, request_prefix_init);
    snprintf(out, GH_ID_MAX, "req_%s%llx", request_prefix, (unsigned long long)atomic_fetch_add(&counter, 1));
}

/* An IPv6 peer as text; an IPv4-mapped one (::ffff:a.b.c.d, how a
 * dual-stack socket shows IPv4 clients) as plain IPv4, so the allowlist,
 * the throttles and the audit trail see one address per client. */
static void gh_ip6_text(const struct in6_addr *a, char *out, size_t cap)
{
    if (IN6_IS_ADDR_V4MAPPED(a)) inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap);
    else inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

static gh_req *req_new(struct MHD_Connection *c, const char *url, const char *method, uint64_t *declared)
{
    gh_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->arena = gh_arena_new();
    r->path = r->arena ? gh_arena_strdup(r->arena, url) : NULL;
    if (!r->path) { gh_arena_free(r->arena); free(r); return NULL; }
    r->conn = c;
    r->started_ms = gh_mono_ms();
    gh_strlcpy(r->method, method, sizeof r->method);
    request_id_new(r->request_id);
    r->ctx.request_id = r->request_id;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->ip, sizeof r->ip);
        else if (sa->sa_family == AF_INET6)
            gh_ip6_text(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->ip, sizeof r->ip);
    }
    r->ctx.ip = r->ip;
    r->ctx.user_agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    if (!r->ctx.user_agent) r->ctx.user_agent = "";
    gh_router_match(r->method, r->path, &r->match);
    size_t max = r->match.route && (r->match.route->flags & GH_R_BIG_BODY) ? BIG_BODY_MAX : BODY_MAX;
    gh_buf_init(&r->body, max);
    r->body.wipe = r->match.route && (r->match.route->flags & GH_R_SECRET);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    int64_t n;
    *declared = 0;
    if (cl && gh_parse_i64(cl, 0, INT64_MAX, &n)) {
        if ((uint64_t)n > max) r->too_large = true;
        else *declared = (uint64_t)n;
    }
    atomic_fetch_add(&requests_alive, 1);
    return r;
}

/* Appends a piece of the body; false if it cannot be kept. */
static void body_append(gh_req *r, const char *data, size_t n)
{
    if (r->too_large || r->over_budget) return;
    if (r->match.route->auth == GH_AUTH_NONE && r->body.len + n > r->reserved) {
        /* No (or a wrong) Content-Length: take the budget as bytes come. */
        if (r->body.len + n > r->body.max) {
            r->too_large = true;
            gh_buf_release(&r->body);
            return;
        }
        if (!gh_unauth_reserve(r, r->body.len + n - r->reserved)) {
            r->over_budget = true;
            gh_buf_release(&r->body);
            return;
        }
    }
    gh_buf_append(&r->body, data, n);
    if (!gh_buf_ok(&r->body) && r->body.len + n > r->body.max) {
        r->too_large = true;
        gh_buf_release(&r->body);
    }
}

/* No memory for the request itself: a fixed 500 problem rather than a
 * dropped connection, and the connection closes after it. */
static enum MHD_Result answer_no_memory(struct MHD_Connection *c)
{
    static const char body[] = "{\"type\":\"https://gatehouse.dev/problems/internal\",\"title\":\"Internal Server Error\",\"status\":500,"
                               "\"code\":\"internal\",\"detail\":\"out of memory\"}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    enum MHD_Result ret = MHD_NO;
    if (MHD_add_response_header(resp, "Content-Type", "application/problem+json") == MHD_YES &&
        MHD_add_response_header(resp, "Connection", "close") == MHD_YES)
        ret = MHD_queue_response(c, 500, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result access_step(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    gh_req *r = *con_cls;
    if (!r) {
        /* The headers are complete; no body byte has been read. */
        uint64_t declared;
        r = req_new(c, url, method, &declared);
        if (!r) return answer_no_memory(c);
        *con_cls = r;
        if (!gh_admit_or_reply(r, declared)) {
            gh_conn_phase_set(c, PH_ANSWERING, false);
            return queue_answer(r);
        }
        return MHD_YES;
    }
    if (r->state == ST_BODY) {
        if (*upload_size) {
            body_append(r, upload_data, *upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        gh_conn_phase_set(c, PH_ANSWERING, false);
        dispatch(r);
    } else if (r->state == ST_DEFERRED) {
        r->ctx.db = gh_db_thread();
        gh_handler cont = r->cont;
        r->cont = NULL;
        cont(r);
    } else {
        return MHD_YES;
    }
    if (r->work) {
        gh_work_fn work = r->work;
        r->work = NULL;
        r->state = ST_DEFERRED;
        MHD_suspend_connection(c);
        bool idp = r->idp_call;
        r->idp_call = false;
        if (idp ? !gh_idpcall_submit(work, r->work_arg, deferred_done, r)
                : gh_pool_submit_tagged(work, r->work_arg, deferred_done, r, &r->tag) != GH_POOL_OK) {
            MHD_resume_connection(c);
            r->state = ST_BODY; /* not re-entered: answer now */
            gh_err e = {.retry_after = 1};
            gh_fail(&e, GH_E_BUSY, "busy", "too many sign-ins in progress; retry shortly");
            gh_reply_err(r, &e);
            r->cont = NULL;
            return queue_answer(r);
        }
        return MHD_YES;
    }
    return queue_answer(r);
}

/* One step of a request (access_step). Under --test-io-faults, a request
 * that carries GH_TEST_IOFAULT_HEADER marks its thread for the step, so
 * that faults armed for marked requests only hit what it does itself. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **con_cls)
{
    bool mark = gh_test_iofault_enabled() &&
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, GH_TEST_IOFAULT_HEADER) != NULL;
    if (mark) gh_test_iofault_mark(true);
    enum MHD_Result ret = access_step(cls, c, url, method, version, upload_data, upload_size, con_cls);
    if (mark) gh_test_iofault_mark(false);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    gh_req *r = *con_cls;
    if (!r) return;
    if (r->on_done) r->on_done(r->on_done_arg);
    if (r->resp) MHD_destroy_response(r->resp);
    if (r->body.wipe) gh_json_wipe_strings(r->json); /* the raw body is wiped by gh_buf_release */
    json_decref(r->json);
    gh_err_clear(&r->ctx.err);
    gh_buf_release(&r->body);
    gh_arena_free(r->arena);
    gh_unauth_release(r->reserved);
    free(r);
    *con_cls = NULL;
    /* A kept-alive connection starts its next request's deadline now. */
    gh_conn_phase_set(c, PH_RECEIVING, true);
    atomic_fetch_sub(&requests_alive, 1);
}

unsigned gh_server_port(void) { return bound_port; }
bool gh_server_draining(void) { return atomic_load(&draining); }

void gh_server_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGHUP); /* taken by sigwait: reloads the TLS pair */
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads created later inherit the mask */
}

/* SIGTERM: no new connections; requests already accepted finish (at most
 * --drain-timeout, default 30 s), answered with Connection: close. Past
 * it the server stops anyway: a service manager's stop timeout is the
 * outer bound. */
static void drain(void)
{
    MHD_socket lfd = MHD_quiesce_daemon(daemon_handle);
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    double until = gh_mono_ms() + drain_max_ms;
    unsigned left;
    while ((left = atomic_load(&requests_alive)) > 0 && gh_mono_ms() < until) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (left) gh_log(GH_LOG_WARN, NULL, "stopping with requests still in flight", json_pack("{s:i}", "requests", (int)left));
}

int gh_server_run(const gh_server_opts *o)
{
    int rc = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    unsigned threads = o->threads ? o->threads : (unsigned)cores;
    unsigned hash_threads = o->hash_threads ? o->hash_threads : (unsigned)cores;
    unsigned per_ip = o->per_ip_connections ? o->per_ip_connections : GH_PER_IP_CONNECTIONS_DEFAULT;
    unsigned deadline_s = o->request_deadline_s ? o->request_deadline_s : GH_REQUEST_DEADLINE_DEFAULT_S;
    drain_max_ms = 1000.0 * (o->drain_timeout_s ? o->drain_timeout_s : GH_DRAIN_TIMEOUT_DEFAULT_S);
    struct sockaddr_storage addr;
    bool v6 = false;
    if (!gh_listen_addr(o->host, o->port, &addr, &v6)) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s: not an IPv4 or IPv6 address (IPv6 in brackets: [::]:8080)", o->host);
        return 1;
    }
    atomic_store(&draining, false);
    register_metrics();
    gh_metrics_set_separate(o->metrics_host != NULL);
    gh_server_block_signals();
    if (gh_pool_start(hash_threads, hash_threads * 16) != 0) {
        gh_logf(GH_LOG_ERROR, "cannot start the hashing pool");
        return 1;
    }
    if (gh_idpcall_start() != 0) {
        gh_logf(GH_LOG_ERROR, "cannot start the IdP-call threads");
        gh_idpcall_stop();
        gh_pool_stop();
        return 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    /* An IPv6 address listens dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d
     * and are shown as IPv4 (gh_ip6_text). */
    if (v6) flags |= MHD_USE_DUAL_STACK;
    if (o->tls_cert) {
        char err[600];
        if (gh_tls_load(o->tls_cert, o->tls_key, err, sizeof err) != 0) {
            gh_logf(GH_LOG_ERROR, "cannot serve HTTPS: %s", err);
            goto out;
        }
        flags |= MHD_USE_TLS;
        serving_tls = true;
    }
    daemon_handle = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, gh_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, gh_conn_notify, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
        /* 0: SO_REUSEADDR only (a restart binds past TIME_WAIT) and never
         * SO_REUSEPORT, so a second server on the same port fails to start
         * instead of silently taking half of the connections. */
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)0,
        /* Ignored without MHD_USE_TLS. */
        o->tls_cert ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, gh_tls_retrieve,
        MHD_OPTION_END);
    if (!daemon_handle) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s:%u: the address is in use or not available", o->host, o->port);
        goto out;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    bound_port = di ? di->port : o->port;
    if (o->metrics_host && !gh_metrics_listen_start(o)) {
        MHD_stop_daemon(daemon_handle);
        daemon_handle = NULL;
        goto out;
    }
    if (!gh_reaper_start(deadline_s)) gh_logf(GH_LOG_WARN, "cannot start the connection reaper; only the idle timeout applies");
    gh_log(GH_LOG_INFO, NULL, "listening",
           json_pack("{s:s, s:i, s:i, s:i, s:i}", "host", o->host, "port", (int)bound_port, "threads", (int)threads,
                     "per_ip_connections", (int)per_ip, "request_deadline_s", (int)deadline_s));
    int sig = 0;
    sigset_t wait_set;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGINT);
    sigaddset(&wait_set, SIGTERM);
    sigaddset(&wait_set, SIGHUP);
    /* systemd Type=notify: ready once listening (a no-op outside systemd). */
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s:%u", o->host, bound_port);
    for (;;) {
        sigwait(&wait_set, &sig);
        if (sig != SIGHUP) break;
        sd_notify(0, "RELOADING=1");
        /* New handshakes take the new pair; open connections keep theirs. */
        char err[600];
        if (!o->tls_cert) gh_logf(GH_LOG_INFO, "SIGHUP: nothing to reload (no --tls-cert)");
        else if (gh_tls_load(o->tls_cert, o->tls_key, err, sizeof err) == 0)
            gh_logf(GH_LOG_INFO, "SIGHUP: TLS certificate and key reloaded from %s", o->tls_cert);
        else gh_logf(GH_LOG_ERROR, "SIGHUP: TLS reload refused, the previous certificate stays: %s", err);
        sd_notify(0, "READY=1");
    }
    sd_notify(0, "STOPPING=1");
    atomic_store(&draining, true); /* /readyz answers 503 from here on */
    gh_log(GH_LOG_INFO, NULL, "shutting down", json_pack("{s:i}", "signal", sig));
    drain();
    gh_reaper_stop();
    gh_pool_stop(); /* finishes queued hashes, which resume their connections */
    gh_idpcall_stop(); /* likewise for IdP calls (each bounded by its timeouts) */
    MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
    rc = 0;
out:
    gh_metrics_listen_stop();
    gh_tls_shutdown();
    gh_reaper_stop();
    gh_pool_stop();
    gh_idpcall_stop();
    return rc;
}
