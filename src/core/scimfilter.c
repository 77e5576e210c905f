/* SCIM filters and PATCH paths; see scimfilter.h. */
#include "core/scimfilter.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
    const char *s, *p;
    char *err;
    size_t errcap;
    bool failed;
} parser;

static void fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed) return;
    ps->failed = true;
    if (!ps->err || ps->errcap == 0) return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errcap, "at offset %zu: %s", (size_t)(ps->p - ps->s), msg);
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == ':' || c == '.' || c == '$';
}

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t') ps->p++;
}

/* The word kw (case-insensitive) at p, not followed by a name character. */
static bool keyword_at(const char *p, const char *kw)
{
    size_t n = strlen(kw);
    return strncasecmp(p, kw, n) == 0 && !name_char(p[n]);
}

static gh_sf_node *node_new(parser *ps, gh_sf_op op)
{
    gh_sf_node *n = calloc(1, sizeof *n);
    if (!n) fail(ps, "out of memory");
    else n->op = op;
    return n;
}

void gh_scim_filter_free(gh_sf_node *n)
{
    if (!n) return;
    gh_scim_filter_free(n->left);
    gh_scim_filter_free(n->right);
    free(n->attr);
    json_decref(n->value);
    free(n);
}

/* An attribute path token; NULL (failed) when there is none. */
static char *attr_token(parser *ps)
{
    const char *start = ps->p;
    if (!isalpha((unsigned char)*start)) {
        fail(ps, "expected an attribute name");
        return NULL;
    }
    while (name_char(*ps->p)) ps->p++;
    size_t n = (size_t)(ps->p - start);
    if (start[n - 1] == '.' || start[n - 1] == ':') {
        fail(ps, "an attribute name cannot end with '%c'", start[n - 1]);
        return NULL;
    }
    char *a = malloc(n + 1);
    if (!a) { fail(ps, "out of memory"); return NULL; }
    memcpy(a, start, n);
    a[n] = '\0';
    return a;
}

static const struct { const char *word; gh_sf_op op; } ops[] = {
    {"eq", GH_SF_EQ}, {"ne", GH_SF_NE}, {"co", GH_SF_CO}, {"sw", GH_SF_SW}, {"ew", GH_SF_EW},
    {"pr", GH_SF_PR}, {"gt", GH_SF_GT}, {"ge", GH_SF_GE}, {"lt", GH_SF_LT}, {"le", GH_SF_LE},
};

/* compValue: a JSON string, number, true, false or null. */
static json_t *comp_value(parser *ps)
{
    const char *start = ps->p;
    size_t n = 0;
    if (*start == '"') {
        const char *q = start + 1;
        while (*q && *q != '"') {
            if (*q == '\\') {
                if (!q[1]) break;
                q++;
            }
            q++;
        }
        if (*q != '"') { fail(ps, "unterminated string"); return NULL; }
        n = (size_t)(q + 1 - start);
    } else if (keyword_at(start, "true")) {
        ps->p += 4;
        return json_true();
    } else if (keyword_at(start, "false")) {
        ps->p += 5;
        return json_false();
    } else if (keyword_at(start, "null")) {
        ps->p += 4;
        return json_null();
    } else {
        while (start[n] && strchr("-+.eE0123456789", start[n])) n++;
        if (n == 0) { fail(ps, "expected a value (a quoted string, number, true, false or null)"); return NULL; }
    }
    json_error_t je;
    json_t *v = json_loadb(start, n, JSON_DECODE_ANY, &je);
    if (!v || !(json_is_string(v) || json_is_number(v))) {
        json_decref(v);
        fail(ps, "invalid value");
        return NULL;
    }
    ps->p += n;
    return v;
}

static gh_sf_node *parse_or(parser *ps, int depth);

