/*
 * Access decisions for the running process. Wraps the compiled authorization
 * snapshot (core/authz.h): builds it from the store, swaps it in atomically
 * when the database generation moves (changes by this process are applied
 * before the writing request answers; changes by other processes are picked
 * up by a poller within 250 ms), and answers permission questions from
 * memory only.
 */
#ifndef GH_ACCESS_H
#define GH_ACCESS_H
#include <jansson.h>
#include <stdbool.h>

#include "core/catalog.h"
#include "core/ctx.h"
#include "store/store.h"
#include "util/net.h"

int gh_access_init(const gh_catalog *cat);
void gh_access_shutdown(void);
/* Brings the snapshot up to the database's generation: applies the logged
 * user and role changes past its own (store/changes.h) when it can, else
 * (force, org or catalog changes, a pruned log) compiles everything. On
 * failure (logged) the previous snapshot stays and the poller retries. */
int gh_access_refresh(gh_db *db, bool force);
/* How many refreshes applied logged user and role changes to the snapshot
 * (incremental) and how many compiled everything (full), since start. */
void gh_access_update_counts(uint64_t *incremental, uint64_t *full);
/* Bytes the snapshot in use holds, and its user rows (deleted ones too). */
size_t gh_access_snapshot_memory(size_t *users);
/* Wakes the poller to retry a rebuild now. */
void gh_access_refresh_soon(void);
/* Has a snapshot been built? (readiness) */
bool gh_access_ready(void);
/* Starts/stops the background loop: generation poll + outbox delivery. */
int gh_access_start_poller(void);
void gh_access_stop_poller(void);

/* Does the actor hold perm? A user: from the snapshot. An API key: only
 * what its scopes name (tasks.write stands for tasks.assign). The system
 * holds everything; anonymous nothing. */
bool gh_access_allowed(gh_ctx *ctx, const char *perm);

/* ---- API key scopes ----------------------------------------------------------
 * A key's scopes are catalog permission keys (a subset of its creator's) and
 * the service scopes below, which name what a calling service does rather
 * than a person's permission. */
enum {
    GH_SCOPE_AUTHZ_CHECK = 1u << 0,    /* POST /v1/check, and the catalog, org and roles */
    GH_SCOPE_ACTIVITY_WRITE = 1u << 1, /* POST /v1/activity, and reading activity back */
    GH_SCOPE_TASKS_WRITE = 1u << 2,    /* tasks, assignees, orders, screens, time records */
    GH_SCOPE_SCIM = 1u << 3,           /* SCIM provisioning (/scim/v2/, api/scim.c) */
};
/* Name of service scope bit (one bit), or NULL. */
const char *gh_scope_service_name(unsigned bit);
/* Bit of a service scope name, or 0 when it is not one. */
unsigned gh_scope_service_bit(const char *name);
/* The scopes a new key gets when it names none. */
#define GH_SCOPE_DEFAULT "authz.check"
/* Compiles a space-separated scope list for the actor (unknown keys, e.g.
 * ones a replaced catalog dropped, are ignored: fail closed). */
void gh_access_key_scopes(const char *list, gh_actor *a);
/* Whether an API key actor's scopes hold scope (a service scope or a
 * permission key). False for any other actor. */
bool gh_access_key_holds(const gh_actor *a, const char *scope);
/* Is the acting user a shared display (device) account? */
bool gh_access_is_device(gh_ctx *ctx);
/* Is the user known and active? (from memory) */
bool gh_access_user_active(const char *org_id, const char *user_id);

/* May the org's people work from address ip? True when the org has no IP
 * allowlist (from memory, refreshed with the snapshot). */
bool gh_access_ip_allowed(const char *org_id, const char *ip);

/* A check for POST /v1/check: allowed + an outward reason. Unknown, locked
 * and deleted users all read as {false, "denied"}. */
bool gh_access_check(const char *org_id, const char *user_id, const char *perm, const char **reason);
/* {role, modules, permissions, tabs} for a user; NULL if unknown. */
json_t *gh_access_summary(const char *org_id, const char *user_id);
/* Per permission and tab, what gives or withholds it; NULL if unknown. */
json_t *gh_access_explain(const char *org_id, const char *user_id);

/* The write path's question, answered from the proposed rows (not the
 * snapshot): would user u, with role r, in org o, hold perm? */
bool gh_access_would_hold(const gh_org *o, const gh_role *r, const gh_user *u, const char *perm);

/* The rule over rows: the permissions user u (role r, NULL for none) of
 * org o effectively holds, taken as active (whatever u->status says). The
 * same pure function as the snapshot (gh_authz_effective_set). */
void gh_access_rows_effective(const gh_org *o, const gh_role *r, const gh_user *u, gh_permset *out);
/* The same as if the organization had every module and add-on: what u
 * holds now or would hold once the operator extends the subscription (the
 * measure of the no-escalation rule, core/guard.h). */
void gh_access_rows_latent(const gh_org *o, const gh_role *r, const gh_user *u, gh_permset *out);
/* A space-separated key list as a set (keys the catalog lacks are ignored). */
void gh_access_perms_of(const char *list, gh_permset *out);

/* Validates a space-separated list of keys of a kind against the catalog;
 * on failure names the unknown keys in err (field `field`). */
typedef enum { GH_KEYS_PERMISSIONS, GH_KEYS_MODULES, GH_KEYS_ADDONS } gh_key_kind;
gh_status gh_access_validate_keys(const json_t *array, gh_key_kind kind, const char *field,
                                  char *out_list, size_t cap, gh_err *err);

const gh_catalog *gh_access_catalog(void);
/* The permissions open to every active person of org o (its template set's). */
const gh_permset *gh_access_org_open(const gh_org *o);

/* ---- catalog facts the domain needs (wrapping core/catalog.h) ---------------- */
typedef struct gh_template_role {
    const char *key, *name, *description;
    char permissions[GH_KEYLIST_MAX];  /* expanded, space-separated */
    bool device;
} gh_template_role;
/* Roles of a template set (caller frees *roles with free()); owner gets the
 * role the organization's creator receives. GH_E_INVALID if unknown set. */
gh_status gh_access_template_roles(const char *set, gh_template_role **roles, size_t *n,
                                   const char **owner, gh_err *err);
const char *gh_access_default_template(void);
/* Every non-core module / every add-on of the catalog, space-separated. */
void gh_access_all_modules(char *out, size_t cap);
void gh_access_all_addons(char *out, size_t cap);

#endif
