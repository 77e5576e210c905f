/*
 * The checks every JSON request body passes before a handler sees it, kept
 * apart from libmicrohttpd so that a fuzzer (fuzz/fuzz_bodycheck.c) and unit
 * tests can drive them: the Content-Type, the nesting depth, the parse (no
 * duplicate keys, an object), and the field list a handler declares.
 */
#ifndef GH_HTTP_BODYCHECK_H
#define GH_HTTP_BODYCHECK_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Deepest nesting of objects and arrays a body may have. */
#define GH_BODY_DEPTH_MAX 32

typedef enum { GH_J_STRING, GH_J_BOOL, GH_J_INT, GH_J_OBJECT, GH_J_ARRAY, GH_J_ANY, GH_J_STRING_OR_NULL, GH_J_INT_OR_NULL } gh_jtype;
typedef struct gh_jfield {
    const char *name;
    gh_jtype type;
    bool required;
} gh_jfield;

/* Nesting depth of a JSON text of n bytes, ignoring brackets in strings. */
int gh_body_depth(const char *s, size_t n);
/* A JSON body's Content-Type: absent (lenient), application/json or any
 * application/...+json, parameters such as charset allowed. */
bool gh_body_content_type_ok(const char *content_type);
/* Parses a body of n bytes (n > 0): GH_OK and *out an object (a new
 * reference), or err filled: 400 invalid_json (malformed, too deep,
 * duplicate keys), 400 invalid_body (not an object), 500 internal (out of
 * memory: not the client's fault). */
gh_status gh_body_parse(const char *data, size_t n, json_t **out, gh_err *err);
/* Checks that obj is an object with only the listed fields, of the listed
 * types, and the required ones present (NULL counts as {}); `in` names a
 * nested object ("org": fields are reported as "org.slug"), or NULL. False
 * with err filled (400 invalid_body, invalid_type, unknown_field,
 * missing_field, naming the field) when not: every unknown, mistyped and
 * missing field at once (err->extra's `errors`), the first one as err's code
 * and field. err must be clear on entry. */
bool gh_body_check_fields(json_t *obj, const gh_jfield *fields, const char *in, gh_err *err);
/* "a string", "an integer"...: what a field of type t must be. */
const char *gh_jtype_name(gh_jtype t);

#endif
