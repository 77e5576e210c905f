/*
 * The storage interface: every read and write the domain needs, as plain C
 * calls on plain structs. This header is the backend boundary: SQLite
 * implements it now (the .c files of store/); a PostgreSQL backend implements the same
 * functions. Core never sees SQL.
 *
 * Conventions: functions return GH_OK, GH_E_NOT_FOUND (for gets), or a
 * database error filled into err. Every query is scoped by org_id.
 */
#ifndef GH_STORE_H
#define GH_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "store/db.h"
#include "util/util.h"

#define GH_KEYLIST_MAX 4096  /* space-separated key lists */
#define GH_IP_ALLOWLIST_MAX 32            /* networks in an org's IP allowlist */
#define GH_IP_ALLOWLIST_TEXT_MAX (GH_IP_ALLOWLIST_MAX * 50)
#define GH_NAME_MAX 200
#define GH_EMAIL_MAX 254
#define GH_LANG_MAX 7        /* a language tag of the supported list (core/accounts.h) */

/* ---- organizations ----------------------------------------------------------- */
typedef struct gh_org {
    char id[GH_ID_MAX];
    char slug[64];
    char name[GH_NAME_MAX + 1];
    char template_set[64];
    char modules[GH_KEYLIST_MAX];   /* enabled modules (core implied) */
    char addons[GH_KEYLIST_MAX];
    int64_t seats_office, seats_factory;   /* -1 = unlimited */
    int64_t session_idle_s, session_max_s, invite_ttl_s;
    bool single_task_checkin;
    int64_t kiosk_pin_min;
    bool kiosk_enrolled_devices_only;
    int64_t kiosk_idle_s, kiosk_session_s;
    int64_t created_at;
    char ip_allowlist[GH_IP_ALLOWLIST_TEXT_MAX]; /* canonical CIDRs, space-separated; "" = any */
    bool erase_deleted_names;      /* tombstones keep "deleted user", not the name */
    int64_t device_idle_s;         /* display accounts' sessions: 0 = no idle timeout */
    int64_t device_session_s;      /* their lifetime */
} gh_org;

int64_t gh_store_org_count(gh_db *db);
gh_status gh_store_org_insert(gh_db *db, const gh_org *o, gh_err *err);
gh_status gh_store_org_get(gh_db *db, const char *id, gh_org *o, gh_err *err);
gh_status gh_store_org_get_by_slug(gh_db *db, const char *slug, gh_org *o, gh_err *err);
/* The only org, when there is exactly one (GH_E_NOT_FOUND otherwise). */
gh_status gh_store_org_get_single(gh_db *db, gh_org *o, gh_err *err);
/* Writes every mutable column of o. */
gh_status gh_store_org_update(gh_db *db, const gh_org *o, gh_err *err);
/* Calls fn for every org (CLI listing, authz build). */
gh_status gh_store_org_each(gh_db *db, void (*fn)(const gh_org *, void *), void *arg, gh_err *err);

/* ---- roles ------------------------------------------------------------------- */
typedef struct gh_role {
    char org_id[GH_ID_MAX];
    char key[65];
    char name[GH_NAME_MAX + 1];
    char description[1001];
    char permissions[GH_KEYLIST_MAX];
    bool device;
    bool from_template;
    int64_t created_at, updated_at;
} gh_role;

gh_status gh_store_role_insert(gh_db *db, const gh_role *r, gh_err *err);
gh_status gh_store_role_get(gh_db *db, const char *org_id, const char *key, gh_role *r, gh_err *err);
gh_status gh_store_role_update(gh_db *db, const gh_role *r, gh_err *err);
gh_status gh_store_role_delete(gh_db *db, const char *org_id, const char *key, gh_err *err);
gh_status gh_store_role_each(gh_db *db, const char *org_id /* NULL = all orgs */,
                             void (*fn)(const gh_role *, void *), void *arg, gh_err *err);
int64_t gh_store_role_user_count(gh_db *db, const char *org_id, const char *key);

