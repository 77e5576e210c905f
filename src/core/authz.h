/*
 * The authorization snapshot: a compiled, immutable, in-memory answer to
 * "may this user do that?" in tens of nanoseconds.
 *
 * The store layer reads organizations, roles and users from the database
 * into the plain *_in structs below and calls gh_authz_build(); the snapshot
 * copies what it needs, so the inputs may be freed right after. A snapshot
 * is never modified: any change to a role, grant, module, add-on, membership
 * or account status builds a new one (gh_authz_apply derives it from
 * the previous one for user and role changes), which the server swaps in; readers on
 * any thread may use a snapshot concurrently without locks for as long as
 * they hold it. A snapshot borrows its catalog, which must outlive it.
 *
 * The rule (CATALOG.md), computed once per user at build time:
 *   effective = (role permissions | grants | the org's open permissions)
 *               & permissions whose module is enabled for BOTH the org and
 *                 the user (always-on modules such as core count as enabled)
 *               & permissions needing no add-on or an add-on the org has
 *               & (read-only permissions only, if the role is a device role)
 *   and nothing at all for an inactive user.
 * The org's open permissions are those its template set opens to everyone
 * (gh_catalog_set_open); a device account gets the read-only ones.
 * A key the catalog does not list is denied to everyone (fail closed:
 * reason unknown_permission). Unknown and inactive users are always denied.
 */
#ifndef GH_AUTHZ_H
#define GH_AUTHZ_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/permset.h"

/* User module mask meaning "every module of the org" (the default). */
#define GH_AUTHZ_ALL_MODULES UINT64_MAX

/* An organization: its subscription. Bit m of modules is catalog module m,
 * bit a of addons is catalog add-on a; bits past the catalog's counts are
 * ignored and always-on modules are enabled whatever the mask says. */
typedef struct gh_authz_org_in {
    const char *org_id;
    uint64_t modules;
    uint64_t addons;
    gh_permset open; /* open to every active person (gh_catalog_set_open of its set) */
} gh_authz_org_in;

/* A role of an organization (key unique within the org). */
typedef struct gh_authz_role_in {
    const char *org_id;
    const char *key;
    gh_permset perms;
    bool device; /* shared display account: keeps only read-only permissions */
} gh_authz_role_in;

/* A user (user_id unique within the org). */
typedef struct gh_authz_user_in {
    const char *org_id;
    const char *user_id;
    const char *role_key; /* a role of the same org, or NULL for none */
    uint64_t modules;     /* the user's subset of the org's modules;
                             GH_AUTHZ_ALL_MODULES = all of the org's */
    gh_permset grants;    /* per-user grants on top of the role */
    bool active;          /* false: locked, deactivated, not yet joined */
} gh_authz_user_in;

/* gh_authz_build results. */
enum {
    GH_AUTHZ_OK = 0,
    GH_AUTHZ_ENOMEM = 1, /* out of memory, or sizes past INT_MAX users */
    GH_AUTHZ_EINVAL = 2  /* NULL id, duplicate org/role/user, a role or user
                            naming an unknown org or role, or a permission
                            set naming indexes past the catalog's */
};

/* Why a check came out as it did. Names (gh_authz_reason_str) are stable
 * API. Callers answering outsiders must report unknown_user and
 * user_inactive identically so nothing leaks about accounts. */
typedef enum gh_authz_reason {
    GH_AUTHZ_GRANTED_BY_ROLE,
    GH_AUTHZ_GRANTED_BY_GRANT,
    GH_AUTHZ_OPEN,               /* open to everyone of the org (catalog or template set) */
    GH_AUTHZ_UNKNOWN_PERMISSION, /* a key the catalog does not list, a bad index, NULL */
    GH_AUTHZ_NOT_GRANTED,
    GH_AUTHZ_MODULE_DISABLED_FOR_ORG,
    GH_AUTHZ_MODULE_DISABLED_FOR_USER,
    GH_AUTHZ_ADDON_MISSING,
    GH_AUTHZ_DEVICE_READ_ONLY,
    GH_AUTHZ_USER_INACTIVE,
    GH_AUTHZ_UNKNOWN_USER
} gh_authz_reason;

typedef struct gh_authz gh_authz;

/* "granted_by_role", "not_granted", ... ("unknown" for values out of range). */
const char *gh_authz_reason_str(gh_authz_reason reason);

/* Compiles a snapshot. Returns GH_AUTHZ_OK and sets *out (free with
 * gh_authz_free), or an error code with *out NULL. */
int gh_authz_build(const gh_catalog *cat, const gh_authz_org_in *orgs, size_t norgs,
                   const gh_authz_role_in *roles, size_t nroles, const gh_authz_user_in *users,
                   size_t nusers, gh_authz **out);
/* A change to apply to a snapshot: roles to add or replace (their holders
 * are recompiled), users to delete and users to add or replace. */
typedef struct gh_authz_user_ref {
    const char *org_id;
    const char *user_id;
} gh_authz_user_ref;
typedef struct gh_authz_change {
    const gh_authz_role_in *roles;
    size_t nroles;
    const gh_authz_user_ref *gone; /* deleted (unknown ones are ignored) */
    size_t ngone;
    const gh_authz_user_in *users;
    size_t nusers;
} gh_authz_change;

