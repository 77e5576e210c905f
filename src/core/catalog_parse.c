/*
 * Loading and validating the permission catalog (see catalog.h).
 *
 * The parsed JSON document stays alive inside the catalog and every string
 * the catalog hands out points into it, so loading copies no strings.
 * Validation walks the document once, in dependency order (modules, add-ons,
 * permissions, tabs, template sets), and stops at the first fault with the
 * JSON path of the value at fault. Key lookups use the small open-addressing
 * hash tables of catalog.c, built here at load time.
 */
#include "core/catalog_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation helpers -------------------------------------------------- */

struct ctx {
    const char *src;
    char *err;
    size_t errlen;
};

/* Writes "src: path.field: message" into the error buffer; returns -1. */
__attribute__((format(printf, 4, 5))) static int fail(struct ctx *c, const char *path,
                                                       const char *field, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0)
        return -1;
    bool has_path = path && *path;
    int n = snprintf(c->err, c->errlen, "%s: %s%s%s: ", c->src, has_path ? path : "",
                     has_path && field ? "." : "", field ? field : (has_path ? "" : "top level"));
    if (n < 0 || (size_t)n >= c->errlen)
        return -1; /* truncated: the prefix is all that fits */
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap); /* truncation is acceptable */
    va_end(ap);
    return -1;
}

static int fail_oom(struct ctx *c)
{
    return fail(c, NULL, NULL, "out of memory");
}

/* Formats "prefix[i]" (or "prefix[i].sub[j]") into buf, which is large
 * enough for any path this file builds. */
__attribute__((format(printf, 3, 4))) static void fmt_path(char *buf, size_t cap,
                                                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0 && cap > 0)
        buf[0] = '\0';
}

static bool key_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char ch = s[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
                  ch == '-';
        if (!ok || n >= GH_CATALOG_KEY_MAX)
            return false;
    }
    return n > 0;
}

/* Rejects any member of obj not in the NULL-terminated list allowed: a typo
 * in a field name must not silently drop a rule. */
static int check_fields(struct ctx *c, const json_t *obj, const char *path,
                        const char *const *allowed)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)obj, name, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], name) != 0)
            i++;
        if (!allowed[i])
            return fail(c, path, name, "unknown field");
    }
    return 0;
}

static int get_str(struct ctx *c, const json_t *obj, const char *path, const char *field,
                   bool required, const char **out)
{
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v || (!required && json_is_null(v))) /* null = absent, as gh_catalog_to_json writes */
        return required ? fail(c, path, field, "missing") : 0;
    if (!json_is_string(v))
        return fail(c, path, field, "expected a string");
    *out = json_string_value(v);
    return 0;
}

static int get_key(struct ctx *c, const json_t *obj, const char *path, const char *field,
                   bool required, const char **out)
{
    if (get_str(c, obj, path, field, required, out))
        return -1;
    if (*out && !key_valid(*out))
        return fail(c, path, field, "bad key '%.80s': use 1..%d characters of [a-z0-9_.-]", *out,
                    GH_CATALOG_KEY_MAX);
    return 0;
}