/* ---- users ------------------------------------------------------------------- */
/* Seats in use (core/seats.h), inside the caller's transaction: office seats
 * are active users with office access plus pending invitations not expired
 * at `now`; factory seats are active users with factory access. An account
 * past its expiry date holds no seat (as a locked one). -1 on error. */
int64_t gh_store_office_seats_used(gh_db *db, const char *org_id, int64_t now);
int64_t gh_store_factory_seats_used(gh_db *db, const char *org_id, int64_t now);

typedef struct gh_user {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char email[GH_EMAIL_MAX + 1];      /* "" when none */
    char name[GH_NAME_MAX + 1];
    char mobile[41];
    char role_key[65];
    char status[16];                   /* active | locked */
    bool email_verified;
    bool office_access, factory_access;
    char password_hash[GH_PWHASH_MAX]; /* "" when none */
    bool modules_all;                  /* true: all of the org's modules */
    char modules[GH_KEYLIST_MAX];
    char grants[GH_KEYLIST_MAX];
    char badge[65];                    /* "" when none */
    char pin_hash[GH_PWHASH_MAX];
    bool pin_temporary;
    int64_t pin_failures;
    bool pin_blocked;
    bool checkin_exempt;
    int64_t created_at, updated_at, last_login_at; /* last_login_at 0 = never */
    /* Temporary and seasonal workers (003): 0 = none. After expires_at the
     * account cannot sign in and the sweep (core/schedule.h) locks it;
     * lock_at / unlock_at are a scheduled lock or unlock, applied by the
     * sweep and then cleared. */
    int64_t expires_at, lock_at, unlock_at;
    char language[GH_LANG_MAX + 1];    /* "" when not set: the device's, then the browser's */
} gh_user;

gh_status gh_store_user_insert(gh_db *db, const gh_user *u, gh_err *err);
gh_status gh_store_user_get(gh_db *db, const char *org_id, const char *id, gh_user *u, gh_err *err);
gh_status gh_store_user_get_by_email(gh_db *db, const char *org_id, const char *email, gh_user *u, gh_err *err);
gh_status gh_store_user_get_by_badge(gh_db *db, const char *org_id, const char *badge, gh_user *u, gh_err *err);
/* Writes every mutable column of u (and updated_at). */
gh_status gh_store_user_update(gh_db *db, const gh_user *u, gh_err *err);
/* Deletes the account (sessions, tokens, grants, memberships and
 * assignments go with it; check-ins and activity stay) and, in the same
 * statement sequence, closes the person's open check-ins at `at` (status
 * 'paused', ended_by `by`) and leaves the tombstone `t`. */
typedef struct gh_tombstone {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char name[GH_NAME_MAX + 1];    /* as it was, or "deleted user" */
    bool name_erased;
    int64_t deleted_at;
    char deleted_by[GH_ID_MAX];    /* "" when not a user */
} gh_tombstone;
gh_status gh_store_user_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
gh_status gh_store_tombstone_insert(gh_db *db, const gh_tombstone *t, gh_err *err);
/* GH_E_NOT_FOUND "user_not_found" when id is no deleted person of org_id. */
gh_status gh_store_tombstone_get(gh_db *db, const char *org_id, const char *id, gh_tombstone *t, gh_err *err);
/* Closes every open check-in of a user (status 'paused'); *n gets how many. */
gh_status gh_store_checkin_close_all_open(gh_db *db, const char *org_id, const char *user_id, int64_t at,
                                          const char *by, int64_t *n, gh_err *err);
gh_status gh_store_user_touch_login(gh_db *db, const char *id, int64_t at, gh_err *err);

typedef struct gh_user_filter {
    const char *status;       /* NULL = any */
    const char *role;         /* NULL = any */
    const char *q;            /* substring of name or email, NULL = any */
    int access;               /* 0 any, 1 office, 2 factory */
    const char *after_name;   /* keyset cursor (name, id); NULL = start */
    const char *after_id;
    int limit;
} gh_user_filter;
/* Calls fn per user in (name, id) order; returns how many were visited. */
gh_status gh_store_user_list(gh_db *db, const char *org_id, const gh_user_filter *f,
                             void (*fn)(const gh_user *, void *), void *arg, gh_err *err);
