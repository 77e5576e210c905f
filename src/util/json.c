/* JSON building helpers (see json.h). */
#include "util/json.h"

#include <string.h>

#include "util/util.h"

json_t *gh_json_time(int64_t t)
{
    if (!t) return json_null();
    char b[32];
    gh_time_fmt(t, b);
    return json_string(b);
}

json_t *gh_json_str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

json_t *gh_json_keylist(const char *list)
{
    json_t *a = json_array();
    const char *p = list;
    while (a && p && *p) {
        while (*p == ' ') p++;
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) json_array_append_new(a, json_stringn(p, n));
        p += n;
    }
    return a;
}
