/*
 * Private to src/http/: the request object libmicrohttpd's callbacks and the
 * reply, gate and connection files share, and the calls between them. api/
 * sees only http/http.h (gh_req stays opaque there).
 *
 *   server.c  the life cycle of one request (first call, body, dispatch,
 *             answer, completion) and gh_server_run
 *   reply.c   request accessors, answers, problem+json, deferral setters
 *   gate.c    what is decided on the headers alone: route, size,
 *             authentication, permission, query parameters, body budget
 *   conns.c   connections from accept to close and the deadline reaper
 *   listen.c  listening addresses, libmicrohttpd's log, the metrics listener
 */
#ifndef GH_HTTP_SERVER_INT_H
#define GH_HTTP_SERVER_INT_H
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/http.h"
#include "http/pool.h"
#include "http/router.h"

#define BODY_MAX (1u << 20)        /* 1 MiB for JSON bodies */
#define BIG_BODY_MAX (16u << 20)   /* 16 MiB for imports */
/* Body bytes that requests nobody has authenticated (public routes: sign-in,
 * setup, links) may hold at once, over all connections. */
#define UNAUTH_BODY_BUDGET (32u << 20)
#define CONN_MEMORY_LIMIT (32u << 10) /* per connection: headers and buffers */
#define CONN_LIMIT 4096u

typedef enum { ST_BODY, ST_DEFERRED, ST_DONE } req_state;

/* Where a connection is: still sending (headers or body: subject to the
 * absolute deadline) or being answered. */
typedef enum { PH_RECEIVING, PH_ANSWERING } conn_phase;

struct gh_req {
    struct MHD_Connection *conn;
    gh_arena *arena;
    gh_ctx ctx;
    char method[16];
    char *path;
    gh_match match;
    req_state state;
    gh_buf body;
    bool too_large;
    bool authed;          /* authenticated and authorized on the headers */
    bool over_budget;     /* a body without Content-Length outgrew the budget */
    size_t reserved;      /* bytes of UNAUTH_BODY_BUDGET this request holds */
    json_t *json;
    /* answer */
    struct MHD_Response *resp;
    unsigned status;
    struct reply_header *headers, **headers_end; /* in the arena, in order */
    bool headers_lost;    /* one could not be kept: the answer becomes a 500 */
    /* deferral */
    gh_work_fn work;
    void *work_arg;
    gh_handler cont;
    void *state_ptr;
    gh_work_fn on_done;
    void *on_done_arg;
    gh_pool_tag tag;    /* who the deferred work is for (fair share) */
    bool idp_call;      /* the deferred work calls an IdP: http/idpcall.h, not the hashing pool */
    double started_ms;
    char request_id[GH_ID_MAX];
    char ip[INET6_ADDRSTRLEN];
    /* the last 403 answer's code and permission, for gh_denial_note */
    char denied_code[48];
    char denied_perm[128];
};

struct reply_header {
    struct reply_header *next;
    char *name, *value;
};

/* ---- reply.c ----------------------------------------------------------------- */
/* Answers with a problem of status st, stable code and detail. */
void gh_reply_fail(gh_req *r, gh_status st, const char *code, const char *detail);

/* ---- gate.c ------------------------------------------------------------------- */
/* Everything decided on the request line and headers, before any body byte
 * is read. Answers and returns false to refuse. */
bool gh_admit_or_reply(gh_req *r, uint64_t declared);
/* Takes n bytes from the budget for unauthenticated bodies; false when it
 * is spent. gh_unauth_release gives a finished request's share back. */
bool gh_unauth_reserve(gh_req *r, size_t n);
void gh_unauth_release(size_t n);
void gh_reply_budget_spent(gh_req *r);

/* ---- conns.c ------------------------------------------------------------------- */
void gh_conn_phase_set(struct MHD_Connection *c, conn_phase ph, bool restart);
/* MHD_OPTION_NOTIFY_CONNECTION: registers connections from accept to close. */
void gh_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode code);
/* Starts the reaper that closes connections still sending after deadline_s;
 * false when the thread cannot start. gh_reaper_stop may be called twice. */
bool gh_reaper_start(unsigned deadline_s);
void gh_reaper_stop(void);

/* ---- listen.c ------------------------------------------------------------------ */
/* "127.0.0.1", "::", "[::1]" into a socket address with port. */
bool gh_listen_addr(const char *host, unsigned port, struct sockaddr_storage *ss, bool *v6);
/* MHD_OPTION_EXTERNAL_LOGGER: libmicrohttpd's messages into the log. */
__attribute__((format(printf, 2, 0)))
void gh_mhd_log(void *cls, const char *fmt, va_list ap);
void gh_metrics_set_separate(bool separate);
bool gh_metrics_listen_start(const gh_server_opts *o);
void gh_metrics_listen_stop(void);

#endif