/* The query plan (EXPLAIN QUERY PLAN detail lines, one per line) of the
 * list gh_store_user_list runs for f: tests check no search scans the org. */
gh_status gh_store_user_list_plan(gh_db *db, const char *org_id, const gh_user_filter *f, char *out, size_t cap,
                                  gh_err *err);
/* Every user of an org (or all orgs when org_id is NULL), for invariant checks
 * and the authz build: fn gets each user. */
/* Accounts whose expiry, scheduled lock or scheduled unlock is due at
 * `now` (what: "expire" for an active account past expires_at, "lock",
 * "unlock"), at most limit of them into out; *n says how many. */
typedef struct gh_user_due {
    char org_id[GH_ID_MAX];
    char id[GH_ID_MAX];
    char what[8];
} gh_user_due;
gh_status gh_store_user_schedule_due(gh_db *db, int64_t now, int limit, gh_user_due *out, int *n, gh_err *err);
gh_status gh_store_user_each(gh_db *db, const char *org_id, void (*fn)(const gh_user *, void *),
                             void *arg, gh_err *err);

/* ---- sessions ---------------------------------------------------------------- */
typedef struct gh_session {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char user_id[GH_ID_MAX];
    char token_hash[GH_HASH_HEX_LEN + 1];
    char csrf_hash[GH_HASH_HEX_LEN + 1];
    char kind[16];                /* office | kiosk */
    int64_t created_at, last_seen_at, idle_s, expires_at;
    char ip[64];
    char user_agent[256];
    char device_id[GH_ID_MAX];
    bool pin_change_required;
    char mfa_pending[8];          /* "" full; "verify" or "enrol": second step due (core/mfa.h) */
    bool device;                  /* a display (device) account's: the device policy */
} gh_session;

gh_status gh_store_session_insert(gh_db *db, const gh_session *s, gh_err *err);
gh_status gh_store_session_get_by_hash(gh_db *db, const char *token_hash, gh_session *s, gh_err *err);
/* A session of a user by its id (the write guard re-reads it inside the
 * transaction: a revoked session no longer acts). */
gh_status gh_store_session_get(gh_db *db, const char *org_id, const char *user_id, const char *id, gh_session *s,
                              gh_err *err);
gh_status gh_store_session_touch(gh_db *db, const char *id, int64_t at, gh_err *err);
gh_status gh_store_session_set_pin_change(gh_db *db, const char *id, bool required, gh_err *err);
gh_status gh_store_session_delete(gh_db *db, const char *org_id, const char *user_id, const char *id, int64_t *deleted, gh_err *err);
/* Deletes all of a user's sessions except `keep_id` (may be NULL). */
gh_status gh_store_session_delete_user(gh_db *db, const char *org_id, const char *user_id,
                                       const char *keep_id, int64_t *deleted, gh_err *err);
/* Shortens the org's open sessions of one kind ('office' or 'kiosk' for
 * people, 'device' for display accounts, whose idle_s 0 is none) to at
 * most idle_s of idleness and max_s of lifetime counted from their start;
 * never lengthens one. */
gh_status gh_store_session_clamp(gh_db *db, const char *org_id, const char *kind, int64_t idle_s, int64_t max_s,
                                 gh_err *err);
gh_status gh_store_session_list(gh_db *db, const char *org_id, const char *user_id,
                                void (*fn)(const gh_session *, void *), void *arg, gh_err *err);

/* ---- single-use tokens (links) ------------------------------------------------- */
typedef struct gh_token {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];          /* "" for setup */
    char user_id[GH_ID_MAX];         /* "" when none */
    char purpose[32];                /* setup | verify | reset | invite */
    char token_hash[GH_HASH_HEX_LEN + 1];
    char email[GH_EMAIL_MAX + 1];
    int64_t created_at, expires_at, used_at;
} gh_token;

gh_status gh_store_token_insert(gh_db *db, const gh_token *t, gh_err *err);
gh_status gh_store_token_get_by_hash(gh_db *db, const char *token_hash, gh_token *t, gh_err *err);
gh_status gh_store_token_mark_used(gh_db *db, const char *id, int64_t at, gh_err *err);
/* Marks every unused token of that purpose for the user as used (superseded). */
gh_status gh_store_token_supersede(gh_db *db, const char *org_id, const char *user_id,
                                   const char *purpose, int64_t at, gh_err *err);

