/*
 * Configurable roles (001): a key, a name, a description and a set of
 * non-hierarchical permission keys from the catalog; and the organization's
 * settings. Role edits run the same invariant checks as user edits, so a
 * role change cannot lock the editor out or leave nobody who can manage
 * users.
 */
#ifndef GH_ROLES_H
#define GH_ROLES_H
#include <jansson.h>

#include "core/ctx.h"
#include "util/net.h"
#include "store/store.h"

json_t *gh_role_json(gh_ctx *ctx, const gh_role *r);
gh_status gh_role_list(gh_ctx *ctx, json_t **items);
gh_status gh_role_get(gh_ctx *ctx, const char *key, json_t **out);
gh_status gh_role_create(gh_ctx *ctx, const char *key, const char *name, const char *description,
                         const json_t *permissions, bool device, json_t **out);
/* NULL members are left alone. */
gh_status gh_role_update(gh_ctx *ctx, const char *key, const char *name, const char *description,
                         const json_t *permissions, json_t **out);
gh_status gh_role_delete(gh_ctx *ctx, const char *key);

/* Organization settings patch; absent fields (has_* false) are left alone.
 * Fields under it.operations (sessions, kiosk security) and under
 * settings.manage (the rest) are checked against the actor's permissions. */
typedef struct gh_org_patch {
    const char *name;
    bool has_single_task, single_task;
    bool has_erase_names, erase_names;   /* tombstones of people deleted from now on say "deleted user" */
    bool has_invite_ttl; int64_t invite_ttl_s;
    bool has_idle; int64_t idle_s;
    bool has_max; int64_t max_s;
    bool has_pin_min; int64_t pin_min;
    bool has_enrolled_only, enrolled_only;
    bool has_kiosk_idle; int64_t kiosk_idle_s;
    bool has_kiosk_max; int64_t kiosk_max_s;
    /* Display (device) accounts' sessions: idle timeout (0 = none) and lifetime in days. */
    bool has_device_idle; int64_t device_idle_s;
    bool has_device_days; int64_t device_days;
    const json_t *ip_allowlist;  /* NULL: unchanged; an array of CIDR strings ([] = any address) */
} gh_org_patch;
gh_status gh_org_update(gh_ctx *ctx, const gh_org_patch *p, gh_org *out);

/* Validates an array of CIDR strings into canonical space-separated text
 * and the parsed networks (de-duplicated, at most GH_IP_ALLOWLIST_MAX, their
 * number in *count); errors name the element. */
gh_status gh_ip_allowlist_from_json(gh_ctx *ctx, const json_t *a, char out[GH_IP_ALLOWLIST_TEXT_MAX],
                                    gh_cidr nets[GH_IP_ALLOWLIST_MAX], int *count);
/* Operator command (CLI): sets an org's IP allowlist (no lockout check:
 * this is how an operator recovers an org locked out of its networks). */
gh_status gh_org_set_ip_allowlist(gh_ctx *ctx, const char *slug, const json_t *cidrs);

/* Operator commands (CLI): modules, add-ons, seats. */
gh_status gh_org_set_modules(gh_ctx *ctx, const char *slug, const json_t *modules, bool addons);
/* Seats: a limit below the seats in use is refused (409 seats_below_use,
 * naming how many are over) unless `force`; forced, nobody loses access,
 * but nobody new gets a seat until enough are freed. */
gh_status gh_org_set_seats(gh_ctx *ctx, const char *slug, int64_t office, int64_t factory, bool force);

#endif
