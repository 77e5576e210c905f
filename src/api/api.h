/*
 * api/: one file per resource. Each maps requests to core calls and core
 * results to JSON; no SQL, no policy. Each exports its route table.
 */
#ifndef GH_API_H
#define GH_API_H
#include <stdatomic.h>

#include "http/http.h"
#include "http/pool.h"

/* The metrics the API layer computes at scrape time (sessions, mail
 * backlog); called once by the server before it listens. */
void gh_api_metrics_register(void);
struct gh_metric *gh_api_metric_signins(void);
struct gh_metric *gh_api_metric_checks(void);
extern const gh_route gh_api_routes_system[];  /* healthz, setup, catalog, openapi, pages */
extern const gh_route gh_api_routes_auth[];    /* sign-in, sign-out, links */
extern const gh_route gh_api_routes_me[];      /* self-service */
extern const gh_route gh_api_routes_users[];   /* user administration */
extern const gh_route gh_api_routes_org[];     /* org settings, roles, api keys */
extern const gh_route gh_api_routes_sso[];     /* company sign-in (issue 16) */
extern const gh_route gh_api_routes_mfa[];     /* second factors (issue 20) */
extern const gh_route gh_api_routes_signatures[]; /* electronic signatures */
/* Sets the session cookies as a sign-in does (api/auth.c). */
struct gh_session;
void gh_api_session_cookies(gh_req *r, const char *token, const char *csrf, const struct gh_session *s);
extern const gh_route gh_api_routes_audit[];   /* audit trail */
extern const gh_route gh_api_routes_webhooks[];/* webhooks (issue 19) */
extern const gh_route gh_api_routes_access[];  /* permission checks */
extern const gh_route gh_api_routes_groups[];  /* user groups */
extern const gh_route gh_api_routes_views[];   /* saved views and their sharing */
extern const gh_route gh_api_routes_invites[]; /* invitations (issue 4) */
extern const gh_route gh_api_routes_import[];  /* bulk user import (issue 4) */
extern const gh_route gh_api_routes_kiosk[];   /* kiosk sign-in, PINs, kiosk devices */
extern const gh_route gh_api_routes_tasks[];   /* tasks, agenda screens, my agenda */
extern const gh_route gh_api_routes_checkins[];/* check-ins, timesheets */
extern const gh_route gh_api_routes_activity[];/* per-user activity data */
extern const gh_route gh_api_routes_scim[];    /* SCIM 2.0 provisioning (issue 19) */

/* Helpers shared by api/ files. */
/* Answers the ctx's error when st != GH_OK; returns true if it answered. */
bool gh_api_failed(gh_req *r, gh_status st);

/* A job for the hashing pool: verify `verify_secret` against `verify_hash`
 * and/or hash `new_secret`. Allocate it with gh_api_hash_job_new (in the
 * request arena; secrets are wiped when the request ends). */
#include "core/secret.h"
typedef struct gh_hash_job {
    const char *verify_hash;   /* NULL: no verification */
    char *verify_secret;
    bool verify_ok;
    char *new_secret;          /* NULL: nothing to hash */
    char new_hash[GH_PWHASH_MAX];
    int hash_rc;
    bool pin;                  /* kiosk PINs: gh_pin_hash / gh_pin_verify (secret.h) */
    bool upgrade;              /* a right PIN with a stale hash gets a new one in new_hash */
    bool upgraded;             /* ... and it did */
    _Atomic bool ran;          /* the work ran (set on the pool thread) */
    /* Optional: runs when the request ends, on every path, after the
     * secrets are wiped (release throttle reservations here). */
    void (*cleanup)(struct gh_hash_job *j, void *arg);
    void *cleanup_arg;
} gh_hash_job;
/* The job's secrets are wiped when the work has run and again when the
 * request ends on any path (answered, refused 503, client gone). */
gh_hash_job *gh_api_hash_job_new(gh_req *r, const char *verify_hash, const char *verify_secret,
                                 const char *new_secret);
void gh_api_hash_work(void *job);
/* Answers a sign-in: sets the session cookies and sends {token,
 * csrf_token, expires_at, session_id, user} (user stolen). In auth.c. */
struct gh_session;
void gh_api_session_answer(gh_req *r, const char *token, const char *csrf, const struct gh_session *s, json_t *user);
/* For actions that take no body: {} or none is fine, any field is
 * unknown_field (400, answered). */
bool gh_api_no_fields_or_reply(gh_req *r);
/* Parses an optional limit query parameter (1..max). */
bool gh_api_limit_or_reply(gh_req *r, int max, int *out);
/* An optional search term q (NULL is fine): at most GH_NAME_MAX
 * characters, else invalid_filter (400, answered) and false. */
bool gh_api_q_or_reply(gh_req *r, const char *q);

/* The body of PUT /v1/org/sso type-checked (unknown, mistyped, missing
 * fields, also inside jit), for the API and `gatehouse sso set`. In sso.c. */
bool gh_api_sso_body_check(json_t *b, gh_err *err);

#endif
