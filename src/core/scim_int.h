/*
 * Private to the SCIM files: the helpers they share. Everything else sees
 * core/scim.h.
 *
 *   scim.c         errors as SCIM Error messages, the shared helpers, Users
 *   scim_patch.c   PATCH (RFC 7644 §3.5.2) on a resource as JSON
 *   scim_list.c    list queries: paging, sorting, attribute projection
 *   scim_groups.c  Groups
 *   scim_bulk.c    Bulk (RFC 7644 §3.7)
 *   scim_schema.c  discovery: ServiceProviderConfig, ResourceTypes, Schemas
 */
#ifndef GH_CORE_SCIM_INT_H
#define GH_CORE_SCIM_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/scim.h"
#include "core/scimfilter.h"

/* Sets ctx->err (with scimType when given) and returns st. */
gh_status gh_scim_fail(gh_ctx *ctx, gh_status st, const char *code, const char *scim_type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The HTTP status of st (500 for an unknown one). */
unsigned gh_scim_http_of(gh_status st);
/* An invalidValue problem about attr ("'attr' what"). */
gh_status gh_scim_bad_value(gh_ctx *ctx, const char *attr, const char *what);
/* Optional string attribute: NULL when absent or null. */
gh_status gh_scim_opt_str(gh_ctx *ctx, const json_t *o, const char *k, const char *label, size_t max,
                          const char **out);
/* The absolute URL of resource id of kind ("Users", "Groups"). */
void gh_scim_location(char *out, size_t cap, const char *kind, const char *id);
/* A weak ETag over the resource without its meta. */
void gh_scim_etag_of(json_t *res, char out[40]);
/* meta.version of a resource, or NULL. */
const char *gh_scim_version_of(const json_t *res);
/* If-Match: absent or "*" passes; otherwise one of its tags must be the
 * current one (weak comparison). */
gh_status gh_scim_check_match(gh_ctx *ctx, const json_t *res, const char *if_match);

/* If-Match is checked twice: before the change is computed (a stale tag
 * answers 412 at once) and again by the write guard inside the write
 * transaction (gh_ctx.tx_precondition), so that of two concurrent writes
 * carrying the same tag only the first can succeed. */
typedef struct gh_scim_match_guard {
    const char *id, *if_match;
    gh_status (*load)(gh_ctx *, const char *, json_t **);
} gh_scim_match_guard;
void gh_scim_match_arm(gh_ctx *ctx, gh_scim_match_guard *g);
void gh_scim_match_disarm(gh_ctx *ctx);

/* PATCH: loads the resource, checks If-Match, applies the operations of in
 * to its JSON and writes it back with apply (a PUT of the result). */
gh_status gh_scim_patch_common(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out,
                               gh_status (*load)(gh_ctx *, const char *, json_t **),
                               gh_status (*apply)(gh_ctx *, const char *, const json_t *, const char *, json_t **));
/* DELETE: loads the resource, checks If-Match, deletes it with del under
 * the If-Match guard. */
gh_status gh_scim_delete_common(gh_ctx *ctx, const char *id, const char *if_match,
                                gh_status (*load)(gh_ctx *, const char *, json_t **),
                                gh_status (*del)(gh_ctx *, const char *));
/* The ListResponse of the resources in all (taken) for query q. */
gh_status gh_scim_list_answer(gh_ctx *ctx, json_t *all, const gh_scim_query *q, json_t **out);

#endif
