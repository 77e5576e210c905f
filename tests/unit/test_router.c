/*
 * Unit tests for http/router.c, included whole (as test_pool.c does with
 * the pool) over route tables of this file's own: literal segments before
 * {param} ones in table order, captured parameters and their limits, the
 * Allow list for 405 (HEAD beside GET), prefix routes, query parameters,
 * the key scope of a route and the start-up check of the tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/http/router.c"

static void h(gh_req *r) { (void)r; }
#define END {NULL, NULL, NULL, 0, 0, NULL}

const gh_route gh_api_routes_system[] = {
    {"GET", "/healthz", h, GH_AUTH_NONE, GH_R_NO_DB, NULL},
    {"GET", "/console/*", h, GH_AUTH_NONE, 0, NULL},
    END,
};
const gh_route gh_api_routes_import[] = {
    {"POST", "/v1/users/import", h, GH_AUTH_USER, 0, NULL},
    END,
};
const gh_route gh_api_routes_users[] = {
    {"GET", "/v1/users", h, GH_AUTH_USER, 0, NULL},
    {"GET", "/v1/users/{id}", h, GH_AUTH_USER, 0, NULL},
    {"PATCH", "/v1/users/{id}", h, GH_AUTH_USER, 0, NULL},
    {"GET", "/v1/users/{id}/permissions", h, GH_AUTH_USER, 0, NULL},
    END,
};
const gh_route gh_api_routes_tasks[] = {
    {"PUT", "/v1/tasks/{id}/assignees/{user_id}", h, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, NULL},
    END,
};
/* The last table holds the one route the start-up check refuses. */
const gh_route gh_api_routes_activity[] = {
    {"POST", "/v1/bad", h, GH_AUTH_KEY, 0, NULL},
    END,
};
const gh_route gh_api_routes_auth[] = {END}, gh_api_routes_me[] = {END}, gh_api_routes_invites[] = {END},
               gh_api_routes_sso[] = {END}, gh_api_routes_org[] = {END}, gh_api_routes_audit[] = {END},
               gh_api_routes_access[] = {END}, gh_api_routes_groups[] = {END}, gh_api_routes_views[] = {END},
               gh_api_routes_kiosk[] = {END}, gh_api_routes_checkins[] = {END},
               gh_api_routes_mfa[] = {END}, gh_api_routes_signatures[] = {END}, gh_api_routes_scim[] = {END},
               gh_api_routes_webhooks[] = {END};

static const char *param(const gh_match *m, const char *name)
{
    for (int i = 0; i < m->nparams; i++)
        if (m->params[i].name_len == strlen(name) && strncmp(m->params[i].name, name, m->params[i].name_len) == 0)
            return m->params[i].value;
    return NULL;
}

static void literal_before_param_and_captures(void **state)
{
    (void)state;
    gh_match m;
    gh_router_match("POST", "/v1/users/import", &m);
    assert_non_null(m.route);
    assert_string_equal(m.route->pattern, "/v1/users/import");
    gh_router_match("GET", "/v1/users/u_1", &m);
    assert_non_null(m.route);
    assert_string_equal(m.route->pattern, "/v1/users/{id}");
    assert_int_equal(m.nparams, 1);
    assert_string_equal(param(&m, "id"), "u_1");
    gh_router_match("PUT", "/v1/tasks/t_9/assignees/u_2", &m);
    assert_non_null(m.route);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(param(&m, "id"), "t_9");
    assert_string_equal(param(&m, "user_id"), "u_2");
    /* HEAD is GET without the body */
    gh_router_match("HEAD", "/v1/users/u_1/permissions", &m);
    assert_non_null(m.route);
    assert_string_equal(m.route->method, "GET");
    /* a prefix route */
    gh_router_match("GET", "/console/users/u_1", &m);
    assert_non_null(m.route);
    assert_string_equal(m.route->pattern, "/console/*");
}

static void unknown_paths_and_methods(void **state)
{
    (void)state;
    gh_match m;
    gh_router_match("GET", "/v1/nothing", &m);
    assert_null(m.route);
    assert_false(m.path_known);
    /* an empty segment is no parameter; nor is a trailing slash a route */
    gh_router_match("GET", "/v1/users//permissions", &m);
    assert_null(m.route);
    gh_router_match("GET", "/v1/users/", &m);
    assert_null(m.route);
    /* the path is known with other methods: 405 with Allow */
    gh_router_match("DELETE", "/v1/users/u_1", &m);
    assert_null(m.route);
    assert_true(m.path_known);
    assert_string_equal(m.allow, "GET, HEAD, PATCH");
    /* a parameter longer than its buffer matches nothing */
    char path[300];
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(path, sizeof path, "/v1/users/%s", big);
    gh_router_match("GET", path, &m);
    assert_null(m.route);
    assert_false(m.path_known);
}

static void query_parameters(void **state)
{
    (void)state;
    gh_match m;
    gh_router_match("GET", "/v1/users", &m);
    assert_non_null(m.route);
    assert_string_equal(gh_route_query_params(m.route), "limit cursor status q role access");
    assert_true(gh_route_takes_query(m.route, "cursor"));
    assert_true(gh_route_takes_query(m.route, "access"));
    assert_false(gh_route_takes_query(m.route, "curso"));
    assert_false(gh_route_takes_query(m.route, "cursor limit"));
    assert_false(gh_route_takes_query(m.route, ""));
    /* a /v1/ route not listed takes none; pages outside /v1/ are not checked */
    gh_router_match("PATCH", "/v1/users/u_1", &m);
    assert_string_equal(gh_route_query_params(m.route), "");
    assert_false(gh_route_takes_query(m.route, "limit"));
    gh_router_match("GET", "/console/x", &m);
    assert_null(gh_route_query_params(m.route));
    assert_true(gh_route_takes_query(m.route, "anything"));
}

static void count_route(const gh_route *r, void *arg)
{
    (void)r;
    (*(size_t *)arg)++;
}

static void key_scopes_and_the_table_check(void **state)
{
    (void)state;
    gh_match m;
    gh_router_match("PUT", "/v1/tasks/t/assignees/u", &m);
    assert_string_equal(gh_route_key_scope(m.route), "tasks.write");
    gh_router_match("GET", "/v1/users", &m);
    assert_null(gh_route_key_scope(m.route)); /* no key may call it */
    char err[256] = "";
    assert_int_equal(gh_routes_check(err, sizeof err), -1);
    assert_string_equal(err, "POST /v1/bad: an API key may call it but it names no scope");
    size_t n = 0;
    gh_router_each(count_route, &n);
    assert_int_equal(n, 9); /* every route of every table, once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_before_param_and_captures),
        cmocka_unit_test(unknown_paths_and_methods),
        cmocka_unit_test(query_parameters),
        cmocka_unit_test(key_scopes_and_the_table_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