static int get_bool(struct ctx *c, const json_t *obj, const char *path, const char *field,
                    bool *out)
{
    json_t *v = json_object_get(obj, field);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail(c, path, field, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

/* Fetches an array member; *out NULL when absent and not required. */
static int get_array(struct ctx *c, const json_t *obj, const char *path, const char *field,
                     bool required, json_t **out)
{
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v)
        return required ? fail(c, path, field, "missing") : 0;
    if (!json_is_array(v))
        return fail(c, path, field, "expected an array");
    *out = v;
    return 0;
}

static int expect_object(struct ctx *c, const json_t *v, const char *path)
{
    return json_is_object(v) ? 0 : fail(c, path, NULL, "expected an object");
}

/* Reads an array of permission keys into set; rejects unknown and repeated
 * keys. path names the array. */
static int parse_perm_list(struct ctx *c, const gh_catalog *cat, const json_t *arr,
                           const char *path, gh_permset *set)
{
    char ipath[192];
    size_t i;
    json_t *v;
    gh_permset_clear(set);
    json_array_foreach(arr, i, v) {
        fmt_path(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (!json_is_string(v))
            return fail(c, ipath, NULL, "expected a permission key");
        int p = gh_keymap_find(&cat->perm_map, json_string_value(v));
        if (p < 0)
            return fail(c, ipath, NULL, "unknown permission '%.80s'", json_string_value(v));
        if (gh_permset_test(set, (size_t)p))
            return fail(c, ipath, NULL, "permission '%.80s' listed twice", json_string_value(v));
        gh_permset_set(set, (size_t)p);
    }
    return 0;
}

/* ---- the sections, in dependency order ----------------------------------- */

static int parse_modules(struct ctx *c, gh_catalog *cat, const json_t *arr)
{
    static const char *const fields[] = {"key", "name", "description", "always_on", "tabs", NULL};
    char path[64];
    size_t n = json_array_size(arr);
    if (n == 0)
        return fail(c, "modules", NULL, "at least the core module is required");
    if (n > GH_CATALOG_MODULE_MAX)
        return fail(c, "modules", NULL, "%zu modules, at most %d allowed", n,
                    GH_CATALOG_MODULE_MAX);
    cat->modules = calloc(n, sizeof *cat->modules);
    if (!cat->modules || gh_keymap_init(&cat->module_map, n))
        return fail_oom(c);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        struct module *m = &cat->modules[i];
        fmt_path(path, sizeof path, "modules[%zu]", i);
        if (expect_object(c, o, path) || check_fields(c, o, path, fields) ||
            get_key(c, o, path, "key", true, &m->key) ||
            get_str(c, o, path, "name", true, &m->name) ||
            get_str(c, o, path, "description", false, &m->description) ||
            get_bool(c, o, path, "always_on", &m->always_on))
            return -1;
        if (!gh_keymap_add(&cat->module_map, m->key, (int)i))
            return fail(c, path, "key", "duplicate module '%s'", m->key);
        if (m->always_on)
            cat->always_on |= UINT64_C(1) << i;
        cat->nmodules++;
    }
    int core = gh_keymap_find(&cat->module_map, "core");
    if (core < 0)
        return fail(c, "modules", NULL, "the core module is missing");
    if (!cat->modules[core].always_on) {
        fmt_path(path, sizeof path, "modules[%d]", core);
        return fail(c, path, "always_on", "the core module must be always on");
    }
    return 0;
}

static int parse_addons(struct ctx *c, gh_catalog *cat, const json_t *arr)
{
    static const char *const fields[] = {"key", "name", "description", NULL};
    char path[64];
    size_t n = json_array_size(arr); /* 0 when absent */
    if (n > GH_CATALOG_ADDON_MAX)
        return fail(c, "addons", NULL, "%zu add-ons, at most %d allowed", n, GH_CATALOG_ADDON_MAX);
    cat->addons = calloc(n ? n : 1, sizeof *cat->addons);
    if (!cat->addons || gh_keymap_init(&cat->addon_map, n))
        return fail_oom(c);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        struct addon *a = &cat->addons[i];
        fmt_path(path, sizeof path, "addons[%zu]", i);
        if (expect_object(c, o, path) || check_fields(c, o, path, fields) ||
            get_key(c, o, path, "key", true, &a->key) ||
            get_str(c, o, path, "name", true, &a->name) ||
            get_str(c, o, path, "description", false, &a->description))
            return -1;
        if (!gh_keymap_add(&cat->addon_map, a->key, (int)i))
            return fail(c, path, "key", "duplicate add-on '%s'", a->key);
        cat->naddons++;
    }
    return 0;
}

static int parse_perms(struct ctx *c, gh_catalog *cat, const json_t *arr)
{
    static const char *const fields[] = {"key",         "module", "addon",     "name",
                                         "description", "source", "read_only", "open", NULL};
    char path[64];
    size_t n = json_array_size(arr);
    if (n == 0)
        return fail(c, "permissions", NULL, "no permissions");
    if (n > GH_PERM_MAX)
        return fail(c, "permissions", NULL, "%zu permissions, at most %d allowed", n,
                    GH_PERM_MAX);
    cat->perms = calloc(n, sizeof *cat->perms);
    if (!cat->perms || gh_keymap_init(&cat->perm_map, n))
        return fail_oom(c);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        struct perm *p = &cat->perms[i];
        const char *module, *addon;
        fmt_path(path, sizeof path, "permissions[%zu]", i);
        if (expect_object(c, o, path) || check_fields(c, o, path, fields) ||
            get_key(c, o, path, "key", true, &p->key) ||
            get_str(c, o, path, "module", true, &module) ||
            get_str(c, o, path, "addon", false, &addon) ||
            get_str(c, o, path, "name", true, &p->name) ||
            get_str(c, o, path, "description", true, &p->description) ||
            get_str(c, o, path, "source", false, &p->source) ||
            get_bool(c, o, path, "read_only", &p->read_only) ||
            get_bool(c, o, path, "open", &p->open))
            return -1;
        p->module = gh_keymap_find(&cat->module_map, module);
        if (p->module < 0)
            return fail(c, path, "module", "unknown module '%.80s'", module);
        p->addon = addon ? gh_keymap_find(&cat->addon_map, addon) : -1;
        if (addon && p->addon < 0)
            return fail(c, path, "addon", "unknown add-on '%.80s'", addon);
        if (!gh_keymap_add(&cat->perm_map, p->key, (int)i))
            return fail(c, path, "key", "duplicate permission '%s'", p->key);
        gh_permset_set(&cat->all, i);
        gh_permset_set(&cat->module_perms[p->module], i);
        if (p->addon >= 0)
            gh_permset_set(&cat->addon_perms[p->addon], i);
        else
            gh_permset_set(&cat->no_addon, i);
        if (p->read_only)
            gh_permset_set(&cat->read_only, i);
        if (p->open) {
            const char *why = gh_catalog_open_forbidden(p->key);
            if (why)
                return fail(c, path, "open", "'%s' cannot be open to everyone: %s", p->key, why);
            gh_permset_set(&cat->open, i);
        }
        cat->nperms++;
    }
    return 0;
}