/* ---- outbox -------------------------------------------------------------------- */
/* The delivery outbox (core/delivery.h). Statuses: queued, sending, sent,
 * deferred, failed, logged (no SMTP configured). */
typedef struct gh_mail_row {
    const char *org_id, *kind, *to, *subject, *body, *html, *link;
    int64_t link_expires_at; /* 0 = the mail has no expiring link */
} gh_mail_row;
gh_status gh_store_outbox_insert(gh_db *db, const gh_mail_row *m, int64_t at, gh_err *err);
/* Mails, oldest first (org_id NULL: every org), as a JSON array of {id,
 * org_id, kind, to, subject, body, link, created_at, status, attempts,
 * last_error, next_attempt_at, sent_at}; at most `limit` newest when limit > 0. */
json_t *gh_store_outbox_list(gh_db *db, const char *org_id, int limit, gh_err *err);
/* Claims the oldest due mail (queued, or deferred and due, or sending with an
 * expired lease) for this process: status 'sending', lease_until = now +
 * lease_s, attempts + 1, in one UPDATE ... RETURNING, so exactly one process
 * gets it. *out (caller frees) is {id, org_id, kind, to, subject, body, html,
 * link, attempts, created_at} or NULL when nothing is due. */
gh_status gh_store_outbox_claim(gh_db *db, int64_t now, int64_t lease_s, json_t **out, gh_err *err);
/* Final or next state of a claimed mail. status 'sent', 'logged', 'failed'
 * or 'deferred' (next_at, error). error may be NULL. */
gh_status gh_store_outbox_finish(gh_db *db, const char *id, const char *status, int64_t now, int64_t next_at,
                                 const char *error, gh_err *err);
/* Removes the raw token from body, html and link of mails that were sent or
 * failed, or whose link expired before `now`. Returns the number scrubbed or -1. */
int gh_store_outbox_scrub(gh_db *db, int64_t now, gh_err *err);
/* The latest mail of `kind` to `to` in the org, as a list entry, or NULL. */
json_t *gh_store_outbox_latest(gh_db *db, const char *org_id, const char *kind, const char *to, gh_err *err);

/* ---- audit ----------------------------------------------------------------------- */
typedef struct gh_audit_row {
    char id[GH_ID_MAX]; /* "" = a new one */
    const char *org_id, *actor_type, *actor_id, *action, *target_type, *target_id, *ip, *request_id;
    const char *detail_json;
    int64_t at;
} gh_audit_row;
gh_status gh_store_audit_insert(gh_db *db, const gh_audit_row *a, gh_err *err);

typedef struct gh_audit_filter {
    const char *actor_id, *action, *target_id;
    int64_t from, to;        /* 0 = open */
    int64_t before_seq;      /* cursor: rows with seq < before_seq; 0 = newest */
    const char *q;           /* list only: a substring of the action, actor or target name, any case and accents */
    int limit;
} gh_audit_filter;
/* The newest audit sequence number (0 for none): a mark taken before slow
 * work, to ask afterwards what committed meanwhile. */
gh_status gh_store_audit_last_seq(gh_db *db, int64_t *seq, gh_err *err);
/* Whether, after audit sequence `seq`, something ended the user's sessions
 * or sign-in (user.sessions_revoked, user.locked, user.deleted, password
 * changes and resets): a sign-in verified before it must not open a
 * session after it. */
gh_status gh_store_audit_signin_ended_since(gh_db *db, const char *org_id, const char *user_id, int64_t seq,
                                            bool *ended, gh_err *err);
/* Newest first; appends to `items` and sets *next_seq (0 when no more). */
gh_status gh_store_audit_list(gh_db *db, const char *org_id, const gh_audit_filter *f,
                              json_t *items, int64_t *next_seq, gh_err *err);
