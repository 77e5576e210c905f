/*
 * Small JSON building helpers shared by every layer that renders answers.
 */
#ifndef GH_JSONX_H
#define GH_JSONX_H
#include <jansson.h>
#include <stdint.h>

/* RFC 3339 string for a unix time, or null for 0 ("never"). New reference. */
json_t *gh_json_time(int64_t t);
/* The string, or null for NULL or "". New reference. */
json_t *gh_json_str_or_null(const char *s);
/* A space-separated key list ("a b c") as ["a","b","c"]. New reference. */
json_t *gh_json_keylist(const char *list);
/* json_dumps with `flags`, writing reals with the fewest digits (15 to 17)
 * that read every real of `v` back exactly, so 0.1 stays "0.1" rather than
 * jansson's "0.10000000000000001". jansson has one precision per dump, so a
 * single real that needs 17 digits gives all of them 17 (still exact).
 * Values without reals cost one walk. malloc'd text, NULL when out of
 * memory. */
char *gh_json_dump(const json_t *v, size_t flags);
/* Overwrites the bytes of every string value in v (recursively) with zeros,
 * for bodies that carried secrets, before the last reference is dropped.
 * Object keys are left alone. NULL is fine. */
void gh_json_wipe_strings(json_t *v);

#endif