/* The incremental path: a new snapshot equal to what gh_authz_build would
 * compile from base's inputs with ch applied (roles, then deletions, then
 * users), leaving base untouched and usable. It copies base's flat arrays
 * (memcpy) and recompiles only the changed users and the holders of changed
 * roles; ids are shared with base by reference counts, so base may be freed
 * first. Orgs cannot change this way: a role or user naming an org (or a
 * user a role) base does not know gives GH_AUTHZ_EINVAL, and the caller
 * rebuilds. Deleted users stay as unreachable rows until the next build. */
int gh_authz_apply(const gh_authz *base, const gh_authz_change *ch, gh_authz **out);
/* True when enough deleted rows or apply steps piled up that the holder
 * should rebuild from scratch. */
bool gh_authz_worn(const gh_authz *az);
/* Bytes the snapshot holds (arrays, hash table, ids), for the figures. */
size_t gh_authz_memory(const gh_authz *az);

/* Frees a snapshot (NULL is fine). */
void gh_authz_free(gh_authz *az);

/* The catalog the snapshot was built on. */
const gh_catalog *gh_authz_catalog(const gh_authz *az);
/* Number of user rows; user indexes are 0..count-1 (in input order for
 * gh_authz_build). After gh_authz_apply the rows of deleted and replaced
 * users stay (unreachable by id) until a merge, so count them as an index
 * range, not as people. An index is only meaningful with the snapshot that
 * gave it. */
size_t gh_authz_user_count(const gh_authz *az);
/* Index of a user of an org (hash lookup), or -1 if unknown in that org. */
int gh_authz_user_index(const gh_authz *az, const char *org_id, const char *user_id);

/* The hot path: may user user_idx use permission perm_idx (a catalog index)?
 * False for a NULL snapshot, an unknown user index, any other perm index
 * (-1: a key the catalog does not list) and an inactive user. One array
 * index and one bit test. */
bool gh_authz_allowed(const gh_authz *az, int user_idx, int perm_idx);

/* The same by strings (two hash lookups). If reason is not NULL it is set
 * to why (computed only then). */
bool gh_authz_check(const gh_authz *az, const char *org_id, const char *user_id,
                    const char *perm_key, gh_authz_reason *reason);

/* Why gh_authz_allowed(az, user_idx, perm_idx) answers as it does. */
gh_authz_reason gh_authz_reason_of(const gh_authz *az, int user_idx, int perm_idx);

/* Per-user facts (user_idx must be valid; otherwise false/0/NULL/empty). */
bool gh_authz_user_active(const gh_authz *az, int user_idx);
bool gh_authz_user_device(const gh_authz *az, int user_idx);
const char *gh_authz_user_role(const gh_authz *az, int user_idx); /* NULL: no role */
/* Effective modules: (org & user) | always-on; 0 for an inactive user. */
uint64_t gh_authz_user_modules(const gh_authz *az, int user_idx);
/* Effective permissions (empty for an inactive user). */
void gh_authz_user_perms(const gh_authz *az, int user_idx, gh_permset *out);
/* Whether the user sees catalog tab tab_idx: active, the tab's module
 * enabled for org and user, and, if the tab names permissions, holding one. */
bool gh_authz_tab_visible(const gh_authz *az, int user_idx, size_t tab_idx);

/* Effective lists as new JSON references (NULL on out of memory or bad
 * index): permission keys held; visible tabs as [{"module","key"}];
 * module keys. gh_authz_effective_json bundles the three as
 * {"permissions": [...], "tabs": [...], "modules": [...]}. */
json_t *gh_authz_perms_json(const gh_authz *az, int user_idx);
json_t *gh_authz_tabs_json(const gh_authz *az, int user_idx);
json_t *gh_authz_modules_json(const gh_authz *az, int user_idx);
json_t *gh_authz_effective_json(const gh_authz *az, int user_idx);

/* Everything about a user's access, for administrators: {"user_id",
 * "role", "active", "device", "modules", "permissions": [{key, allowed,
 * reason, via_role, via_grant, via_open, module, module_enabled_org,
 * module_enabled_user, addon (null if none), addon_present (true when no
 * add-on is needed)}], "tabs": [{module, key, visible, reason}]} where a
 * visible tab's reason is "visible". cat must be the snapshot's catalog.
 * New reference; NULL on out of memory or bad index. */
json_t *gh_authz_explain(const gh_authz *az, const gh_catalog *cat, int user_idx);

/* The rule itself, as a pure function of proposed inputs, so the write path
 * can test a change (e.g. self-lockout: "would I still hold users.manage?")
 * before committing it. gh_authz_build uses exactly this function.
 * org_open (the org's open permissions), role_perms and grants may be NULL
 * (empty); the user is taken as active. */
void gh_authz_effective_set(const gh_catalog *cat, uint64_t org_modules, uint64_t org_addons,
                            const gh_permset *org_open, const gh_permset *role_perms,
                            bool role_device, uint64_t user_modules, const gh_permset *grants,
                            gh_permset *out);
/* Whether that effective set holds perm_idx (false for -1, a key the catalog
 * does not list, and any index out of range). */
bool gh_authz_effective_would_hold(const gh_catalog *cat, uint64_t org_modules,
                                   uint64_t org_addons, const gh_permset *org_open,
                                   const gh_permset *role_perms,
                                   bool role_device, uint64_t user_modules,
                                   const gh_permset *grants, int perm_idx);
/* Effective modules for those inputs: (org & user) | always-on. */
uint64_t gh_authz_effective_modules(const gh_catalog *cat, uint64_t org_modules,
                                    uint64_t user_modules);

#endif
