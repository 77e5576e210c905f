/* Route tables and matching. Each api/ module exports one table; adding a
 * module means adding its table to `tables` below. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/access.h"
#include "core/catalog.h"
#include "util/util.h"

static const gh_route *const tables[] = {
    gh_api_routes_system,
    gh_api_routes_auth,
    gh_api_routes_me,
    gh_api_routes_mfa, /* before users: /v1/users/{id}/mfa */
    gh_api_routes_signatures, /* before users: /v1/users/{id}/esignature */
    gh_api_routes_invites,
    gh_api_routes_import, /* before users: /v1/users/import is literal */
    gh_api_routes_users,
    gh_api_routes_sso,
    gh_api_routes_org,
    gh_api_routes_audit,
    gh_api_routes_webhooks,
    gh_api_routes_access,
    gh_api_routes_groups,
    gh_api_routes_views,
    gh_api_routes_kiosk,
    gh_api_routes_tasks,
    gh_api_routes_checkins,
    gh_api_routes_activity,
    gh_api_routes_scim,
};

/* Matches one pattern against a path; fills params. */
static bool match_pattern(const char *pat, const char *path, gh_match *m)
{
    int np = 0;
    const char *p = pat, *s = path;
    while (*p && *s) {
        if (p[0] == '*' && p[1] == '\0') { m->nparams = np; return true; } /* prefix route */
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) return false;
            const char *end = strchr(s, '/');
            size_t vlen = end ? (size_t)(end - s) : strlen(s);
            if (vlen == 0 || np >= GH_MAX_PARAMS || vlen >= sizeof m->params[0].value) return false;
            m->params[np].name = p + 1;
            m->params[np].name_len = (size_t)(close - p - 1);
            memcpy(m->params[np].value, s, vlen);
            m->params[np].value[vlen] = '\0';
            np++;
            p = close + 1;
            s += vlen;
            continue;
        }
        if (*p != *s) return false;
        p++;
        s++;
    }
    if (*p == '*' && p[1] == '\0') { m->nparams = np; return true; }
    if (*p || *s) return false;
    m->nparams = np;
    return true;
}

void gh_router_match(const char *method, const char *path, gh_match *m)
{
    memset(m, 0, sizeof *m);
    /* Zeroed once: a failed match may leave params behind, but a successful
     * one sets nparams and every param below it. (Zeroing per route cost
     * more than the matching itself.) */
    gh_match tmp;
    memset(&tmp, 0, sizeof tmp);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const gh_route *r = tables[t]; r->method; r++) {
            if (!match_pattern(r->pattern, path, &tmp)) continue;
            if (!m->path_known || !strstr(m->allow, r->method)) {
                size_t used = strlen(m->allow);
                /* HEAD is answered wherever GET is (the body is left out). */
                snprintf(m->allow + used, sizeof m->allow - used, "%s%s%s", used ? ", " : "", r->method,
                         strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
            }
            m->path_known = true;
            bool same = strcmp(r->method, method) == 0 ||
                        (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
            if (same && !m->route) {
                char allow[sizeof m->allow];
                memcpy(allow, m->allow, sizeof allow);
                *m = tmp;
                memcpy(m->allow, allow, sizeof allow);
                m->path_known = true;
                m->route = r;
            }
        }
    }
}

/* The query parameters each route takes (issue 11): one table, so an
 * unknown parameter is refused the same way everywhere (400
 * unknown_parameter, by the dispatcher, before the handler runs). A route
 * under /v1/ or /healthz that is not listed takes none. The OpenAPI test
 * compares this table with each operation's documented query parameters. */
