/*
 * API keys of an organization, for calling services (it.operations manages
 * them): a prefixed 256-bit token shown once at creation and stored only as
 * its hash, with scopes (service scopes and catalog permission keys) that
 * the creator must hold. Authentication of keys is in core/session.h.
 */
#ifndef GH_APIKEYS_H
#define GH_APIKEYS_H
#include <jansson.h>
#include <stdint.h>

#include "core/ctx.h"

#define GH_APIKEY_PREFIX "ghk_"
/* scopes: a JSON array of service scopes and permission keys, NULL for
 * the default (authz.check). 400 unknown_scopes / invalid_scopes; 403
 * escalation (with "missing") when it names a permission the creator does
 * not hold. */
gh_status gh_apikey_create(gh_ctx *ctx, const char *name, const json_t *scopes, int64_t expires_at, json_t **out);
gh_status gh_apikey_list(gh_ctx *ctx, json_t **items);
gh_status gh_apikey_delete(gh_ctx *ctx, const char *id);

#endif
