/*
 * The questions asked of an authorization snapshot: may this user do this,
 * why (or why not), the user's facts, the tabs it sees, and the JSON of
 * /v1/me and explain. Reads only; the snapshot never changes under them.
 */
#include "core/authz_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- lookups ----------------------------------------------------------------- */

const gh_catalog *gh_authz_catalog(const gh_authz *az) { return az->cat; }

size_t gh_authz_user_count(const gh_authz *az) { return az->base_n + az->nusers; }

int gh_authz_user_index(const gh_authz *az, const char *org_id, const char *user_id)
{
    if (!az || !org_id || !user_id)
        return -1;
    int i = gh_az_map_find(az, &az->user_map, K_USER, org_id, user_id);
    if (i >= 0)
        return az->users[i].gone ? -1 : (int)(az->base_n + (size_t)i);
    if (!az->base)
        return -1;
    i = gh_az_map_find(az->base, &az->base->user_map, K_USER, org_id, user_id);
    return i >= 0 && az->base->users[i].gone ? -1 : i;
}

bool gh_authz_allowed(const gh_authz *az, int user_idx, int perm_idx)
{
    size_t bit;
    if (!az || user_idx < 0 || (size_t)user_idx >= az->base_n + az->nusers)
        return false;
    if (perm_idx >= 0 && (size_t)perm_idx < az->nperm)
        bit = (size_t)perm_idx;
    else
        return false; /* fail closed: a key the catalog does not list */
    size_t i = (size_t)user_idx;
    const uint64_t *row = i < az->base_n ? az->base->bits + i * az->words
                                         : az->bits + (i - az->base_n) * az->words;
    return (row[bit / 64] >> (bit % 64)) & 1u;
}

static const struct az_user *user_at(const gh_authz *az, int user_idx)
{
    if (!az || user_idx < 0 || (size_t)user_idx >= az->base_n + az->nusers)
        return NULL;
    size_t i = (size_t)user_idx;
    const struct az_user *u = i < az->base_n ? &az->base->users[i] : &az->users[i - az->base_n];
    return u->gone ? NULL : u;
}

gh_authz_reason gh_authz_reason_of(const gh_authz *az, int user_idx, int perm_idx)
{
    const struct az_user *u = user_at(az, user_idx);
    if (!u)
        return GH_AUTHZ_UNKNOWN_USER;
    if (!u->active)
        return GH_AUTHZ_USER_INACTIVE;
    const gh_catalog *cat = az->cat;
    const struct az_org *o = &az->orgs[u->org];
    const struct az_role *r = u->role >= 0 ? &az->roles[u->role] : NULL;
    if (perm_idx < 0 || (size_t)perm_idx >= az->nperm)
        return GH_AUTHZ_UNKNOWN_PERMISSION;
    size_t p = (size_t)perm_idx;
    int m = gh_catalog_perm_module(cat, p), a = gh_catalog_perm_addon(cat, p);
    uint64_t always = gh_catalog_always_on_modules(cat);
    bool via_role = r && gh_permset_test(&r->perms, p);
    bool via_grant = gh_permset_test(&u->grants, p);
    bool via_open = gh_permset_test(&o->open, p);
    if (!((o->modules | always) >> m & 1u))
        return GH_AUTHZ_MODULE_DISABLED_FOR_ORG;
    if (!((u->modules | always) >> m & 1u))
        return GH_AUTHZ_MODULE_DISABLED_FOR_USER;
    if (a >= 0 && !(o->addons >> a & 1u))
        return GH_AUTHZ_ADDON_MISSING;
    if (!via_role && !via_grant && !via_open)
        return GH_AUTHZ_NOT_GRANTED;
    if (r && r->device && !gh_catalog_perm_read_only(cat, p))
        return GH_AUTHZ_DEVICE_READ_ONLY;
    return via_role    ? GH_AUTHZ_GRANTED_BY_ROLE
           : via_grant ? GH_AUTHZ_GRANTED_BY_GRANT
                       : GH_AUTHZ_OPEN;
}

