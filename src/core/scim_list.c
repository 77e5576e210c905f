/*
 * SCIM lists: the query (startIndex, count, sortBy, sortOrder), sorting and
 * paging into a ListResponse, and the attribute projection
 * (attributes / excludedAttributes) of every answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/scim_int.h"
#include "util/json.h"

/* ---- lists ------------------------------------------------------------------------- */
gh_status gh_scim_query_parse(gh_ctx *ctx, const char *start, const char *count, const char *order, gh_scim_query *q)
{
    q->start_index = 1;
    q->count = 100;
    int64_t v;
    if (start) {
        if (!gh_parse_i64(start, INT64_MIN / 2, INT64_MAX / 2, &v)) return gh_scim_bad_value(ctx, "startIndex", "must be an integer");
        q->start_index = v < 1 ? 1 : v;
    }
    if (count) {
        if (!gh_parse_i64(count, INT64_MIN / 2, INT64_MAX / 2, &v)) return gh_scim_bad_value(ctx, "count", "must be an integer");
        q->count = v < 0 ? 0 : v > GH_SCIM_MAX_RESULTS ? GH_SCIM_MAX_RESULTS : v;
    }
    if (order) {
        if (strcasecmp(order, "descending") == 0) q->descending = true;
        else if (strcasecmp(order, "ascending") != 0) return gh_scim_bad_value(ctx, "sortOrder", "is ascending or descending");
    }
    return GH_OK;
}

typedef struct sort_item { json_t *res; const char *key; } sort_item;
static int sort_cmp(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (!x->key || !y->key) return (x->key == NULL) - (y->key == NULL); /* missing sorts last */
    return strcasecmp(x->key, y->key);
}

/* The sort key of res: the first value at path (a string), or NULL. */
static const char *sort_key(json_t *res, const char *path)
{
    char urn[256];
    const char *rest = gh_scim_attr_split(path, urn, sizeof urn);
    json_t *base = urn[0] && !strstr(urn, ":core:") ? gh_scim_get_ci(res, urn) : res;
    char seg[128];
    while (base && *rest) {
        size_t n = strcspn(rest, ".");
        if (n >= sizeof seg) return NULL;
        memcpy(seg, rest, n);
        seg[n] = '\0';
        base = gh_scim_get_ci(base, seg);
        if (json_is_array(base)) base = json_array_get(base, 0);
        if (json_is_object(base) && !rest[n] && gh_scim_get_ci(base, "value")) base = gh_scim_get_ci(base, "value");
        rest += n + (rest[n] == '.');
    }
    return json_string_value(base);
}

/* Filters, sorts, pages and projects `all` (stolen) into a ListResponse. */
gh_status gh_scim_list_answer(gh_ctx *ctx, json_t *all, const gh_scim_query *q, json_t **out)
{
    gh_sf_node *f = NULL;
    gh_status st = GH_OK;
    sort_item *items = NULL;
    json_t *page = NULL;
    char ferr[200];
    *out = NULL;
    if (q->filter && !(f = gh_scim_filter_parse(q->filter, ferr, sizeof ferr))) {
        st = gh_scim_fail(ctx, GH_E_INVALID, "invalid_filter", "invalidFilter", "filter: %s", ferr);
        goto done;
    }
    size_t n = json_array_size(all), kept = 0;
    items = calloc(n ? n : 1, sizeof *items);
    page = json_array();
    if (!items || !page) { st = gh_ctx_oom(ctx); goto done; }
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(all, i);
        if (f && !gh_scim_filter_match(f, r)) continue;
        items[kept].res = r;
        items[kept].key = q->sort_by ? sort_key(r, q->sort_by) : json_string_value(json_object_get(r, "id"));
        kept++;
    }
    qsort(items, kept, sizeof *items, sort_cmp);
    if (q->descending && q->sort_by)
        for (size_t i = 0, j = kept ? kept - 1 : 0; i < j; i++, j--) {
            sort_item t = items[i];
            items[i] = items[j];
            items[j] = t;
        }
    for (int64_t i = q->start_index - 1; i >= 0 && (size_t)i < kept && (int64_t)json_array_size(page) < q->count; i++) {
        json_t *r = items[i].res;
        gh_scim_project(r, q->attributes, q->excluded);
        json_array_append(page, r);
    }
    *out = json_pack("{s:[s], s:I, s:I, s:I, s:O}", "schemas", GH_SCIM_LIST_URN, "totalResults", (json_int_t)kept,
                     "startIndex", (json_int_t)q->start_index, "itemsPerPage", (json_int_t)json_array_size(page),
                     "Resources", page);
    if (!*out) st = gh_ctx_oom(ctx);
done:
    json_decref(page);
    free(items);
    gh_scim_filter_free(f);
    json_decref(all);
    return st;
}


/* ---- projection ---------------------------------------------------------------------- */
static bool listed(const char *list, const char *name, bool prefix_ok)
{
    /* name matches an entry (case-insensitive), or (prefix_ok) an entry
     * starts with "name." or "name:" */
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ') p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ') len--;
        char urn[256];
        char entry[300];
        if (len > 0 && len < sizeof entry) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            const char *rest = gh_scim_attr_split(entry, urn, sizeof urn);
            if (urn[0] && strstr(urn, ":core:")) memmove(entry, rest, strlen(rest) + 1);
            if (strcasecmp(entry, name) == 0) return true;
            if (prefix_ok && strlen(entry) > n && strncasecmp(entry, name, n) == 0 && (entry[n] == '.' || entry[n] == ':'))
                return true;
        }
        p += strcspn(p, ",");
    }
    return false;
}

void gh_scim_project(json_t *res, const char *attributes, const char *excluded)
{
    if (!json_is_object(res)) return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(res, tmp, k, v) {
        bool always = strcmp(k, "id") == 0 || strcmp(k, "schemas") == 0 || strcmp(k, "meta") == 0;
        if (always) continue;
        if (attributes && *attributes && !listed(attributes, k, true)) { json_object_del(res, k); continue; }
        if (excluded && *excluded && listed(excluded, k, false)) json_object_del(res, k);
    }
}