/* Tabs live inside their module's object; parsed once permissions exist. */
static int parse_tabs(struct ctx *c, gh_catalog *cat, const json_t *modules)
{
    static const char *const fields[] = {"key", "name", "description", "any_of", NULL};
    char mpath[64], path[96], apath[128];
    size_t total = 0;
    for (size_t m = 0; m < cat->nmodules; m++) {
        json_t *tabs;
        fmt_path(mpath, sizeof mpath, "modules[%zu]", m);
        if (get_array(c, json_array_get(modules, m), mpath, "tabs", false, &tabs))
            return -1;
        total += json_array_size(tabs); /* bounded by the document size */
    }
    cat->tabs = calloc(total ? total : 1, sizeof *cat->tabs);
    if (!cat->tabs)
        return fail_oom(c);
    for (size_t m = 0; m < cat->nmodules; m++) {
        json_t *tabs = json_object_get(json_array_get(modules, m), "tabs");
        size_t first = cat->ntabs;
        for (size_t i = 0; i < json_array_size(tabs); i++) {
            const json_t *o = json_array_get(tabs, i);
            struct tab *t = &cat->tabs[cat->ntabs];
            json_t *any_of;
            fmt_path(path, sizeof path, "modules[%zu].tabs[%zu]", m, i);
            if (expect_object(c, o, path) || check_fields(c, o, path, fields) ||
                get_key(c, o, path, "key", true, &t->key) ||
                get_str(c, o, path, "name", true, &t->name) ||
                get_str(c, o, path, "description", false, &t->description) ||
                get_array(c, o, path, "any_of", false, &any_of))
                return -1;
            for (size_t j = first; j < cat->ntabs; j++)
                if (strcmp(cat->tabs[j].key, t->key) == 0)
                    return fail(c, path, "key", "duplicate tab '%s' in module '%s'", t->key,
                                cat->modules[m].key);
            t->module = (int)m;
            if (any_of) {
                fmt_path(apath, sizeof apath, "%s.any_of", path);
                if (parse_perm_list(c, cat, any_of, apath, &t->any_of)) /* [] = none needed */
                    return -1;
            }
            cat->ntabs++;
        }
    }
    return 0;
}

/* A role's permissions: a list of keys, "*" or {"all_except": [keys]}. */
static int parse_role_perms(struct ctx *c, const gh_catalog *cat, const json_t *v,
                            const char *path, gh_permset *out)
{
    static const char *const fields[] = {"all_except", NULL};
    char epath[192];
    if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0) {
        *out = cat->all;
        return 0;
    }
    if (json_is_array(v))
        return parse_perm_list(c, cat, v, path, out);
    if (json_is_object(v)) {
        json_t *except;
        gh_permset minus;
        if (check_fields(c, v, path, fields) || get_array(c, v, path, "all_except", true, &except))
            return -1;
        fmt_path(epath, sizeof epath, "%s.all_except", path);
        if (parse_perm_list(c, cat, except, epath, &minus))
            return -1;
        *out = cat->all;
        gh_permset_andnot(out, &minus);
        return 0;
    }
    return fail(c, path, NULL,
                "expected a list of permission keys, \"*\" or {\"all_except\": [...]}");
}