static gh_sf_node *parse_unary(parser *ps, int depth)
{
    if (depth > GH_SCIM_FILTER_DEPTH) { fail(ps, "nested too deeply"); return NULL; }
    skip_ws(ps);
    if (*ps->p == '(') {
        ps->p++;
        gh_sf_node *n = parse_or(ps, depth + 1);
        if (!n) return NULL;
        skip_ws(ps);
        if (*ps->p != ')') { fail(ps, "expected ')'"); gh_scim_filter_free(n); return NULL; }
        ps->p++;
        return n;
    }
    if (keyword_at(ps->p, "not")) {
        const char *save = ps->p;
        ps->p += 3;
        skip_ws(ps);
        if (*ps->p == '(') {
            ps->p++;
            gh_sf_node *in = parse_or(ps, depth + 1);
            if (!in) return NULL;
            skip_ws(ps);
            if (*ps->p != ')') { fail(ps, "expected ')'"); gh_scim_filter_free(in); return NULL; }
            ps->p++;
            gh_sf_node *n = node_new(ps, GH_SF_NOT);
            if (!n) { gh_scim_filter_free(in); return NULL; }
            n->left = in;
            return n;
        }
        ps->p = save; /* an attribute called "not..." */
    }
    char *attr = attr_token(ps);
    if (!attr) return NULL;
    if (*ps->p == '[') {
        ps->p++;
        gh_sf_node *in = parse_or(ps, depth + 1);
        if (!in) { free(attr); return NULL; }
        skip_ws(ps);
        if (*ps->p != ']') { fail(ps, "expected ']'"); gh_scim_filter_free(in); free(attr); return NULL; }
        ps->p++;
        gh_sf_node *n = node_new(ps, GH_SF_VALUEPATH);
        if (!n) { gh_scim_filter_free(in); free(attr); return NULL; }
        n->attr = attr;
        n->left = in;
        return n;
    }
    if (*ps->p != ' ') { fail(ps, "expected an operator after '%.40s'", attr); free(attr); return NULL; }
    skip_ws(ps);
    int found = -1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (keyword_at(ps->p, ops[i].word)) { found = (int)i; break; }
    if (found < 0) { fail(ps, "unknown operator (eq ne co sw ew pr gt ge lt le)"); free(attr); return NULL; }
    ps->p += 2;
    gh_sf_node *n = node_new(ps, ops[found].op);
    if (!n) { free(attr); return NULL; }
    n->attr = attr;
    if (n->op == GH_SF_PR) return n;
    if (*ps->p != ' ') { fail(ps, "expected a value after the operator"); gh_scim_filter_free(n); return NULL; }
    skip_ws(ps);
    if (!(n->value = comp_value(ps))) { gh_scim_filter_free(n); return NULL; }
    return n;
}

static gh_sf_node *parse_and(parser *ps, int depth)
{
    gh_sf_node *l = parse_unary(ps, depth);
    while (l) {
        const char *save = ps->p;
        skip_ws(ps);
        if (ps->p == save || !keyword_at(ps->p, "and")) { ps->p = save; break; }
        ps->p += 3;
        gh_sf_node *r = parse_unary(ps, depth);
        gh_sf_node *n = r ? node_new(ps, GH_SF_AND) : NULL;
        if (!n) { gh_scim_filter_free(l); gh_scim_filter_free(r); return NULL; }
        n->left = l;
        n->right = r;
        l = n;
    }
    return l;
}

static gh_sf_node *parse_or(parser *ps, int depth)
{
    gh_sf_node *l = parse_and(ps, depth);
    while (l) {
        const char *save = ps->p;
        skip_ws(ps);
        if (ps->p == save || !keyword_at(ps->p, "or")) { ps->p = save; break; }
        ps->p += 2;
        gh_sf_node *r = parse_and(ps, depth);
        gh_sf_node *n = r ? node_new(ps, GH_SF_OR) : NULL;
        if (!n) { gh_scim_filter_free(l); gh_scim_filter_free(r); return NULL; }
        n->left = l;
        n->right = r;
        l = n;
    }
    return l;
}

gh_sf_node *gh_scim_filter_parse(const char *text, char *err, size_t errcap)
{
    parser ps = {text, text, err, errcap, false};
    if (err && errcap) err[0] = '\0';
    if (!text || !*text) { fail(&ps, "empty filter"); return NULL; }
    if (strlen(text) > GH_SCIM_FILTER_MAX) { fail(&ps, "the filter is longer than %d bytes", GH_SCIM_FILTER_MAX); return NULL; }
    gh_sf_node *n = parse_or(&ps, 0);
    if (!n) { fail(&ps, "invalid filter"); return NULL; }
    skip_ws(&ps);
    if (*ps.p) {
        fail(&ps, "unexpected '%c'", *ps.p);
        gh_scim_filter_free(n);
        return NULL;
    }
    return n;
}

/* ---- evaluation ---------------------------------------------------------- */
json_t *gh_scim_get_ci(const json_t *obj, const char *key)
{
    if (!json_is_object(obj) || !key) return NULL;
    json_t *v = json_object_get(obj, key);
    if (v) return v;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)obj, k, val)
        if (strcasecmp(k, key) == 0) return val;
    return NULL;
}