static const struct { const char *method, *pattern, *params; } query_params[] = {
    {"GET", "/v1/auth/link", "purpose token"},
    {"GET", "/v1/auth/sso/start", "org email"},
    {"GET", "/v1/auth/sso/discover", "org email"},
    {"GET", "/v1/auth/sso/oidc/callback", "state code iss session_state error error_description error_uri"},
    {"GET", "/v1/users", "limit cursor status q role access"},
    {"GET", "/v1/users/{id}/permissions", "explain"},
    {"GET", "/v1/signatures", "record_ref"},
    {"GET", "/v1/audit", "actor action target from to q limit cursor"},
    {"GET", "/v1/audit/export", "format actor action target from to"},
    {"GET", "/v1/webhooks/{id}/deliveries", "limit"},
    {"GET", "/v1/groups", "q limit cursor"},
    {"GET", "/v1/views", "kind all include_config limit cursor"},
    {"GET", "/v1/invites", "q limit cursor"},
    {"GET", "/v1/outbox", "limit"},
    {"GET", "/v1/invites/lookup", "token"},
    {"POST", "/v1/users/import", "dry_run all_or_nothing"},
    {"GET", "/v1/me/tasks", "status"},
    {"GET", "/v1/tasks", "status order_ref q limit cursor"},
    {"GET", "/v1/checkins", "user_id open limit cursor"},
    {"GET", "/v1/timesheets", "user_id from to"},
    {"GET", "/v1/users/{id}/activity", "type from to limit cursor"},
    {"GET", "/v1/orders/assignees", "order_ref"},
    {"DELETE", "/v1/orders/assignees", "order_ref user_id"},
    {"GET", "/scim/v2/Users", "filter startIndex count sortBy sortOrder attributes excludedAttributes"},
    {"GET", "/scim/v2/Groups", "filter startIndex count sortBy sortOrder attributes excludedAttributes"},
    {"GET", "/scim/v2/Users/{id}", "attributes excludedAttributes"},
    {"GET", "/scim/v2/Groups/{id}", "attributes excludedAttributes"},
    {"POST", "/scim/v2/Users", "attributes excludedAttributes"},
    {"POST", "/scim/v2/Groups", "attributes excludedAttributes"},
    {"PUT", "/scim/v2/Users/{id}", "attributes excludedAttributes"},
    {"PUT", "/scim/v2/Groups/{id}", "attributes excludedAttributes"},
    {"PATCH", "/scim/v2/Users/{id}", "attributes excludedAttributes"},
    {"PATCH", "/scim/v2/Groups/{id}", "attributes excludedAttributes"},
};

const char *gh_route_query_params(const gh_route *rt)
{
    if (strncmp(rt->pattern, "/v1/", 4) != 0 && strncmp(rt->pattern, "/scim/", 6) != 0 &&
        strcmp(rt->pattern, "/healthz") != 0)
        return NULL;
    for (size_t i = 0; i < sizeof query_params / sizeof query_params[0]; i++)
        if (strcmp(query_params[i].method, rt->method) == 0 && strcmp(query_params[i].pattern, rt->pattern) == 0)
            return query_params[i].params;
    return "";
}

bool gh_route_takes_query(const gh_route *rt, const char *name)
{
    const char *list = gh_route_query_params(rt);
    if (!list) return true;
    size_t n = strlen(name);
    if (n == 0) return false;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, name, n) == 0) return true;
        p += len;
        while (*p == ' ') p++;
    }
    return false;
}

void gh_router_each(void (*fn)(const gh_route *, void *), void *arg)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const gh_route *r = tables[t]; r->method; r++) fn(r, arg);
}

const char *gh_route_key_scope(const gh_route *rt)
{
    if (!(rt->auth & GH_AUTH_KEY)) return NULL;
    unsigned bits = (rt->flags >> GH_R_SCOPE_SHIFT) & 0xFu;
    if (bits) return gh_scope_service_name(bits);
    return rt->perm;
}

int gh_routes_check(char *err, size_t cap)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const gh_route *r = tables[t]; r->method; r++) {
            unsigned bits = (r->flags >> GH_R_SCOPE_SHIFT) & 0xFu;
            if (bits && (bits & (bits - 1))) {
                snprintf(err, cap, "%s %s: more than one service scope", r->method, r->pattern);
                return -1;
            }
            if ((r->auth & GH_AUTH_KEY) && !gh_route_key_scope(r)) {
                snprintf(err, cap, "%s %s: an API key may call it but it names no scope", r->method, r->pattern);
                return -1;
            }
            if (r->perm && !gh_catalog_is_server_perm(r->perm)) {
                snprintf(err, cap, "%s %s: permission '%s' is not in gh_catalog_server_perms", r->method,
                         r->pattern, r->perm);
                return -1;
            }
        }
    return 0;
}
