/* The JSON body checks (src/http/bodycheck.c) as every request body meets
 * them: the input's first byte picks a field list (and whether it describes
 * a nested object), the first line after it is the Content-Type, the rest
 * the body. A body that passes is an object no deeper than the limit whose
 * every member is declared with its type and whose required members are
 * there; one that fails names a stable code (and the field, for field
 * errors) in terminated text. */
#include "fuzz.h"

#include "http/bodycheck.h"

static const gh_jfield user_fields[] = {
    {"email", GH_J_STRING, true},         {"name", GH_J_STRING, false},  {"role", GH_J_STRING, false},
    {"modules", GH_J_ARRAY, false},       {"checkin_exempt", GH_J_BOOL, false},
    {"mobile", GH_J_STRING_OR_NULL, false}, {"seats", GH_J_INT_OR_NULL, false},
    {NULL, 0, false}};
static const gh_jfield clock_fields[] = {{"advance_s", GH_J_INT, true}, {NULL, 0, false}};
static const gh_jfield org_fields[] = {
    {"slug", GH_J_STRING, true}, {"settings", GH_J_OBJECT, false}, {"extra", GH_J_ANY, false}, {NULL, 0, false}};
static const gh_jfield no_fields[] = {{NULL, 0, false}};
static const gh_jfield *const tables[] = {user_fields, clock_fields, org_fields, no_fields};

static bool type_ok(json_t *v, gh_jtype t)
{
    switch (t) {
    case GH_J_STRING: return json_typeof(v) == JSON_STRING;
    case GH_J_STRING_OR_NULL: return json_typeof(v) == JSON_STRING || json_typeof(v) == JSON_NULL;
    case GH_J_BOOL: return json_typeof(v) == JSON_TRUE || json_typeof(v) == JSON_FALSE;
    case GH_J_INT: return json_typeof(v) == JSON_INTEGER;
    case GH_J_INT_OR_NULL: return json_typeof(v) == JSON_INTEGER || json_typeof(v) == JSON_NULL;
    case GH_J_OBJECT: return json_typeof(v) == JSON_OBJECT;
    case GH_J_ARRAY: return json_typeof(v) == JSON_ARRAY;
    default: return true;
    }
}

static void check_err(const gh_err *e, const char *const *codes)
{
    if (!memchr(e->code, '\0', sizeof e->code) || !memchr(e->field, '\0', sizeof e->field) ||
        !memchr(e->detail, '\0', sizeof e->detail) || !e->detail[0])
        abort();
    for (; *codes; codes++)
        if (!strcmp(e->code, *codes)) return;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const gh_jfield *fields = tables[data[0] % (sizeof tables / sizeof tables[0])];
    const char *in = (data[0] & 0x80) ? "org" : NULL;
    char *s = fuzz_cstr(data + 1, size - 1);
    if (!s) return 0;
    char *nl = memchr(s, '\n', size - 1);
    const char *body = s;
    size_t n = size - 1;
    if (nl) {
        *nl = '\0';
        (void)gh_body_content_type_ok(s);
        body = nl + 1;
        n = size - 1 - (size_t)(body - s);
    }
    json_t *obj = NULL;
    gh_err e = {0};
    if (n > 0 && gh_body_parse(body, n, &obj, &e) != GH_OK) {
        if (obj) abort();
        check_err(&e, (const char *const[]){"invalid_json", "invalid_body", "internal", NULL});
        goto done;
    }
    if (obj && (!json_is_object(obj) || gh_body_depth(body, n) > GH_BODY_DEPTH_MAX)) abort();
    gh_err_clear(&e);
    if (gh_body_check_fields(obj, fields, in, &e)) {
        const char *key;
        json_t *val;
        json_object_foreach(obj, key, val) {
            const gh_jfield *f = fields;
            while (f->name && strcmp(f->name, key)) f++;
            if (!f->name || !type_ok(val, f->type)) abort();
        }
        for (const gh_jfield *f = fields; f->name; f++)
            if (f->required && !json_object_get(obj, f->name)) abort();
    } else {
        check_err(&e, (const char *const[]){"unknown_field", "invalid_type", "missing_field", "invalid_body", NULL});
        /* A field error names the member; only a member named "" (legal
         * JSON) leaves the name empty (fuzz/regressions/bodycheck/). */
        if (strcmp(e.code, "invalid_body") != 0 && !e.field[0] && !json_object_get(obj, "")) abort();
        if (in && e.field[0] && strncmp(e.field, "org", 3) != 0) abort();
    }
done:
    gh_err_clear(&e);
    json_decref(obj);
    free(s);
    return 0;
}