const char *gh_scim_attr_split(const char *path, char *urn, size_t urncap)
{
    if (urncap) urn[0] = '\0';
    if (strncasecmp(path, "urn:", 4) != 0) return path;
    const char *last = strrchr(path, ':');
    size_t n = (size_t)(last - path);
    if (n + 1 > urncap) return last + 1;
    memcpy(urn, path, n);
    urn[n] = '\0';
    return last + 1;
}

/* The base object an attribute path starts from: the resource, or its
 * extension object for an extension URN; *rest is the path within it. */
static const json_t *path_base(const json_t *res, const char *path, const char **rest)
{
    char urn[256];
    *rest = gh_scim_attr_split(path, urn, sizeof urn);
    if (!urn[0] || strstr(urn, ":core:")) return res;
    return gh_scim_get_ci(res, urn);
}

/* Appends the values at dotted path (from base) to acc; a multi-valued
 * complex attribute without a sub-attribute stands for its "value"s. */
static void collect(const json_t *base, const char *path, json_t *acc)
{
    if (!base || !*path) return;
    const char *dot = strchr(path, '.');
    char seg[128];
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (n == 0 || n >= sizeof seg) return;
    memcpy(seg, path, n);
    seg[n] = '\0';
    json_t *v = gh_scim_get_ci(base, seg);
    if (!v) return;
    if (dot) {
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) collect(e, dot + 1, acc);
        } else {
            collect(v, dot + 1, acc);
        }
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            json_t *x = json_is_object(e) ? gh_scim_get_ci(e, "value") : e;
            if (x) json_array_append(acc, x);
        }
        return;
    }
    json_array_append(acc, v);
}

static bool case_exact(const char *path)
{
    const char *rest = path;
    char urn[256];
    rest = gh_scim_attr_split(path, urn, sizeof urn);
    return strcasecmp(rest, "id") == 0 || strcasecmp(rest, "externalId") == 0 || strcasecmp(rest, "meta.version") == 0;
}

static bool ci_contains(const char *hay, const char *needle, bool exact)
{
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++)
        if ((exact ? strncmp(h, needle, n) : strncasecmp(h, needle, n)) == 0) return true;
    return n == 0;
}

static bool compare_one(const json_t *have, gh_sf_op op, const json_t *want, bool exact)
{
    if (op == GH_SF_PR) {
        if (json_is_null(have)) return false;
        if (json_is_string(have)) return json_string_length(have) > 0;
        if (json_is_array(have)) return json_array_size(have) > 0;
        if (json_is_object(have)) return json_object_size(have) > 0;
        return true;
    }
    if (json_is_string(have) && json_is_string(want)) {
        const char *a = json_string_value(have), *b = json_string_value(want);
        size_t la = strlen(a), lb = strlen(b);
        int c = exact ? strcmp(a, b) : strcasecmp(a, b);
        switch (op) {
        case GH_SF_EQ: return c == 0;
        case GH_SF_CO: return ci_contains(a, b, exact);
        case GH_SF_SW: return la >= lb && (exact ? strncmp(a, b, lb) : strncasecmp(a, b, lb)) == 0;
        case GH_SF_EW: return la >= lb && (exact ? strcmp(a + la - lb, b) : strcasecmp(a + la - lb, b)) == 0;
        case GH_SF_GT: return c > 0;
        case GH_SF_GE: return c >= 0;
        case GH_SF_LT: return c < 0;
        case GH_SF_LE: return c <= 0;
        default: return false;
        }
    }
    if (json_is_number(have) && json_is_number(want)) {
        double a = json_number_value(have), b = json_number_value(want);
        switch (op) {
        case GH_SF_EQ: return a == b;
        case GH_SF_GT: return a > b;
        case GH_SF_GE: return a >= b;
        case GH_SF_LT: return a < b;
        case GH_SF_LE: return a <= b;
        default: return false;
        }
    }
    if (op != GH_SF_EQ) return false;
    /* Booleans compared with a boolean; a string "true"/"false" as sent
     * by some clients is read as the boolean it names. */
    if (json_is_boolean(have) && json_is_string(want)) {
        const char *b = json_string_value(want);
        return strcasecmp(b, json_is_true(have) ? "true" : "false") == 0;
    }
    return json_equal((json_t *)have, (json_t *)want);
}