/* The query plan of that list (EXPLAIN QUERY PLAN lines), for tests. */
gh_status gh_store_audit_list_plan(gh_db *db, const char *org_id, const gh_audit_filter *f, char *out, size_t cap,
                                   gh_err *err);

/* ---- API keys ------------------------------------------------------------------- */
typedef struct gh_apikey {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char name[GH_NAME_MAX + 1];
    char key_hash[GH_HASH_HEX_LEN + 1];
    char prefix[24];
    char created_by[GH_ID_MAX];
    int64_t created_at, expires_at /* 0 = never */, last_used_at /* 0 = never */;
    char scopes[GH_KEYLIST_MAX]; /* space-separated: service scopes and permission keys */
} gh_apikey;
gh_status gh_store_apikey_insert(gh_db *db, const gh_apikey *k, gh_err *err);
gh_status gh_store_apikey_get_by_hash(gh_db *db, const char *key_hash, gh_apikey *k, gh_err *err);
gh_status gh_store_apikey_get(gh_db *db, const char *org_id, const char *id, gh_apikey *k, gh_err *err);
gh_status gh_store_apikey_touch(gh_db *db, const char *id, int64_t at, gh_err *err);
gh_status gh_store_apikey_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
gh_status gh_store_apikey_list(gh_db *db, const char *org_id, void (*fn)(const gh_apikey *, void *),
                               void *arg, gh_err *err);

/* ---- company sign-in (issue 16) ------------------------------------------------- */
#define GH_SSO_BREAK_GLASS_MAX 16
#define GH_SSO_CONFIG_MAX (1024 * 1024) /* settings JSON, with SAML metadata XML */
#define GH_SSO_SEALED_MAX 8192          /* >= GH_SECRETBOX_SEALED_MAX */
typedef struct gh_sso_row {
    char org_id[GH_ID_MAX];
    char protocol[8];                   /* oidc | saml */
    char *config;                       /* JSON text without secrets; owned (gh_sso_row_release) */
    char client_secret[GH_SSO_SEALED_MAX]; /* sealed (core/secretbox.h), "" when none */
    char secret_kid[24];                /* the key id that opens it */
    bool required;                      /* password sign-in only for break_glass */
    char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX]; /* user ids, space-separated */
    int64_t last_test_at;               /* 0 = never */
    char last_error[512];
    int64_t created_at, updated_at;
} gh_sso_row;
/* Frees row->config (the row itself is the caller's). */
void gh_sso_row_release(gh_sso_row *row);
/* GH_E_NOT_FOUND sso_not_configured when the org has none. */
gh_status gh_store_sso_get(gh_db *db, const char *org_id, gh_sso_row *row, gh_err *err);
/* Inserts or replaces the org's configuration. */
gh_status gh_store_sso_put(gh_db *db, const gh_sso_row *row, gh_err *err);
gh_status gh_store_sso_delete(gh_db *db, const char *org_id, gh_err *err);
/* The org's declared e-mail domains (sso_domains): clear them all, add
 * one (409 domain_taken when another org declared it), or find the org
 * that declared one (GH_E_NOT_FOUND when none did). gh_store_sso_delete
 * clears them too. */
/* RP-initiated logout data of a session (sso_sessions): end_session_endpoint
 * and the sealed ID token (both malloc'd). GH_E_NOT_FOUND when the session
 * was not opened by an OIDC sign-in with logout. */
gh_status gh_store_sso_session_insert(gh_db *db, const char *session_id, const char *org_id, const char *endpoint,
                                      const char *id_token_sealed, gh_err *err);
gh_status gh_store_sso_session_get(gh_db *db, const char *session_id, char **endpoint, char **id_token_sealed,
                                   gh_err *err);
gh_status gh_store_sso_domains_clear(gh_db *db, const char *org_id, gh_err *err);
gh_status gh_store_sso_domain_add(gh_db *db, const char *org_id, const char *domain, gh_err *err);
gh_status gh_store_sso_domain_org(gh_db *db, const char *domain, char org_id[GH_ID_MAX], gh_err *err);
/* Records the outcome of a connection test ("" = it worked). */
gh_status gh_store_sso_set_test(gh_db *db, const char *org_id, int64_t at, const char *error, gh_err *err);
/* The policy alone (no allocation): required and the break-glass ids
 * ("" and false when the org has no configuration). */
