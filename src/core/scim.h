/*
 * SCIM 2.0 service provider (RFC 7643/7644, issue 19): the organization's
 * people and groups as SCIM resources, for provisioning clients (Entra ID,
 * Okta) calling with an API key that carries the `scim` scope.
 *
 * Every change goes through the core functions (gh_user_create/update/
 * lock/delete, gh_group_*), so the write guard, the invariants (last
 * admin, seats), confer bounds (the key's scopes bound the roles and
 * permissions it may give) and the audit trail apply as for a person;
 * the audit rows name the key as the actor.
 *
 * Mapping (docs/scim.md): userName and emails[work] are the e-mail;
 * displayName (else name.formatted, else givenName familyName) is the
 * name; phoneNumbers[mobile] the mobile; active <-> lock/unlock (a lock
 * ends the person's sessions); externalId, title, name.givenName/
 * familyName and the enterprise extension live in store/scim.h; the
 * gatehouse extension carries role, modules, badge, officeAccess and
 * factoryAccess.
 *
 * Errors keep gatehouse's stable code and add a SCIM `scimType` in the
 * error's extra members (gh_scim_error_json renders them).
 */
#ifndef GH_SCIM_H
#define GH_SCIM_H
#include <jansson.h>

#include "core/ctx.h"

#define GH_SCIM_USER_URN "urn:ietf:params:scim:schemas:core:2.0:User"
#define GH_SCIM_GROUP_URN "urn:ietf:params:scim:schemas:core:2.0:Group"
#define GH_SCIM_ENTERPRISE_URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define GH_SCIM_GATEHOUSE_URN "urn:gatehouse:params:scim:schemas:extension:2.0:User"
#define GH_SCIM_ERROR_URN "urn:ietf:params:scim:api:messages:2.0:Error"
#define GH_SCIM_LIST_URN "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define GH_SCIM_PATCH_URN "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define GH_SCIM_BULKREQ_URN "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#define GH_SCIM_BULKRESP_URN "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

#define GH_SCIM_MAX_RESULTS 1000   /* count is capped here */
#define GH_SCIM_BULK_MAX_OPS 1000
#define GH_SCIM_BULK_MAX_BYTES (16u * 1024u * 1024u)

typedef struct gh_scim_query {
    const char *filter;        /* NULL: all */
    const char *sort_by;       /* NULL: by id (stable) */
    bool descending;
    int64_t start_index;       /* 1-based */
    int64_t count;             /* 0..GH_SCIM_MAX_RESULTS */
    const char *attributes, *excluded;
} gh_scim_query;

/* Parses startIndex/count/sortOrder (strings or NULL) into q; GH_E_INVALID
 * (invalidValue) on a malformed one. */
gh_status gh_scim_query_parse(gh_ctx *ctx, const char *start, const char *count, const char *order, gh_scim_query *q);

gh_status gh_scim_users_list(gh_ctx *ctx, const gh_scim_query *q, json_t **out);
gh_status gh_scim_user_get(gh_ctx *ctx, const char *id, json_t **out);
gh_status gh_scim_user_create(gh_ctx *ctx, const json_t *in, json_t **out);
/* if_match: NULL, "*" or an ETag; a stale one is 412 (code version_mismatch). */
gh_status gh_scim_user_put(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out);
gh_status gh_scim_user_patch(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out);
gh_status gh_scim_user_delete(gh_ctx *ctx, const char *id, const char *if_match);

gh_status gh_scim_groups_list(gh_ctx *ctx, const gh_scim_query *q, json_t **out);
gh_status gh_scim_group_get(gh_ctx *ctx, const char *id, json_t **out);
gh_status gh_scim_group_create(gh_ctx *ctx, const json_t *in, json_t **out);
gh_status gh_scim_group_put(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out);
gh_status gh_scim_group_patch(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out);
gh_status gh_scim_group_delete(gh_ctx *ctx, const char *id, const char *if_match);

/* RFC 7644 §3.7: up to GH_SCIM_BULK_MAX_OPS operations, bulkId references,
 * failOnErrors. *out is the BulkResponse. */
gh_status gh_scim_bulk(gh_ctx *ctx, const json_t *in, json_t **out);

/* Keeps only `attributes` (plus id, schemas, meta) or drops `excluded`
 * (comma-separated attribute paths); res is changed in place. */
void gh_scim_project(json_t *res, const char *attributes, const char *excluded);

/* Discovery documents (new references). */
json_t *gh_scim_service_provider_config(void);
json_t *gh_scim_resource_types(void);
json_t *gh_scim_schemas(void);
/* One schema or resource type by id, or NULL. */
json_t *gh_scim_schema(const char *id);
json_t *gh_scim_resource_type(const char *id);

/* An error as a SCIM Error message (with gatehouse's code, and for the
 * refusals no retry will change, "permanent": true). */
json_t *gh_scim_error_json(const gh_err *e, unsigned http_status);

#endif
