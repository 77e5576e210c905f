/* JSON building helpers (see json.h). */
#include "util/json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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

static bool has_real(const json_t *v, int depth)
{
    if (depth > 64) return true; /* deeper than jansson's parser allows: take the careful path */
    if (json_is_real(v)) return true;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_real(json_array_get(v, i), depth + 1)) return true;
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
            if (has_real(x, depth + 1)) return true;
    }
    return false;
}

char *gh_json_dump(const json_t *v, size_t flags)
{
    if (!has_real(v, 0)) return json_dumps(v, flags);
    for (int prec = 15; prec < 17; prec++) {
        char *t = json_dumps(v, flags | JSON_REAL_PRECISION(prec));
        if (!t) return NULL;
        json_t *back = json_loads(t, JSON_DECODE_ANY, NULL);
        bool same = back && json_equal(back, v);
        json_decref(back);
        if (same) return t;
        free(t);
    }
    return json_dumps(v, flags | JSON_REAL_PRECISION(17));
}

void gh_json_wipe_strings(json_t *v)
{
    if (json_is_string(v)) {
        /* jansson owns the bytes; they are ours to overwrite before the free */
        char *p = (char *)(uintptr_t)json_string_value(v);
        if (p) sodium_memzero(p, json_string_length(v));
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) gh_json_wipe_strings(x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) gh_json_wipe_strings(x);
    }
}