gh_status gh_store_sso_policy(gh_db *db, const char *org_id, bool *required,
                              char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX], gh_err *err);

typedef struct gh_identity {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char user_id[GH_ID_MAX];
    char kind[8];            /* oidc | saml | scim */
    char issuer[512];        /* OIDC issuer, SAML IdP entity id, provisioning client */
    char subject[256];       /* sub, NameID, externalId */
    int64_t created_at, last_used_at;
} gh_identity;
gh_status gh_store_identity_insert(gh_db *db, const gh_identity *i, gh_err *err);
/* GH_E_NOT_FOUND identity_not_found when nobody is linked to it. */
gh_status gh_store_identity_find(gh_db *db, const char *org_id, const char *kind, const char *issuer,
                                 const char *subject, gh_identity *i, gh_err *err);
gh_status gh_store_identity_touch(gh_db *db, const char *org_id, const char *id, int64_t at, gh_err *err);
/* How many identities link to user_id. */
int64_t gh_store_identity_count_for_user(gh_db *db, const char *org_id, const char *user_id);
/* A person's linked identities, oldest first, at most cap (*n of them). */
gh_status gh_store_identity_list(gh_db *db, const char *org_id, const char *user_id, gh_identity *out, size_t cap,
                                 size_t *n, gh_err *err);
/* Removes one of user_id's identities; 404 identity_not_found otherwise. */
gh_status gh_store_identity_delete(gh_db *db, const char *org_id, const char *user_id, const char *id,
                                   gh_identity *removed, gh_err *err);

typedef struct gh_sso_state {
    char state_hash[GH_HASH_HEX_LEN + 1];
    char org_id[GH_ID_MAX];
    char verifier[GH_SSO_SEALED_MAX]; /* sealed PKCE verifier */
    char purpose[64];                 /* login | reauth:<why> */
    char user_id[GH_ID_MAX];          /* reauth: who */
    int64_t created_at, expires_at, used_at;
} gh_sso_state;
gh_status gh_store_sso_state_insert(gh_db *db, const gh_sso_state *s, gh_err *err);
/* Reads the state and marks it used (in the caller's transaction).
 * GH_E_NOT_FOUND when unknown; *s->used_at tells a replay (non-zero:
 * it was used before this call). */
gh_status gh_store_sso_state_take(gh_db *db, const char *state_hash, int64_t now, gh_sso_state *s, gh_err *err);
/* SAML: the state remembers the AuthnRequest's id (in verifier). */
gh_status gh_store_sso_state_set_verifier(gh_db *db, const char *state_hash, const char *verifier, gh_err *err);
/* Reads the state without marking it. */
gh_status gh_store_sso_state_get(gh_db *db, const char *state_hash, gh_sso_state *s, gh_err *err);
/* Records that the re-authentication of this state succeeded at `at`
 * (mfa: the IdP's MFA counted, core/mfa.h). */
gh_status gh_store_sso_state_prove(gh_db *db, const char *state_hash, int64_t at, bool mfa, gh_err *err);
/* Consumes the newest proof of user_id for purpose proved at or after
 * `since` (proved_at becomes -1); *found says whether there was one and
 * *mfa (may be NULL) whether its MFA counted. */
gh_status gh_store_sso_reauth_consume(gh_db *db, const char *org_id, const char *user_id, const char *purpose,
                                      int64_t since, bool *found, bool *mfa, gh_err *err);
/* Forgets states that expired before `before`. */
gh_status gh_store_sso_state_purge(gh_db *db, int64_t before, gh_err *err);