static int parse_roles(struct ctx *c, const gh_catalog *cat, struct tset *s, const json_t *arr,
                       const char *spath)
{
    static const char *const fields[] = {"key",    "name",       "description",
                                         "device", "permissions", NULL};
    char path[96], ppath[128];
    size_t n = json_array_size(arr);
    if (n == 0)
        return fail(c, spath, "roles", "a template set needs at least one role");
    s->roles = calloc(n, sizeof *s->roles);
    if (!s->roles || gh_keymap_init(&s->role_map, n))
        return fail_oom(c);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        struct role *r = &s->roles[i];
        fmt_path(path, sizeof path, "%s.roles[%zu]", spath, i);
        if (expect_object(c, o, path) || check_fields(c, o, path, fields) ||
            get_key(c, o, path, "key", true, &r->key) ||
            get_str(c, o, path, "name", true, &r->name) ||
            get_str(c, o, path, "description", true, &r->description) ||
            get_bool(c, o, path, "device", &r->device))
            return -1;
        if (!gh_keymap_add(&s->role_map, r->key, (int)i))
            return fail(c, path, "key", "duplicate role '%s' in template set '%s'", r->key, s->key);
        json_t *perms = json_object_get(o, "permissions");
        if (!perms)
            return fail(c, path, "permissions", "missing");
        fmt_path(ppath, sizeof ppath, "%s.permissions", path);
        if (parse_role_perms(c, cat, perms, ppath, &r->perms))
            return -1;
        s->nroles++;
    }
    return 0;
}

/* A set's "open": [{"key", "reason"}]: permissions granted to every active
 * person of an organization using the set, each with why (the source text).
 * The catalog's own open permissions are open in every set. */
static int parse_set_open(struct ctx *c, const gh_catalog *cat, struct tset *s, const json_t *o,
                          const char *spath)
{
    static const char *const fields[] = {"key", "reason", NULL};
    char path[128];
    json_t *arr, *v;
    size_t i;
    s->open = cat->open;
    if (get_array(c, o, spath, "open", false, &arr))
        return -1;
    if (!arr)
        return 0;
    s->open_reasons = calloc(cat->nperms ? cat->nperms : 1, sizeof *s->open_reasons);
    if (!s->open_reasons)
        return fail_oom(c);
    json_array_foreach(arr, i, v) {
        const char *key, *reason;
        fmt_path(path, sizeof path, "%s.open[%zu]", spath, i);
        if (expect_object(c, v, path) || check_fields(c, v, path, fields) ||
            get_str(c, v, path, "key", true, &key) || get_str(c, v, path, "reason", true, &reason))
            return -1;
        int p = gh_keymap_find(&cat->perm_map, key);
        if (p < 0)
            return fail(c, path, "key", "unknown permission '%.80s'", key);
        const char *why = gh_catalog_open_forbidden(key);
        if (why)
            return fail(c, path, "key", "'%s' cannot be open to everyone: %s", key, why);
        if (!*reason)
            return fail(c, path, "reason", "say why the set opens '%s'", key);
        if (s->open_reasons[p])
            return fail(c, path, "key", "permission '%s' listed twice", key);
        s->open_reasons[p] = reason;
        gh_permset_set(&s->open, (size_t)p);
    }
    return 0;
}

