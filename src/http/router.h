/*
 * The route table: every API module contributes a table of gh_route entries
 * (terminated by a zeroed entry); the router matches method and path and
 * captures {param} segments.
 */
#ifndef GH_ROUTER_H
#define GH_ROUTER_H
#include "http/http.h"

#define GH_MAX_PARAMS 4

typedef struct gh_match {
    const gh_route *route;      /* NULL: no route for this method */
    bool path_known;            /* some route matches the path with another method */
    char allow[128];            /* methods that match the path, for 405 */
    struct { const char *name; size_t name_len; char value[128]; } params[GH_MAX_PARAMS];
    int nparams;
} gh_match;

void gh_router_match(const char *method, const char *path, gh_match *m);
/* All routes, for introspection (tests compare them with the OpenAPI document). */
/* The route's query parameters, space-separated ("" = none; NULL = not
 * checked: file routes outside /v1/), and whether it takes `name`. */
const char *gh_route_query_params(const gh_route *rt);
bool gh_route_takes_query(const gh_route *rt, const char *name);
void gh_router_each(void (*fn)(const gh_route *, void *), void *arg);
/* Checks the route table against the rules the dispatcher relies on: every
 * route a key may call has a scope, every permission a route names is one
 * of the server's own keys (gh_catalog_server_perms). Writes the first
 * problem into err; 0 when all is well. */
int gh_routes_check(char *err, size_t cap);

#endif