bool gh_authz_check(const gh_authz *az, const char *org_id, const char *user_id,
                    const char *perm_key, gh_authz_reason *reason)
{
    int u = gh_authz_user_index(az, org_id, user_id);
    if (u < 0) {
        if (reason)
            *reason = GH_AUTHZ_UNKNOWN_USER;
        return false;
    }
    int p = perm_key ? gh_catalog_perm_index(az->cat, perm_key) : -2; /* NULL key: deny */
    bool ok = gh_authz_allowed(az, u, p);
    if (reason)
        *reason = gh_authz_reason_of(az, u, p);
    return ok;
}

/* ---- per-user facts ------------------------------------------------------------ */

bool gh_authz_user_active(const gh_authz *az, int user_idx)
{
    const struct az_user *u = user_at(az, user_idx);
    return u && u->active;
}

bool gh_authz_user_device(const gh_authz *az, int user_idx)
{
    const struct az_user *u = user_at(az, user_idx);
    return u && u->role >= 0 && az->roles[u->role].device;
}

const char *gh_authz_user_role(const gh_authz *az, int user_idx)
{
    const struct az_user *u = user_at(az, user_idx);
    return u && u->role >= 0 ? az->roles[u->role].key : NULL;
}

uint64_t gh_authz_user_modules(const gh_authz *az, int user_idx)
{
    const struct az_user *u = user_at(az, user_idx);
    if (!u || !u->active)
        return 0;
    return gh_authz_effective_modules(az->cat, az->orgs[u->org].modules, u->modules);
}

void gh_authz_user_perms(const gh_authz *az, int user_idx, gh_permset *out)
{
    gh_permset_clear(out);
    if (!user_at(az, user_idx))
        return;
    size_t i = (size_t)user_idx;
    const uint64_t *row = i < az->base_n ? az->base->bits + i * az->words
                                         : az->bits + (i - az->base_n) * az->words;
    for (size_t w = 0; w < az->words && w < GH_PERMSET_WORDS; w++)
        out->w[w] = row[w];
}

/* Whether user_idx sees tab t; if not, *why says why. */
static bool tab_check(const gh_authz *az, int user_idx, size_t t, gh_authz_reason *why)
{
    const struct az_user *u = user_at(az, user_idx);
    int m = u ? gh_catalog_tab_module(az->cat, t) : -1;
    uint64_t always = u ? gh_catalog_always_on_modules(az->cat) : 0;
    *why = GH_AUTHZ_NOT_GRANTED;
    if (!u)
        *why = GH_AUTHZ_UNKNOWN_USER;
    else if (!u->active)
        *why = GH_AUTHZ_USER_INACTIVE;
    else if (m < 0)
        *why = GH_AUTHZ_NOT_GRANTED; /* no such tab */
    else if (!((az->orgs[u->org].modules | always) >> m & 1u))
        *why = GH_AUTHZ_MODULE_DISABLED_FOR_ORG;
    else if (!((u->modules | always) >> m & 1u))
        *why = GH_AUTHZ_MODULE_DISABLED_FOR_USER;
    else {
        const gh_permset *any_of = gh_catalog_tab_any_of(az->cat, t);
        gh_permset held;
        gh_authz_user_perms(az, user_idx, &held);
        gh_permset_and(&held, any_of);
        return gh_permset_is_empty(any_of) || !gh_permset_is_empty(&held);
    }
    return false;
}

bool gh_authz_tab_visible(const gh_authz *az, int user_idx, size_t tab_idx)
{
    gh_authz_reason why;
    return tab_check(az, user_idx, tab_idx, &why);
}

/* ---- JSON ------------------------------------------------------------------------ */

static int append(json_t *arr, json_t *item)
{
    return item ? json_array_append_new(arr, item) : -1;
}

