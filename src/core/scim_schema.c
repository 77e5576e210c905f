/*
 * SCIM discovery documents: ServiceProviderConfig, ResourceTypes and the
 * Schemas of User, Group and the enterprise extension.
 */
#include <stdio.h>
#include <string.h>

#include "core/access.h"
#include "core/scim_int.h"

/* ---- discovery ----------------------------------------------------------------------- */
json_t *gh_scim_service_provider_config(void)
{
    char doc[600];
    snprintf(doc, sizeof doc, "%s/docs/scim", gh_cfg()->base_url);
    return json_pack(
        "{s:[s], s:s, s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b},"
        " s:[{s:s, s:s, s:s, s:b}], s:{s:s}}",
        "schemas", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig", "documentationUri", doc,
        "patch", "supported", 1, "bulk", "supported", 1, "maxOperations", GH_SCIM_BULK_MAX_OPS, "maxPayloadSize",
        (int)GH_SCIM_BULK_MAX_BYTES, "filter", "supported", 1, "maxResults", GH_SCIM_MAX_RESULTS, "changePassword",
        "supported", 0, "sort", "supported", 1, "etag", "supported", 1, "authenticationSchemes", "type",
        "oauthbearertoken", "name", "API key", "description",
        "Authorization: Bearer with a gatehouse API key that carries the scim scope", "primary", 1, "meta",
        "resourceType", "ServiceProviderConfig");
}

static json_t *resource_type(const char *id, const char *endpoint, const char *schema, bool ext)
{
    json_t *o = json_pack("{s:[s], s:s, s:s, s:s, s:s, s:{s:s}}", "schemas",
                          "urn:ietf:params:scim:schemas:core:2.0:ResourceType", "id", id, "name", id, "endpoint",
                          endpoint, "schema", schema, "meta", "resourceType", "ResourceType");
    if (o && ext)
        json_object_set_new(o, "schemaExtensions",
                            json_pack("[{s:s, s:b}, {s:s, s:b}]", "schema", GH_SCIM_ENTERPRISE_URN, "required", 0,
                                      "schema", GH_SCIM_GATEHOUSE_URN, "required", 0));
    return o;
}

json_t *gh_scim_resource_type(const char *id)
{
    if (strcmp(id, "User") == 0) return resource_type("User", "/Users", GH_SCIM_USER_URN, true);
    if (strcmp(id, "Group") == 0) return resource_type("Group", "/Groups", GH_SCIM_GROUP_URN, false);
    return NULL;
}

json_t *gh_scim_resource_types(void)
{
    return json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas", GH_SCIM_LIST_URN, "totalResults", 2,
                     "startIndex", 1, "itemsPerPage", 2, "Resources", gh_scim_resource_type("User"),
                     gh_scim_resource_type("Group"));
}

/* An attribute definition (RFC 7643 §7). */
static json_t *attr(const char *name, const char *type, bool multi, bool required, bool exact, const char *mut,
                    const char *uniq, json_t *subs)
{
    json_t *a = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s}", "name", name, "type", type,
                          "multiValued", multi, "description", name, "required", required, "caseExact", exact,
                          "mutability", mut, "returned", "default", "uniqueness", uniq);
    if (a && subs) json_object_set_new(a, "subAttributes", subs);
    else json_decref(subs);
    return a;
}

static json_t *schema_doc(const char *id, const char *name, json_t *attrs)
{
    return json_pack("{s:[s], s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "schemas",
                     "urn:ietf:params:scim:schemas:core:2.0:Schema", "id", id, "name", name, "description", name,
                     "attributes", attrs, "meta", "resourceType", "Schema", "location", id);
}

json_t *gh_scim_schema(const char *id)
{
    if (strcmp(id, GH_SCIM_USER_URN) == 0)
        return schema_doc(id, "User", json_pack("[o, o, o, o, o, o, o, o, o]",
            attr("userName", "string", 0, 1, 0, "readWrite", "server", NULL),
            attr("externalId", "string", 0, 0, 1, "readWrite", "none", NULL),
            attr("name", "complex", 0, 0, 0, "readWrite", "none", json_pack("[o, o, o]",
                attr("formatted", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("givenName", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("familyName", "string", 0, 0, 0, "readWrite", "none", NULL))),
            attr("displayName", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("title", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("active", "boolean", 0, 0, 0, "readWrite", "none", NULL),
            attr("emails", "complex", 1, 0, 0, "readWrite", "none", json_pack("[o, o, o]",
                attr("value", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("type", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("primary", "boolean", 0, 0, 0, "readWrite", "none", NULL))),
            attr("phoneNumbers", "complex", 1, 0, 0, "readWrite", "none", json_pack("[o, o]",
                attr("value", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("type", "string", 0, 0, 0, "readWrite", "none", NULL))),
            attr("id", "string", 0, 0, 1, "readOnly", "server", NULL)));
    if (strcmp(id, GH_SCIM_GROUP_URN) == 0)
        return schema_doc(id, "Group", json_pack("[o, o]",
            attr("displayName", "string", 0, 1, 0, "readWrite", "server", NULL),
            attr("members", "complex", 1, 0, 0, "readWrite", "none", json_pack("[o, o]",
                attr("value", "string", 0, 0, 1, "immutable", "none", NULL),
                attr("display", "string", 0, 0, 0, "readOnly", "none", NULL)))));
    if (strcmp(id, GH_SCIM_ENTERPRISE_URN) == 0)
        return schema_doc(id, "EnterpriseUser", json_pack("[o, o, o]",
            attr("employeeNumber", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("department", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("manager", "complex", 0, 0, 0, "readWrite", "none", json_pack("[o]",
                attr("value", "string", 0, 0, 1, "readWrite", "none", NULL)))));
    if (strcmp(id, GH_SCIM_GATEHOUSE_URN) == 0)
        return schema_doc(id, "GatehouseUser", json_pack("[o, o, o, o, o]",
            attr("role", "string", 0, 0, 1, "readWrite", "none", NULL),
            attr("modules", "string", 1, 0, 1, "readWrite", "none", NULL),
            attr("badge", "string", 0, 0, 0, "readWrite", "server", NULL),
            attr("officeAccess", "boolean", 0, 0, 0, "readWrite", "none", NULL),
            attr("factoryAccess", "boolean", 0, 0, 0, "readWrite", "none", NULL)));
    return NULL;
}

json_t *gh_scim_schemas(void)
{
    return json_pack("{s:[s], s:i, s:i, s:i, s:[o, o, o, o]}", "schemas", GH_SCIM_LIST_URN, "totalResults", 4,
                     "startIndex", 1, "itemsPerPage", 4, "Resources", gh_scim_schema(GH_SCIM_USER_URN),
                     gh_scim_schema(GH_SCIM_GROUP_URN), gh_scim_schema(GH_SCIM_ENTERPRISE_URN),
                     gh_scim_schema(GH_SCIM_GATEHOUSE_URN));
}
