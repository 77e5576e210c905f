/*
 * Keys against the loaded catalog: space-separated lists of permission,
 * module and add-on keys (as the rows store them) into sets and masks, an
 * API key's scopes, the effective permissions of rows not yet in the
 * snapshot, validating the keys a request names, and the template sets'
 * roles. The snapshot holder itself is access.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/access_int.h"
#include "core/authz.h"
#include "util/util.h"

/* ---- key lists ------------------------------------------------------------------ */
typedef void (*key_fn)(const char *key, size_t n, void *arg);

static void each_key(const char *list, key_fn fn, void *arg)
{
    const char *p = list;
    while (p && *p) {
        while (*p == ' ') p++;
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) fn(p, n, arg);
        p += n;
    }
}

static void add_perm(const char *k, size_t n, void *arg)
{
    char key[GH_CATALOG_KEY_MAX + 1];
    if (n > GH_CATALOG_KEY_MAX) return;
    memcpy(key, k, n);
    key[n] = '\0';
    int i = gh_catalog_perm_index(gh_access_catalog(), key);
    if (i >= 0) gh_permset_set(arg, (size_t)i); /* keys a replaced gh_access_catalog() dropped are ignored */
}

static void add_module(const char *k, size_t n, void *arg)
{
    char key[GH_CATALOG_KEY_MAX + 1];
    if (n > GH_CATALOG_KEY_MAX) return;
    memcpy(key, k, n);
    key[n] = '\0';
    int i = gh_catalog_module_index(gh_access_catalog(), key);
    if (i >= 0) *(uint64_t *)arg |= (uint64_t)1 << i;
}

static void add_addon(const char *k, size_t n, void *arg)
{
    char key[GH_CATALOG_KEY_MAX + 1];
    if (n > GH_CATALOG_KEY_MAX) return;
    memcpy(key, k, n);
    key[n] = '\0';
    int i = gh_catalog_addon_index(gh_access_catalog(), key);
    if (i >= 0) *(uint64_t *)arg |= (uint64_t)1 << i;
}

gh_permset gh_access_perms_in(const char *list)
{
    gh_permset s;
    memset(&s, 0, sizeof s);
    each_key(list, add_perm, &s);
    return s;
}

uint64_t gh_access_modules_in(const char *list)
{
    uint64_t m = gh_catalog_always_on_modules(gh_access_catalog());
    each_key(list, add_module, &m);
    return m;
}

uint64_t gh_access_addons_in(const char *list)
{
    uint64_t m = 0;
    each_key(list, add_addon, &m);
    return m;
}

/* The permissions open to everyone of an org: its template set's (the
 * gh_access_catalog()'s own open ones for a set the gh_access_catalog() no longer lists). */
static const gh_permset *open_of(const gh_org *o)
{
    int s = gh_catalog_set_index(gh_access_catalog(), o->template_set);
    return s >= 0 ? gh_catalog_set_open(gh_access_catalog(), (size_t)s) : gh_catalog_open_perms(gh_access_catalog());
}

const gh_permset *gh_access_org_open(const gh_org *o) { return open_of(o); }

static const char *const service_scopes[] = {"authz.check", "activity.write", "tasks.write", "scim"};

const char *gh_scope_service_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof service_scopes / sizeof service_scopes[0]; i++)
        if (bit == 1u << i) return service_scopes[i];
    return NULL;
}

unsigned gh_scope_service_bit(const char *name)
{
    for (size_t i = 0; name && i < sizeof service_scopes / sizeof service_scopes[0]; i++)
        if (strcmp(service_scopes[i], name) == 0) return 1u << i;
    return 0;
}

static void add_scope(const char *k, size_t n, void *arg)
{
    gh_actor *a = arg;
    char key[GH_CATALOG_KEY_MAX + 1];
    if (n > GH_CATALOG_KEY_MAX) return;
    memcpy(key, k, n);
    key[n] = '\0';
    unsigned bit = gh_scope_service_bit(key);
    int i = bit ? -1 : gh_catalog_perm_index(gh_access_catalog(), key);
    a->key_services |= bit;
    if (i >= 0) gh_permset_set(&a->key_perms, (size_t)i);
}