json_t *gh_authz_perms_json(const gh_authz *az, int user_idx)
{
    gh_permset held;
    json_t *arr = NULL;
    if (!user_at(az, user_idx) || !(arr = json_array()))
        return NULL;
    gh_authz_user_perms(az, user_idx, &held);
    for (size_t p = 0; p < az->nperm; p++)
        if (gh_permset_test(&held, p) &&
            append(arr, json_string(gh_catalog_perm_key(az->cat, p)))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

json_t *gh_authz_tabs_json(const gh_authz *az, int user_idx)
{
    const gh_catalog *cat = az ? az->cat : NULL;
    json_t *arr = NULL;
    if (!user_at(az, user_idx) || !(arr = json_array()))
        return NULL;
    for (size_t t = 0; t < gh_catalog_tab_count(cat); t++) {
        if (!gh_authz_tab_visible(az, user_idx, t))
            continue;
        const char *module = gh_catalog_module_key(cat, (size_t)gh_catalog_tab_module(cat, t));
        if (append(arr, json_pack("{s:s, s:s}", "module", module, "key",
                                  gh_catalog_tab_key(cat, t)))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *gh_authz_modules_json(const gh_authz *az, int user_idx)
{
    json_t *arr = NULL;
    if (!user_at(az, user_idx) || !(arr = json_array()))
        return NULL;
    uint64_t mods = gh_authz_user_modules(az, user_idx);
    for (size_t m = 0; m < gh_catalog_module_count(az->cat); m++)
        if ((mods >> m & 1u) && append(arr, json_string(gh_catalog_module_key(az->cat, m)))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

json_t *gh_authz_effective_json(const gh_authz *az, int user_idx)
{
    /* "o" steals each reference even when json_pack fails (jansson >= 2.11). */
    return json_pack("{s:o, s:o, s:o}", "permissions", gh_authz_perms_json(az, user_idx), "tabs",
                     gh_authz_tabs_json(az, user_idx), "modules",
                     gh_authz_modules_json(az, user_idx));
}

json_t *gh_authz_explain(const gh_authz *az, const gh_catalog *cat, int user_idx)
{
    const struct az_user *u = user_at(az, user_idx);
    json_t *perms = NULL, *tabs = NULL, *result = NULL;
    if (!u || cat != az->cat)
        goto out;
    const struct az_org *o = &az->orgs[u->org];
    const struct az_role *r = u->role >= 0 ? &az->roles[u->role] : NULL;
    uint64_t always = gh_catalog_always_on_modules(cat);
    perms = json_array();
    tabs = json_array();
    if (!perms || !tabs)
        goto out;
    for (size_t p = 0; p < az->nperm; p++) {
        int m = gh_catalog_perm_module(cat, p), a = gh_catalog_perm_addon(cat, p);
        gh_authz_reason why = gh_authz_reason_of(az, user_idx, (int)p);
        if (append(perms,
                   json_pack("{s:s, s:b, s:s, s:b, s:b, s:b, s:s, s:b, s:b, s:s?, s:b}", "key",
                             gh_catalog_perm_key(cat, p), "allowed",
                             gh_authz_allowed(az, user_idx, (int)p), "reason",
                             gh_authz_reason_str(why), "via_role",
                             r && gh_permset_test(&r->perms, p), "via_grant",
                             gh_permset_test(&u->grants, p), "via_open",
                             gh_permset_test(&o->open, p), "module",
                             gh_catalog_module_key(cat, (size_t)m), "module_enabled_org",
                             (int)((o->modules | always) >> m & 1u), "module_enabled_user",
                             (int)((u->modules | always) >> m & 1u), "addon",
                             a >= 0 ? gh_catalog_addon_key(cat, (size_t)a) : NULL,
                             "addon_present", (int)(a < 0 || (o->addons >> a & 1u)))))
            goto out;
    }
    for (size_t t = 0; t < gh_catalog_tab_count(cat); t++) {
        gh_authz_reason why;
        bool visible = tab_check(az, user_idx, t, &why);
        const char *module = gh_catalog_module_key(cat, (size_t)gh_catalog_tab_module(cat, t));
        if (append(tabs, json_pack("{s:s, s:s, s:b, s:s}", "module", module, "key",
                                   gh_catalog_tab_key(cat, t), "visible", visible, "reason",
                                   visible ? "visible" : gh_authz_reason_str(why))))
            goto out;
    }
    result = json_pack("{s:s, s:s, s:s?, s:b, s:b, s:o, s:O, s:O}", "org_id", o->org_id,
                       "user_id", u->user_id, "role", r ? r->key : NULL, "active", u->active,
                       "device", r && r->device, "modules", gh_authz_modules_json(az, user_idx),
                       "permissions", perms, "tabs", tabs);
out:
    json_decref(perms);
    json_decref(tabs);
    return result;
}