/* ---- webhooks ----------------------------------------------------------- */
#define GH_WEBHOOK_URL_MAX 2048
#define GH_WEBHOOK_EVENTS_MAX 1024 /* space-separated names and patterns */
#define GH_WEBHOOK_SEALED_MAX 512   /* the sealed signing secret */
typedef struct gh_webhook {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char url[GH_WEBHOOK_URL_MAX + 1];
    char description[GH_NAME_MAX + 1];
    char events[GH_WEBHOOK_EVENTS_MAX];
    bool enabled;
    char secret[GH_WEBHOOK_SEALED_MAX];
    char created_by[GH_ID_MAX];
    int64_t created_at, updated_at;
} gh_webhook;
gh_status gh_store_webhook_insert(gh_db *db, const gh_webhook *w, gh_err *err);
/* Writes url, description, events, enabled, secret and updated_at. */
gh_status gh_store_webhook_update(gh_db *db, const gh_webhook *w, gh_err *err);
gh_status gh_store_webhook_get(gh_db *db, const char *org_id, const char *id, gh_webhook *w, gh_err *err);
gh_status gh_store_webhook_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
/* The org's endpoints in creation order (only the enabled ones when
 * enabled_only); fn returns false to stop. */
gh_status gh_store_webhook_each(gh_db *db, const char *org_id, bool enabled_only,
                                bool (*fn)(const gh_webhook *, void *), void *arg, gh_err *err);
/* Queues one delivery (id = the message id, "msg_..."). */
gh_status gh_store_whdelivery_insert(gh_db *db, const char *id, const char *org_id, const char *webhook_id,
                                     const char *event, const char *payload, int64_t at, gh_err *err);
/* Claims the oldest due delivery like gh_store_outbox_claim. *out (caller
 * frees) is {id, org_id, webhook_id, event, payload, attempts, created_at}
 * or NULL when nothing is due. */
gh_status gh_store_whdelivery_claim(gh_db *db, int64_t now, int64_t lease_s, json_t **out, gh_err *err);
/* Outcome of a claimed delivery: status 'delivered', 'deferred' (next_at)
 * or 'failed'; the reply's status (0: none) and excerpt, error or NULL. */
gh_status gh_store_whdelivery_finish(gh_db *db, const char *id, const char *status, int64_t now, int64_t next_at,
                                     long http_status, const char *excerpt, const char *error, gh_err *err);
/* The endpoint's newest `limit` deliveries, newest first, without payload. */
json_t *gh_store_whdelivery_list(gh_db *db, const char *org_id, const char *webhook_id, int limit, gh_err *err);
/* Deliveries waiting (queued, deferred or sending), every org. -1 on error. */
int64_t gh_store_whdelivery_backlog(gh_db *db);

/* ---- audit export -------------------------------------------------------- */
typedef struct gh_audit_export_row {
    int64_t seq, at;
    const char *id, *actor_type, *actor_id, *actor_name, *action, *target_type, *target_id, *target_name, *ip,
        *request_id, *detail; /* NULL when absent; valid during the callback only */
} gh_audit_export_row;
/* Calls fn for at most `limit` rows of the org's trail matching f (limit
 * and before_seq unused) with after_seq < seq <= upto_seq, oldest first;
 * *last gets the last seq seen (unchanged when none). fn returns false to
 * stop. One short statement per call: the caller pages with after_seq. */
gh_status gh_store_audit_export_page(gh_db *db, const char *org_id, const gh_audit_filter *f, int64_t after_seq,
                                     int64_t upto_seq, int limit,
                                     bool (*fn)(const gh_audit_export_row *, void *), void *arg, int64_t *last,
                                     gh_err *err);
/* SAML: the org's service-provider certificate (PEM) and sealed private
 * key, both malloc'd. GH_E_NOT_FOUND saml_key_missing before the first. */
gh_status gh_store_saml_key_get(gh_db *db, const char *org_id, char **cert_pem, char **key_sealed, gh_err *err);
/* Stores the org's key unless it has one already (a concurrent first use:
 * the caller reads it back). */
gh_status gh_store_saml_key_insert(gh_db *db, const char *org_id, const char *cert_pem, const char *key_sealed,
                                   int64_t at, gh_err *err);
/* Records an accepted assertion id until expires_at (forgetting expired
 * ones); *fresh is false when it was already recorded (a replay). */
gh_status gh_store_saml_seen(gh_db *db, const char *org_id, const char *assertion_id, int64_t now, int64_t expires_at,
                             bool *fresh, gh_err *err);

#endif