void gh_access_key_scopes(const char *list, gh_actor *a)
{
    gh_permset_clear(&a->key_perms);
    a->key_services = 0;
    each_key(list, add_scope, a);
}

bool gh_access_key_holds(const gh_actor *a, const char *scope)
{
    if (a->type != GH_ACTOR_API_KEY || !scope) return false;
    unsigned bit = gh_scope_service_bit(scope);
    if (bit) return (a->key_services & bit) != 0;
    int i = gh_catalog_perm_index(gh_access_catalog(), scope);
    return i >= 0 && gh_permset_test(&a->key_perms, (size_t)i);
}


bool gh_access_would_hold(const gh_org *o, const gh_role *r, const gh_user *u, const char *perm)
{
    gh_permset rp = gh_access_perms_in(r->permissions), grants = gh_access_perms_in(u->grants);
    uint64_t um = u->modules_all ? GH_AUTHZ_ALL_MODULES : gh_access_modules_in(u->modules);
    const gh_catalog *cat = gh_access_catalog();
    return gh_authz_effective_would_hold(cat, gh_access_modules_in(o->modules), gh_access_addons_in(o->addons), open_of(o),
                                         &rp, r->device, um, &grants, gh_catalog_perm_index(cat, perm));
}

void gh_access_rows_effective(const gh_org *o, const gh_role *r, const gh_user *u, gh_permset *out)
{
    gh_permset rp = gh_access_perms_in(r ? r->permissions : ""), grants = gh_access_perms_in(u->grants);
    uint64_t um = u->modules_all ? GH_AUTHZ_ALL_MODULES : gh_access_modules_in(u->modules);
    gh_authz_effective_set(gh_access_catalog(), gh_access_modules_in(o->modules), gh_access_addons_in(o->addons),
                           open_of(o), &rp, r && r->device, um, &grants, out);
}

void gh_access_rows_latent(const gh_org *o, const gh_role *r, const gh_user *u, gh_permset *out)
{
    gh_permset rp = gh_access_perms_in(r ? r->permissions : ""), grants = gh_access_perms_in(u->grants);
    uint64_t um = u->modules_all ? GH_AUTHZ_ALL_MODULES : gh_access_modules_in(u->modules);
    const gh_catalog *cat = gh_access_catalog();
    gh_authz_effective_set(cat, gh_catalog_all_modules(cat), gh_catalog_all_addons(cat), open_of(o), &rp,
                           r && r->device, um, &grants, out);
}

void gh_access_perms_of(const char *list, gh_permset *out) { *out = gh_access_perms_in(list); }

gh_status gh_access_validate_keys(const json_t *array, gh_key_kind kind, const char *field, char *out_list,
                                  size_t cap, gh_err *err)
{
    static const char *const codes[] = {"unknown_permissions", "unknown_modules", "unknown_addons"};
    static const char *const nouns[] = {"permission", "module", "add-on"};
    gh_buf out, bad;
    gh_buf_init(&out, cap ? cap - 1 : 0);
    gh_buf_init(&bad, 1024);
    json_t *unknown = json_array();
    size_t i;
    json_t *v;
    gh_status st = GH_OK;
    if (!json_is_array(array)) {
        st = gh_fail_field(err, GH_E_INVALID, "invalid_type", field, "'%s' must be an array of keys", field);
        goto out;
    }
    json_array_foreach(array, i, v) {
        const char *k = json_string_value(v);
        if (!k) {
            st = gh_fail_field(err, GH_E_INVALID, "invalid_type", field, "'%s' must contain only strings", field);
            goto out;
        }
        int idx = kind == GH_KEYS_PERMISSIONS ? gh_catalog_perm_index(gh_access_catalog(), k)
                  : kind == GH_KEYS_MODULES   ? gh_catalog_module_index(gh_access_catalog(), k)
                                              : gh_catalog_addon_index(gh_access_catalog(), k);
        if (idx < 0) {
            json_array_append_new(unknown, json_string(k));
            gh_buf_printf(&bad, "%s'%s'", bad.len ? ", " : "", k);
            continue;
        }
        if (kind == GH_KEYS_MODULES && gh_catalog_module_always_on(gh_access_catalog(), (size_t)idx)) continue;
        /* skip duplicates */
        bool dup = false;
        if (out.data) {
            size_t kl = strlen(k);
            const char *p = out.data;
            while ((p = strstr(p, k)) != NULL) {
                bool start = p == out.data || p[-1] == ' ';
                bool end = p[kl] == '\0' || p[kl] == ' ';
                if (start && end) { dup = true; break; }
                p += kl;
            }
        }
        if (dup) continue;
        if (out.len) gh_buf_puts(&out, " ");
        gh_buf_puts(&out, k);
    }
    if (json_array_size(unknown) > 0) {
        st = gh_fail_field(err, GH_E_INVALID, codes[kind], field, "unknown %s key(s): %s", nouns[kind],
                           gh_buf_ok(&bad) ? bad.data : "(many)");
        gh_err_extra(err, "unknown", unknown);
        unknown = NULL;
        goto out;
    }
    if (!gh_buf_ok(&out)) {
        st = gh_fail_field(err, GH_E_INVALID, "too_many_keys", field, "too many keys in '%s'", field);
        goto out;
    }
    gh_strlcpy(out_list, out.data ? out.data : "", cap);
out:
    json_decref(unknown);
    gh_buf_release(&out);
    gh_buf_release(&bad);
    return st;
}

