/* JSON request bodies: content type, depth, parse, field lists. See
 * bodycheck.h. */
#include "http/bodycheck.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

int gh_body_depth(const char *s, size_t n)
{
    int depth = 0, maxd = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = false;
        } else if (c == '"') in_str = true;
        else if (c == '{' || c == '[') { if (++depth > maxd) maxd = depth; }
        else if (c == '}' || c == ']') depth--;
    }
    return maxd;
}

bool gh_body_content_type_ok(const char *ct)
{
    if (!ct) return true;
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0) return true;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

gh_status gh_body_parse(const char *data, size_t n, json_t **out, gh_err *err)
{
    *out = NULL;
    if (gh_body_depth(data, n) > GH_BODY_DEPTH_MAX)
        return gh_fail(err, GH_E_INVALID, "invalid_json", "JSON nested too deeply");
    json_error_t jerr;
    json_t *j = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    /* jansson reports some allocation failures as syntax errors (its
     * lexer's buffers): a second read tells a transient failure from a
     * malformed body, which fails again at the same place. */
    if (!j) j = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!j && (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0]))
        /* Not the client's fault: no "malformed JSON" for it (jansson leaves
         * the text empty when it cannot even start reading). */
        return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    if (!j)
        return gh_fail(err, GH_E_INVALID, "invalid_json", "malformed JSON at line %d column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return gh_fail(err, GH_E_INVALID, "invalid_body", "the body must be a JSON object");
    }
    *out = j;
    return GH_OK;
}

const char *gh_jtype_name(gh_jtype t)
{
    switch (t) {
    case GH_J_STRING: return "a string";
    case GH_J_STRING_OR_NULL: return "a string or null";
    case GH_J_BOOL: return "a boolean";
    case GH_J_INT: return "an integer";
    case GH_J_INT_OR_NULL: return "an integer or null";
    case GH_J_OBJECT: return "an object";
    case GH_J_ARRAY: return "an array";
    default: return "a value";
    }
}

static bool jtype_ok(json_t *v, gh_jtype t)
{
    switch (t) {
    case GH_J_STRING: return json_is_string(v);
    case GH_J_STRING_OR_NULL: return json_is_string(v) || json_is_null(v);
    case GH_J_BOOL: return json_is_boolean(v);
    case GH_J_INT: return json_is_integer(v);
    case GH_J_INT_OR_NULL: return json_is_integer(v) || json_is_null(v);
    case GH_J_OBJECT: return json_is_object(v);
    case GH_J_ARRAY: return json_is_array(v);
    default: return true;
    }
}

/* Prefixes a field name with the object it is in ("org.name"). */
static void field_in(gh_err *e, const char *in)
{
    if (!in || !e->field[0] || strcmp(e->field, in) == 0) return;
    char f[2 * sizeof e->field + 2];
    snprintf(f, sizeof f, "%.*s.%s", (int)sizeof e->field, in, e->field);
    gh_strlcpy(e->field, f, sizeof e->field);
}

bool gh_body_check_fields(json_t *obj, const gh_jfield *fields, const char *in, gh_err *err)
{
    gh_err e = {0};
    if (obj && !json_is_object(obj)) {
        if (in) gh_fail_field(err, GH_E_INVALID, "invalid_type", in, "'%s' must be an object", in);
        else gh_fail(err, GH_E_INVALID, "invalid_body", "the body must be a JSON object");
        return false;
    }
    if (obj) {
        const char *key;
        json_t *val;
        json_object_foreach(obj, key, val) {
            const gh_jfield *f = fields;
            while (f->name && strcmp(f->name, key) != 0) f++;
            if (!f->name) gh_fail_field(&e, GH_E_INVALID, "unknown_field", key, "unknown field '%s'", key);
            else if (!jtype_ok(val, f->type))
                gh_fail_field(&e, GH_E_INVALID, "invalid_type", key, "'%s' must be %s", key, gh_jtype_name(f->type));
            field_in(&e, in);
            gh_err_merge(err, &e);
        }
    }
    for (const gh_jfield *f = fields; f->name; f++) {
        if (f->required && (!obj || !json_object_get(obj, f->name))) {
            gh_fail_field(&e, GH_E_INVALID, "missing_field", f->name, "'%s' is required", f->name);
            field_in(&e, in);
            gh_err_merge(err, &e);
        }
    }
    return err->status == GH_OK;
}
