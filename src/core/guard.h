/*
 * The write guard: every core write opens its transaction here, and every
 * "may this actor confer that / act on that person?" question is answered
 * here, from the rows, inside that transaction.
 *
 * Why: the dispatcher checks a route's permission against the in-memory
 * snapshot before the handler runs, but a write may then wait for the
 * database's write lock while another writer (another request, the CLI,
 * a second node) locks, deletes or demotes the actor, or revokes their
 * session or key. gh_tx_begin() takes the write lock (BEGIN IMMEDIATE) and
 * only then re-reads the actor, so whatever committed first wins: a gone
 * session or key, a locked or deleted account answer 401, a permission the
 * actor no longer holds 403 permission_denied, and nothing is written.
 *
 * No escalation (issue 11): whoever changes what someone may do can only
 * confer permissions they effectively hold themselves at that moment, and
 * can only act on a person whose permissions they all hold. Both answer
 * 403 `escalation` with the keys at fault in the problem's `missing`
 * member. Removing permissions is never refused by this rule.
 *
 * The rule measures people by what they hold when active and when the
 * organization has every module and add-on: (role | grants) & their own
 * modules (and read-only only for a device role), computed by the same
 * pure function as the snapshot (gh_authz_effective_set) with the org's
 * subscription taken as complete. So a locked IT Admin is still above a
 * Manager (who may not unlock them), enabling a module for someone confers
 * exactly what it adds for them, and nothing can be staged in a role or on
 * a person that would exceed the actor once the operator extends the
 * subscription. Permission checks (gh_tx_begin, gh_guard_actor_holds) use
 * the actor's effective permissions now, with the org's subscription.
 */
#ifndef GH_GUARD_H
#define GH_GUARD_H
#include <jansson.h>
#include <stdbool.h>

#include "core/catalog.h"
#include "core/ctx.h"
#include "core/permset.h"
#include "store/store.h"

/* Opens a write transaction (BEGIN IMMEDIATE) and re-checks the actor from
 * the rows: a user actor with a session must still exist, be active and
 * have that session; an API key must still exist and not have expired; the
 * actor must still hold ctx->required_perm. Fills ctx->actor_perms. On
 * failure nothing is open and ctx->err says why (401 unauthenticated,
 * 403 permission_denied, 503 database_busy). Anonymous and system actors
 * and a user being signed in (no session yet: the sign-in path re-reads
 * the account itself) are not re-checked. */
gh_status gh_tx_begin(gh_ctx *ctx);
/* Finishes a write begun by gh_tx_begin: commits (the change and its audit
 * event together), then refreshes the authorization snapshot so the next
 * request on this process sees the change. On a failed commit nothing is
 * kept and ctx->err says why. (store's gh_db_commit commits only.) */
gh_status gh_tx_commit_and_refresh(gh_ctx *ctx);

/* A change run by gh_tx_run. It reads and writes through ctx->db inside the
 * open write transaction and may name the one audit event gh_tx_run writes
 * after it (action NULL: the change wrote its own events, or none). */
typedef struct gh_tx {
    const char *action;      /* e.g. "user.locked"; NULL: none */
    const char *target_type; /* e.g. "user" */
    const char *target_id;   /* must outlive the change (point into arg) */
    json_t *detail;          /* owned by the tx: written or released */
    bool unchanged;          /* nothing to write: rolled back, answered GH_OK */
} gh_tx;
typedef gh_status (*gh_tx_change_fn)(gh_ctx *ctx, gh_tx *tx, void *arg);
/* Names the one audit event of a change (detail stolen; target_id must
 * outlive the change). */
void gh_tx_event(gh_tx *tx, const char *action, const char *target_type, const char *target_id, json_t *detail);

/* The transaction written once: gh_tx_begin, the change, its audit event
 * (tx->action), then gh_tx_commit_and_refresh; on any failure (or when the
 * change reports tx->unchanged) everything is rolled back and tx->detail
 * released. ctx->err says why on failure. */
gh_status gh_tx_run(gh_ctx *ctx, gh_tx_change_fn change, void *arg);
/* The same for a change that touches nothing the authorization snapshot
 * holds (sessions, single-use links, mail, setup tokens): it commits
 * without refreshing the snapshot. */
gh_status gh_tx_run_no_refresh(gh_ctx *ctx, gh_tx_change_fn change, void *arg);

/* Inside the open transaction: the actor's effective permissions from the
 * rows (the system and API keys: every catalog permission; anonymous:
 * none). */
gh_status gh_guard_actor_perms(gh_ctx *ctx, gh_permset *out);
/* Whether the actor holds perm (from the rows; false on any error). */
bool gh_guard_actor_holds(gh_ctx *ctx, const char *perm);
/* 403 permission_denied (extra `permission`) unless the actor holds perm. */
gh_status gh_guard_require_perm(gh_ctx *ctx, const char *perm);

/* Whether person u (read by the caller inside the transaction) holds perm
 * in org o now: active, with the org's subscription (what a check would
 * answer once the snapshot catches up). */
gh_status gh_guard_user_holds(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *perm, bool *holds);

/* The measure of the no-escalation rule (see above), from the rows: u's
 * permissions in org o, reading u's role, and the actor's (the system and
 * API keys: every permission; anonymous: none; a gone or locked actor:
 * none). */
gh_status gh_guard_user_latent(gh_ctx *ctx, const gh_org *o, const gh_user *u, gh_permset *out);
gh_status gh_guard_actor_latent(gh_ctx *ctx, gh_permset *out);

/* 403 escalation unless the actor holds every permission of need. `what`
 * starts the detail ("you cannot give permissions you do not hold"). */
gh_status gh_guard_require_all(gh_ctx *ctx, const gh_permset *need, const char *what);
/* Confer: the permissions `after` would newly hold over `before` (NULL: a
 * new person, who held nothing) must all be held by the actor. Lowering is
 * always allowed. Covers role, grants, modules, and raising oneself. */
gh_status gh_guard_confer(gh_ctx *ctx, const gh_org *o, const gh_user *before, const gh_user *after);
/* Act on a person: the actor must hold every standing permission of
 * target (trivially true for oneself). */
gh_status gh_guard_target(gh_ctx *ctx, const gh_org *o, const gh_user *target);
/* A role's permissions change from old_list to new_list (old_list "" for a
 * new role): what is added (read-only keys only, for a device role) must be
 * held by the actor; and if anything is taken away, the actor must hold
 * everything the role gave (trimming a role acts on all its holders, like
 * gh_guard_target). */
gh_status gh_guard_role_perms(gh_ctx *ctx, bool device, const char *old_list, const char *new_list);

/* ---- pure parts (unit-tested) ------------------------------------------------ */
/* missing = need & ~held; true when something is missing. */
bool gh_guard_missing(const gh_permset *held, const gh_permset *need, gh_permset *missing);
/* gained = after & ~before. */
void gh_guard_gained(const gh_permset *before, const gh_permset *after, gh_permset *gained);
/* Keys of set s in catalog order, as a new JSON array (NULL on OOM). */
json_t *gh_guard_keys_json(const gh_catalog *cat, const gh_permset *s);
/* Fills err with 403 escalation when need has permissions held lacks:
 * detail "<what>: k1, k2, ..." (shortened to fit) and `missing`: [keys].
 * GH_OK (err untouched) when nothing is missing. */
gh_status gh_guard_escalation(gh_err *err, const gh_catalog *cat, const gh_permset *held, const gh_permset *need,
                              const char *what);

#endif