bool gh_scim_filter_match(const gh_sf_node *f, const json_t *res)
{
    if (!f) return true;
    switch (f->op) {
    case GH_SF_AND: return gh_scim_filter_match(f->left, res) && gh_scim_filter_match(f->right, res);
    case GH_SF_OR: return gh_scim_filter_match(f->left, res) || gh_scim_filter_match(f->right, res);
    case GH_SF_NOT: return !gh_scim_filter_match(f->left, res);
    case GH_SF_VALUEPATH: {
        const char *rest;
        const json_t *base = path_base(res, f->attr, &rest);
        json_t *v = base ? gh_scim_get_ci(base, rest) : NULL;
        if (json_is_object(v)) return gh_scim_filter_match(f->left, v);
        if (!json_is_array(v)) return false;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
            if (json_is_object(e) && gh_scim_filter_match(f->left, e)) return true;
        return false;
    }
    case GH_SF_NE: {
        gh_sf_node eq = *f;
        eq.op = GH_SF_EQ;
        return !gh_scim_filter_match(&eq, res);
    }
    default: break;
    }
    const char *rest;
    const json_t *base = path_base(res, f->attr, &rest);
    json_t *acc = json_array();
    if (!acc) return false;
    collect(base, rest, acc);
    bool exact = case_exact(f->attr), hit = false;
    size_t i;
    json_t *e;
    json_array_foreach(acc, i, e)
        if (compare_one(e, f->op, f->value, exact)) { hit = true; break; }
    json_decref(acc);
    return hit;
}

/* ---- PATCH paths ------------------------------------------------------------ */
void gh_scim_path_free(gh_scim_path *p)
{
    if (!p) return;
    free(p->urn);
    free(p->attr);
    free(p->sub);
    gh_scim_filter_free(p->filter);
    memset(p, 0, sizeof *p);
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

bool gh_scim_path_parse(const char *text, gh_scim_path *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    parser ps = {text, text, err, errcap, false};
    if (err && errcap) err[0] = '\0';
    if (!text || !*text) { fail(&ps, "empty path"); return false; }
    if (strlen(text) > GH_SCIM_FILTER_MAX) { fail(&ps, "the path is longer than %d bytes", GH_SCIM_FILTER_MAX); return false; }
    char *tok = attr_token(&ps);
    if (!tok) return false;
    char urn[256];
    const char *rest = gh_scim_attr_split(tok, urn, sizeof urn);
    if (strncasecmp(tok, "urn:", 4) == 0 && !urn[0]) { fail(&ps, "schema URN too long"); goto bad; }
    if (!*rest) { fail(&ps, "expected an attribute after the schema URN"); goto bad; }
    if (urn[0] && !(out->urn = dupn(urn, strlen(urn)))) { fail(&ps, "out of memory"); goto bad; }
    const char *dot = strchr(rest, '.');
    if (!(out->attr = dupn(rest, dot ? (size_t)(dot - rest) : strlen(rest)))) { fail(&ps, "out of memory"); goto bad; }
    if (dot) {
        if (strchr(dot + 1, '.') || !dot[1]) { fail(&ps, "at most one sub-attribute"); goto bad; }
        if (!(out->sub = dupn(dot + 1, strlen(dot + 1)))) { fail(&ps, "out of memory"); goto bad; }
    }
    if (*ps.p == '[') {
        if (out->sub) { fail(&ps, "a value filter follows the attribute, not its sub-attribute"); goto bad; }
        ps.p++;
        out->filter = parse_or(&ps, 1);
        if (!out->filter) goto bad;
        skip_ws(&ps);
        if (*ps.p != ']') { fail(&ps, "expected ']'"); goto bad; }
        ps.p++;
        if (*ps.p == '.') {
            ps.p++;
            const char *s = ps.p;
            while (isalnum((unsigned char)*ps.p) || *ps.p == '_' || *ps.p == '-' || *ps.p == '$') ps.p++;
            if (ps.p == s) { fail(&ps, "expected a sub-attribute after '.'"); goto bad; }
            if (!(out->sub = dupn(s, (size_t)(ps.p - s)))) { fail(&ps, "out of memory"); goto bad; }
        }
    }
    if (*ps.p) { fail(&ps, "unexpected '%c'", *ps.p); goto bad; }
    free(tok);
    return true;
bad:
    free(tok);
    gh_scim_path_free(out);
    return false;
}