static int parse_sets(struct ctx *c, gh_catalog *cat, const json_t *arr)
{
    static const char *const fields[] = {"key",        "name",  "description", "source",
                                         "owner_role", "roles", "open", NULL};
    char path[64];
    size_t n = json_array_size(arr);
    if (n == 0)
        return fail(c, "template_sets", NULL, "at least one template set is required");
    cat->sets = calloc(n, sizeof *cat->sets);
    if (!cat->sets || gh_keymap_init(&cat->set_map, n))
        return fail_oom(c);
    int manage = gh_keymap_find(&cat->perm_map, "users.manage");
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        struct tset *s = &cat->sets[i];
        const char *owner;
        json_t *roles;
        fmt_path(path, sizeof path, "template_sets[%zu]", i);
        cat->nsets++; /* counted first so gh_catalog_free releases its roles */
        if (expect_object(c, o, path) || check_fields(c, o, path, fields) ||
            get_key(c, o, path, "key", true, &s->key) ||
            get_str(c, o, path, "name", true, &s->name) ||
            get_str(c, o, path, "description", false, &s->description) ||
            get_str(c, o, path, "source", false, &s->source) ||
            get_str(c, o, path, "owner_role", true, &owner) ||
            get_array(c, o, path, "roles", true, &roles))
            return -1;
        if (!gh_keymap_add(&cat->set_map, s->key, (int)i))
            return fail(c, path, "key", "duplicate template set '%s'", s->key);
        if (parse_roles(c, cat, s, roles, path))
            return -1;
        s->owner = gh_keymap_find(&s->role_map, owner);
        if (s->owner < 0)
            return fail(c, path, "owner_role", "'%.80s' is not a role of template set '%s'", owner,
                        s->key);
        if (manage < 0 || !gh_permset_test(&s->roles[s->owner].perms, (size_t)manage))
            return fail(c, path, "owner_role", "role '%s' does not hold users.manage", owner);
        if (parse_set_open(c, cat, s, o, path))
            return -1;
        if (s->roles[s->owner].device)
            return fail(c, path, "owner_role", "role '%s' is a device role", owner);
        /* Nobody may give a permission they do not hold (no escalation), so
         * the creator of an organization must hold every permission the
         * set's roles give, or those could never be given to anyone. */
        gh_permset lacks;
        gh_permset_clear(&lacks);
        for (size_t r = 0; r < s->nroles; r++)
            gh_permset_or(&lacks, &s->roles[r].perms);
        gh_permset_andnot(&lacks, &s->roles[s->owner].perms);
        if (!gh_permset_is_empty(&lacks)) {
            char list[160] = "";
            size_t used = 0;
            for (size_t k = 0; k < cat->nperms && used < sizeof list; k++) {
                if (!gh_permset_test(&lacks, k)) continue;
                int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", cat->perms[k].key);
                if (w < 0) break;
                used += (size_t)w;
            }
            return fail(c, path, "owner_role",
                        "role '%s' lacks %s, which other roles of the set give (the organization's creator"
                        " must hold every permission its roles give)",
                        owner, list);
        }
    }
    return 0;
}

int gh_catalog_parse(const char *text, size_t len, const char *source_name, gh_catalog **out,
                     char *err, size_t errlen)
{
    static const char *const fields[] = {"version",     "default_template_set",
                                         "notes",       "modules",
                                         "addons",      "permissions",
                                         "template_sets", NULL};
    struct ctx c = {source_name ? source_name : "catalog", err, errlen};
    gh_catalog *cat = NULL;
    json_error_t jerr;
    json_t *root = NULL, *modules, *addons, *perms, *sets, *notes;
    int rc = -1;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err && errlen)
            (void)snprintf(err, errlen, "%s:%d:%d: %s", c.src, jerr.line, jerr.column, jerr.text);
        goto out;
    }
    cat = calloc(1, sizeof *cat);
    if (!cat) {
        fail_oom(&c);
        goto out;
    }
    cat->root = root;
    root = NULL; /* now owned by cat */

    const json_t *r = cat->root;
    json_t *version = json_object_get(r, "version");
    if (expect_object(&c, r, ""))
        goto out;
    if (json_object_get(r, "unlisted_permission_policy")) {
        fail(&c, "", "unlisted_permission_policy",
             "no longer supported: a permission key the catalog does not list is now always denied "
             "(reason unknown_permission); list the keys everyone may use with \"open\": true on the "
             "permission, or in a template set's \"open\" list with the reason");
        goto out;
    }
    if (check_fields(&c, r, "", fields))
        goto out;
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        fail(&c, "", "version", "expected 1");
        goto out;
    }
    cat->version = 1;
    if (get_key(&c, r, "", "default_template_set", true, &cat->default_set))
        goto out;
    notes = json_object_get(r, "notes");
    if (notes && !json_is_string(notes) && !json_is_array(notes)) {
        fail(&c, "", "notes", "expected a string or an array of strings");
        goto out;
    }
    if (get_array(&c, r, "", "modules", true, &modules) ||
        get_array(&c, r, "", "addons", false, &addons) ||
        get_array(&c, r, "", "permissions", true, &perms) ||
        get_array(&c, r, "", "template_sets", true, &sets))
        goto out;
    if (parse_modules(&c, cat, modules) || parse_addons(&c, cat, addons) ||
        parse_perms(&c, cat, perms) || parse_tabs(&c, cat, modules) || parse_sets(&c, cat, sets))
        goto out;
    if (gh_keymap_find(&cat->set_map, cat->default_set) < 0) {
        fail(&c, "", "default_template_set", "template set '%s' not found", cat->default_set);
        goto out;
    }
    *out = cat;
    cat = NULL;
    rc = 0;
out:
    json_decref(root);
    gh_catalog_free(cat);
    return rc;
}

