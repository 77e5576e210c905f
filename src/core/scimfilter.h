/*
 * SCIM 2.0 filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2): a
 * parser into a small tree, and an evaluator over a resource as JSON.
 *
 * Attribute names are case-insensitive everywhere; string comparisons are
 * case-insensitive except for the attributes RFC 7643 marks caseExact
 * (id, externalId, meta.version). gt/ge/lt/le compare numbers numerically
 * and strings (dates in the one xsd:dateTime form gatehouse writes)
 * lexicographically; on booleans and null they match nothing.
 *
 * Pure functions of their input (no I/O, no globals): the fuzz target
 * fuzz/fuzz_scimfilter.c feeds them arbitrary bytes.
 */
#ifndef GH_SCIMFILTER_H
#define GH_SCIMFILTER_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define GH_SCIM_FILTER_MAX 4096  /* bytes of filter text */
#define GH_SCIM_FILTER_DEPTH 32  /* nesting of not/()/[] */

typedef enum gh_sf_op {
    GH_SF_EQ, GH_SF_NE, GH_SF_CO, GH_SF_SW, GH_SF_EW, GH_SF_PR,
    GH_SF_GT, GH_SF_GE, GH_SF_LT, GH_SF_LE,
    GH_SF_AND, GH_SF_OR, GH_SF_NOT,
    GH_SF_VALUEPATH, /* attr[filter] */
} gh_sf_op;

typedef struct gh_sf_node {
    gh_sf_op op;
    char *attr;                 /* attribute path as written (comparisons, pr, valuepath) */
    json_t *value;              /* comparison value: string, number, true, false or null */
    struct gh_sf_node *left;    /* and/or/not; valuepath: the inner filter */
    struct gh_sf_node *right;   /* and/or */
} gh_sf_node;

/* Parses a filter; NULL on error with a message in err (never NULL on
 * success). Free with gh_scim_filter_free. */
gh_sf_node *gh_scim_filter_parse(const char *text, char *err, size_t errcap);
void gh_scim_filter_free(gh_sf_node *n);
/* Whether resource (an object) matches. */
bool gh_scim_filter_match(const gh_sf_node *f, const json_t *resource);

/* A PATCH path: attrPath, or valuePath with an optional sub-attribute:
 *   name.givenName   emails[type eq "work"].value   members[value eq "x"]
 *   urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department */
typedef struct gh_scim_path {
    char *urn;          /* schema URN prefix, or NULL */
    char *attr;         /* top attribute (within urn's object when urn is an extension) */
    char *sub;          /* sub-attribute, or NULL */
    gh_sf_node *filter; /* value filter, or NULL */
} gh_scim_path;
/* Parses a path; false with a message in err. Free with gh_scim_path_free. */
bool gh_scim_path_parse(const char *text, gh_scim_path *out, char *err, size_t errcap);
void gh_scim_path_free(gh_scim_path *p);

/* Splits an attribute path "urn:...:User:name.givenName" into its schema
 * URN (copied to urn, "" when none) and the rest (pointer into path). */
const char *gh_scim_attr_split(const char *path, char *urn, size_t urncap);
/* Case-insensitive member lookup. */
json_t *gh_scim_get_ci(const json_t *obj, const char *key);

#endif
