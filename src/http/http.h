/*
 * The HTTP layer's interface for api/ handlers: a request with its parsed
 * JSON body, path parameters and authenticated actor, and the calls that set
 * the answer. libmicrohttpd stays inside http/.
 *
 * A handler runs after the dispatcher has matched the route, authenticated
 * the caller and checked the route's permission (declared in the route
 * table, so a handler cannot forget it). It sets exactly one answer with
 * gh_reply_*(). Work that is slow (argon2id) is handed to the hashing pool
 * with gh_req_defer(): the connection is suspended and the continuation runs
 * when the work is done.
 */
#ifndef GH_HTTP_H
#define GH_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/ctx.h"
#include "http/bodycheck.h"

typedef struct gh_req gh_req;
typedef void (*gh_handler)(gh_req *r);
typedef void (*gh_work_fn)(void *arg);

/* Route authentication requirements. */
enum {
    GH_AUTH_NONE = 0,       /* public */
    GH_AUTH_USER = 1 << 0,  /* a user session (cookie or bearer) */
    GH_AUTH_KEY = 1 << 1,   /* an API key (bearer) */
    GH_AUTH_ANY = GH_AUTH_USER | GH_AUTH_KEY,
};

/* Route flags. */
enum {
    GH_R_KIOSK = 1 << 0,       /* kiosk sessions may call it */
    GH_R_OFFICE = 1 << 1,      /* office sessions may call it (default when no flag) */
    GH_R_PIN_CHANGE = 1 << 2,  /* allowed while a temporary PIN must be changed */
    GH_R_DEVICE_OK = 1 << 3,   /* device accounts may call it although it changes state */
    GH_R_BIG_BODY = 1 << 4,    /* accepts bodies up to 16 MiB (imports) */
    GH_R_RAW_BODY = 1 << 5,    /* body is not JSON (CSV) */
    /* The service scope an API key needs for the route (core/access.h
     * GH_SCOPE_*); without one, a key needs the route's permission as a
     * scope. Every route a key may call has one or the other. */
    GH_R_SCOPE_AUTHZ_CHECK = 1 << 8,
    GH_R_SCOPE_ACTIVITY_WRITE = 1 << 9,
    GH_R_SCOPE_TASKS_WRITE = 1 << 10,
    GH_R_SCOPE_SCIM = 1 << 11,
    /* perm or its managing permission (gh_route_perm_alt: users.view or
     * users.manage). The catalog stays flat (no permission implies
     * another); the route says it accepts either, as the Users tab does
     * (001: the Users tile is controlled by Manage Users). */
    GH_R_OR_MANAGE = 1 << 6,
    GH_R_SECRET = 1 << 7,      /* body carries passwords or PINs: the raw body and
                                * every string of the parsed JSON are wiped when the
                                * request ends, whatever the answer */
    GH_R_NO_DB = 1 << 12,      /* answers without a database (ctx->db may be NULL): probes */
    GH_R_MFA_STEP = 1 << 13,   /* allowed to a session whose second sign-in step is due (core/mfa.h) */
};
#define GH_R_SCOPE_SHIFT 8 /* flag >> shift = GH_SCOPE_* bit */

typedef struct gh_route {
    const char *method;
    const char *pattern;   /* "/v1/users/{id}/lock": {x} matches one segment */
    gh_handler handler;
    unsigned auth;
    unsigned flags;
    const char *perm;      /* catalog permission the caller must hold, or NULL */
} gh_route;

/* The scope an API key needs to call rt: its service scope (a GH_R_SCOPE_*
 * flag) or else its permission; NULL when no key may call it or it names
 * neither (the server refuses to start then: gh_routes_check). */
const char *gh_route_key_scope(const gh_route *rt);
/* The permission a GH_R_OR_MANAGE route accepts instead of its perm, or NULL. */
const char *gh_route_perm_alt(const gh_route *rt);

/* ---- request --------------------------------------------------------------- */
gh_ctx *gh_req_ctx(gh_req *r);
const char *gh_req_method(gh_req *r);
const char *gh_req_path(gh_req *r);
/* Path parameter by name ("id"), NULL if absent. */
const char *gh_req_param(gh_req *r, const char *name);
/* Query parameter, NULL if absent. */
const char *gh_req_query(gh_req *r, const char *name);
const char *gh_req_header(gh_req *r, const char *name);
/* The parsed JSON body (an object), or NULL if there was none. Borrowed. */
json_t *gh_req_json(gh_req *r);
/* The raw body (for CSV), NUL-terminated. */
const char *gh_req_body(gh_req *r, size_t *len);
gh_arena *gh_req_arena(gh_req *r);

/* ---- answers --------------------------------------------------------------- */
/* Sends `body` (reference stolen) as application/json with `status`. */
void gh_reply_json(gh_req *r, unsigned status, json_t *body);
/* The same as application/scim+json (SCIM answers). */
void gh_reply_scim(gh_req *r, unsigned status, json_t *body);
/* 204 No Content. */
void gh_reply_empty(gh_req *r);
/* Sends the error as problem+json, with the status from the one table. */
void gh_reply_err(gh_req *r, const gh_err *err);
/* Shortcut: the ctx's error. */
void gh_reply_ctx_err(gh_req *r);
/* Adds a response header (copied). */
void gh_reply_header(gh_req *r, const char *name, const char *value);
/* Sends a static asset. */
void gh_reply_bytes(gh_req *r, unsigned status, const char *content_type, const void *data,
                    size_t len, bool copy);

