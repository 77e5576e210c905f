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

#endif