gh_status gh_access_template_roles(const char *set, gh_template_role **roles, size_t *n, const char **owner,
                                   gh_err *err)
{
    int s = gh_catalog_set_index(gh_access_catalog(), set);
    *roles = NULL;
    *n = 0;
    if (s < 0)
        return gh_fail_field(err, GH_E_INVALID, "unknown_template", "template", "no template set '%s'", set);
    size_t count = gh_catalog_role_count(gh_access_catalog(), (size_t)s);
    gh_template_role *out = calloc(count ? count : 1, sizeof *out);
    if (!out) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    for (size_t r = 0; r < count; r++) {
        out[r].key = gh_catalog_role_key(gh_access_catalog(), (size_t)s, r);
        out[r].name = gh_catalog_role_name(gh_access_catalog(), (size_t)s, r);
        out[r].description = gh_catalog_role_description(gh_access_catalog(), (size_t)s, r);
        out[r].device = gh_catalog_role_device(gh_access_catalog(), (size_t)s, r);
        const gh_permset *ps = gh_catalog_role_perms(gh_access_catalog(), (size_t)s, r);
        gh_buf b;
        gh_buf_init(&b, sizeof out[r].permissions - 1);
        for (size_t p = 0; p < gh_catalog_perm_count(gh_access_catalog()); p++) {
            if (!gh_permset_test(ps, p)) continue;
            if (b.len) gh_buf_puts(&b, " ");
            gh_buf_puts(&b, gh_catalog_perm_key(gh_access_catalog(), p));
        }
        gh_strlcpy(out[r].permissions, b.data ? b.data : "", sizeof out[r].permissions);
        gh_buf_release(&b);
    }
    *roles = out;
    *n = count;
    *owner = gh_catalog_set_owner_role(gh_access_catalog(), (size_t)s);
    return GH_OK;
}

const char *gh_access_default_template(void) { return gh_catalog_default_template(gh_access_catalog()); }

static void all_keys(char *out, size_t cap, bool modules)
{
    gh_buf b;
    gh_buf_init(&b, cap - 1);
    size_t n = modules ? gh_catalog_module_count(gh_access_catalog()) : gh_catalog_addon_count(gh_access_catalog());
    for (size_t i = 0; i < n; i++) {
        if (modules && gh_catalog_module_always_on(gh_access_catalog(), i)) continue;
        if (b.len) gh_buf_puts(&b, " ");
        gh_buf_puts(&b, modules ? gh_catalog_module_key(gh_access_catalog(), i) : gh_catalog_addon_key(gh_access_catalog(), i));
    }
    gh_strlcpy(out, b.data ? b.data : "", cap);
    gh_buf_release(&b);
}

void gh_access_all_modules(char *out, size_t cap) { all_keys(out, cap, true); }
void gh_access_all_addons(char *out, size_t cap) { all_keys(out, cap, false); }