/* Streams the file f from its current position to its end (f is owned and
 * closed when the answer is done, on every path). */
void gh_reply_stream(gh_req *r, unsigned status, const char *content_type, FILE *f);

/* Streams what fn produces: fn(arg, buf, max) fills up to max bytes and
 * returns how many, 0 at the end, -1 on an error (the connection is cut).
 * It runs on the HTTP thread while libmicrohttpd sends, so the answer is
 * never held whole. done(arg) runs once when the answer is over, on every
 * path (also when this call fails). */
typedef long (*gh_stream_fn)(void *arg, char *buf, size_t max);
void gh_reply_callback(gh_req *r, unsigned status, const char *content_type, gh_stream_fn fn, void *arg,
                       void (*done)(void *arg));

/* ---- deferral -------------------------------------------------------------- */
/* Runs work(arg) on the hashing pool, then cont(r) on an HTTP thread. The
 * handler returns right after. If the pool is full the request is answered
 * 503 busy and cont is not called. */
void gh_req_defer(gh_req *r, gh_work_fn work, void *arg, gh_handler cont);
/* The same for work that calls an identity provider (issue 16): it runs on
 * the IdP-call threads (http/idpcall.h; the shared outbound workers once
 * issue 15 lands), never on the hashing pool. A full queue answers 503. */
void gh_req_defer_idp(gh_req *r, gh_work_fn work, void *arg, gh_handler cont);
/* Names who the next deferral is for (http/pool.h: the fair share of the
 * hashing queue and its priority reserve). Call before gh_req_defer; the
 * key strings need only live until the handler returns. */
struct gh_pool_tag;
void gh_req_defer_for(gh_req *r, const struct gh_pool_tag *tag);
/* Registers fn(arg) to run once when the request ends, on every path: after
 * the answer, after a refused (503) deferral, or when the client went away
 * while the work ran. For releasing reservations and wiping secrets. One
 * per request (a second call replaces the first). */
void gh_req_on_done(gh_req *r, gh_work_fn fn, void *arg);
/* Slot for the handler's own state across a deferral. */
void gh_req_set_state(gh_req *r, void *state);
void *gh_req_state(gh_req *r);

/* ---- JSON input validation ----------------------------------------------- */
/* gh_jtype and gh_jfield: http/bodycheck.h. */
/* Checks that obj is an object with only the listed fields, of the listed
 * types, and the required ones present. On failure answers 400 naming the
 * field and returns false. A NULL obj (no body) counts as {}. */
bool gh_json_check_or_reply(gh_req *r, json_t *obj, const gh_jfield *fields);
/* The same for a nested object `in` ("org"): fields are named "org.slug". */
bool gh_json_check_in_or_reply(gh_req *r, json_t *obj, const gh_jfield *fields, const char *in);
/* Convenience getters after a successful check (NULL/0/false if absent). */
const char *gh_jstr(json_t *obj, const char *name);
bool gh_jbool(json_t *obj, const char *name, bool dflt);
bool gh_jhas(json_t *obj, const char *name);

/* ---- server --------------------------------------------------------------- */
typedef struct gh_server_opts {
    const char *host;
    unsigned port;
    unsigned threads;     /* HTTP worker threads; 0 = number of cores */
    unsigned hash_threads;/* hashing pool; 0 = number of cores */
    unsigned per_ip_connections; /* open connections per client address; 0 = default */
    unsigned request_deadline_s; /* headers + body of one request; 0 = default */
    unsigned drain_timeout_s;    /* after SIGTERM, for the requests in flight; 0 = default */
    const char *metrics_host; /* non-NULL: GET /metrics (and /healthz) on this
                               * address only, not on the main one */
    unsigned metrics_port;
    const char *tls_cert, *tls_key; /* both: HTTPS (PEM files; SIGHUP reloads them) */
} gh_server_opts;

#define GH_PER_IP_CONNECTIONS_DEFAULT 256u
#define GH_REQUEST_DEADLINE_DEFAULT_S 30u
#define GH_DRAIN_TIMEOUT_DEFAULT_S 30u

/* Serves until SIGTERM/SIGINT, then stops accepting, lets the requests in
 * flight finish (at most drain_timeout_s) and returns 0. host is IPv4 or IPv6 ("::",
 * "[::1]"); IPv6 listens dual-stack. */
int gh_server_run(const gh_server_opts *opts);
/* Blocks SIGINT, SIGTERM and SIGPIPE in the calling thread and the threads
 * it starts afterwards: call before starting any thread, so that only
 * gh_server_run's sigwait receives a stop signal (a second one during the
 * drain is left pending, not fatal). */
void gh_server_block_signals(void);
/* The port actually bound (after start; useful with port 0). */
unsigned gh_server_port(void);
/* True when /metrics is served on its own address (--metrics-listen). */
bool gh_server_metrics_separate(void);
/* The metrics address's port actually bound (0 when none). */
unsigned gh_server_metrics_port(void);
/* True from SIGTERM on (for /readyz). */
bool gh_server_draining(void);

#endif
