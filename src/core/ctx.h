/*
 * The context every core function takes: the store handle, who is acting,
 * the request's id and client address, and the error slot. Core functions
 * never see HTTP; the HTTP layer builds a gh_ctx per request and the CLI
 * builds one per command.
 */
#ifndef GH_CTX_H
#define GH_CTX_H
#include <stdbool.h>

#include "util/err.h"
#include "core/permset.h"
#include "store/db.h"
#include "util/util.h"

typedef enum gh_actor_type {
    GH_ACTOR_NONE = 0,   /* anonymous */
    GH_ACTOR_USER,       /* a person (or device account) with a session */
    GH_ACTOR_API_KEY,    /* a calling service */
    GH_ACTOR_SYSTEM,     /* the CLI or the server itself */
} gh_actor_type;

typedef struct gh_actor {
    gh_actor_type type;
    char org_id[GH_ID_MAX];
    char id[GH_ID_MAX];          /* user id or API key id */
    char session_id[GH_ID_MAX];  /* for users */
    bool kiosk;                  /* a kiosk (PIN) session */
    bool pin_change_required;    /* kiosk session opened with a temporary PIN */
    char mfa_pending[8];         /* "" full; "verify"/"enrol": the sign-in's second step is due (core/mfa.h) */
    bool cookie_auth;            /* authenticated by cookie (CSRF applies) */
    /* API keys: the scopes the key carries, compiled at authentication:
     * catalog permissions by index and service scopes (GH_SCOPE_* bits). */
    gh_permset key_perms;
    unsigned key_services;
} gh_actor;

typedef struct gh_ctx {
    gh_db *db;
    gh_actor actor;
    const char *request_id;
    const char *ip;
    const char *user_agent;
    /* The catalog permission the route required (set by the dispatcher;
     * NULL for none): gh_tx_begin re-checks it from the rows. */
    const char *required_perm;
    /* ...or this one instead (a route that accepts either, e.g. users.view
     * or users.manage: http.h GH_R_OR_MANAGE); NULL for none. */
    const char *required_alt;
    /* Filled by gh_tx_begin (core/guard.h) inside the open transaction: the
     * actor's effective permissions read from the rows. */
    gh_permset actor_perms;
    bool actor_perms_ok;
    /* Run once by the next gh_tx_begin, inside the write transaction, after
     * the actor is re-checked: a caller's precondition that must hold at the
     * moment of writing (SCIM's If-Match). Failing it rolls back. */
    gh_status (*tx_precondition)(struct gh_ctx *ctx, void *arg);
    void *tx_precondition_arg;
    gh_err err;
} gh_ctx;

/* Process-wide configuration, set once at start. */
typedef struct gh_config {
    char base_url[512];
    bool secure_cookies;
    bool test_clock;
    const struct gh_catalog *catalog;
} gh_config;

gh_config *gh_cfg(void);

/* Fills ctx->err with "out of memory" and returns GH_E_INTERNAL. */
gh_status gh_ctx_oom(gh_ctx *ctx);
/* Rolls back the open transaction; makes sure ctx->err says something;
 * returns st. For the failure path of a write. */
gh_status gh_ctx_rollback(gh_ctx *ctx, gh_status st);

#endif
