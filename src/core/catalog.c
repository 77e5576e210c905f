/*
 * The permission catalog once loaded (see catalog.h): the key -> index hash
 * tables, the server's own permission keys, the accessors, the JSON of
 * GET /v1/catalog, and freeing. Loading and validating the document:
 * catalog_parse.c.
 *
 * Every string the catalog hands out points into the parsed JSON document,
 * which stays alive inside the catalog, so freeing is one json_decref.
 */
#include "core/catalog_int.h"
#include "util/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- key -> index hash table ------------------------------------------- */

int gh_keymap_init(struct keymap *m, size_t n)
{
    size_t cap = 8;
    while (cap < n * 2)
        cap *= 2; /* n is bounded by the JSON array size, so this cannot overflow */
    m->slots = calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    return m->slots ? 0 : -1;
}

void gh_keymap_release(struct keymap *m)
{
    free(m->slots);
    m->slots = NULL;
}

/* Index stored for key, or -1. */
int gh_keymap_find(const struct keymap *m, const char *key)
{
    if (!m->slots || !key)
        return -1;
    for (size_t i = (size_t)gh_hash_str(key) & m->mask;; i = (i + 1) & m->mask) {
        if (!m->slots[i].key)
            return -1;
        if (strcmp(m->slots[i].key, key) == 0)
            return m->slots[i].idx;
    }
}

/* Adds key -> idx; false if the key is already present. The map never fills
 * up: keymap_init sized it for every key that will be added. */
bool gh_keymap_add(struct keymap *m, const char *key, int idx)
{
    size_t i = (size_t)gh_hash_str(key) & m->mask;
    for (; m->slots[i].key; i = (i + 1) & m->mask)
        if (strcmp(m->slots[i].key, key) == 0)
            return false;
    m->slots[i].key = key;
    m->slots[i].idx = idx;
    return true;
}


/* ---- the server's own keys ------------------------------------------------ */

/* Every permission key the server itself checks: the route table's
 * permissions and the literals in src/core. The one list: the server refuses
 * to start on a catalog that lacks one (gh_catalog_missing_server_perms),
 * `gatehouse routes` checks the route table against it at start, and no
 * catalog may open one to everyone. */
const char *const gh_catalog_server_perms[] = {
    "users.view",     "users.manage",      "settings.manage",       "it.operations",
    "groups.manage",  "dashboards.manage", "dashboards.manage_any", "analytics.view",
    "tasks.assign",   "tasks.work",        NULL,
};

bool gh_catalog_is_server_perm(const char *key)
{
    for (size_t i = 0; key && gh_catalog_server_perms[i]; i++)
        if (strcmp(gh_catalog_server_perms[i], key) == 0)
            return true;
    return false;
}

/* Why a key may never be open to everyone, or NULL when it may: the server's
 * own keys and the administrative and sign-off permissions. */
const char *gh_catalog_open_forbidden(const char *key)
{
    static const char *const admin[] = {"settings.manage", "it.operations", "dashboards.manage_any",
                                        "erp.manage",      "groups.manage", "tasks.assign", NULL};
    if (gh_catalog_is_server_perm(key))
        return "the server itself checks it";
    if (strncmp(key, "users.", 6) == 0)
        return "user management is never open";
    for (size_t i = 0; admin[i]; i++)
        if (strcmp(admin[i], key) == 0)
            return "an administrative permission is never open";
    if (strncmp(key, "qc.inspections.", 15) == 0)
        return "inspection sign-off is never open";
    return NULL;
}

size_t gh_catalog_missing_server_perms(const gh_catalog *cat, char *out, size_t cap)
{
    size_t n = 0, used = 0;
    if (out && cap)
        out[0] = '\0';
    for (size_t i = 0; gh_catalog_server_perms[i]; i++) {
        if (gh_keymap_find(&cat->perm_map, gh_catalog_server_perms[i]) >= 0)
            continue;
        if (out && used < cap) {
            int w = snprintf(out + used, cap - used, "%s%s", n ? ", " : "", gh_catalog_server_perms[i]);
            if (w > 0)
                used += (size_t)w < cap - used ? (size_t)w : cap - used;
        }
        n++;
    }
    return n;
}

void gh_catalog_free(gh_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->nsets; i++) {
        free(cat->sets[i].roles);
        free(cat->sets[i].open_reasons);
        gh_keymap_release(&cat->sets[i].role_map);
    }
    free(cat->sets);
    free(cat->tabs);
    free(cat->perms);
    free(cat->addons);
    free(cat->modules);
    gh_keymap_release(&cat->perm_map);
    gh_keymap_release(&cat->module_map);
    gh_keymap_release(&cat->addon_map);
    gh_keymap_release(&cat->set_map);
    json_decref(cat->root);
    free(cat);
}

/* ---- accessors ----------------------------------------------------------- */

size_t gh_catalog_perm_count(const gh_catalog *cat) { return cat->nperms; }

int gh_catalog_perm_index(const gh_catalog *cat, const char *key)
{
    return gh_keymap_find(&cat->perm_map, key);
}

static const struct perm *perm_at(const gh_catalog *cat, size_t idx)
{
    return idx < cat->nperms ? &cat->perms[idx] : NULL;
}

const char *gh_catalog_perm_key(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p ? p->key : NULL;
}

const char *gh_catalog_perm_name(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p ? p->name : NULL;
}

const char *gh_catalog_perm_description(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p ? p->description : NULL;
}

int gh_catalog_perm_module(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p ? p->module : -1;
}

int gh_catalog_perm_addon(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p ? p->addon : -1;
}

bool gh_catalog_perm_read_only(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p && p->read_only;
}

const gh_permset *gh_catalog_all_perms(const gh_catalog *cat) { return &cat->all; }
const gh_permset *gh_catalog_read_only_perms(const gh_catalog *cat) { return &cat->read_only; }
const gh_permset *gh_catalog_no_addon_perms(const gh_catalog *cat) { return &cat->no_addon; }

const gh_permset *gh_catalog_module_perms(const gh_catalog *cat, size_t m)
{
    return m < cat->nmodules ? &cat->module_perms[m] : &cat->empty;
}

const gh_permset *gh_catalog_addon_perms(const gh_catalog *cat, size_t a)
{
    return a < cat->naddons ? &cat->addon_perms[a] : &cat->empty;
}

bool gh_catalog_perm_open(const gh_catalog *cat, size_t idx)
{
    const struct perm *p = perm_at(cat, idx);
    return p && p->open;
}

const gh_permset *gh_catalog_open_perms(const gh_catalog *cat) { return &cat->open; }

size_t gh_catalog_module_count(const gh_catalog *cat) { return cat->nmodules; }

const char *gh_catalog_module_key(const gh_catalog *cat, size_t m)
{
    return m < cat->nmodules ? cat->modules[m].key : NULL;
}

int gh_catalog_module_index(const gh_catalog *cat, const char *key)
{
    return gh_keymap_find(&cat->module_map, key);
}

bool gh_catalog_module_always_on(const gh_catalog *cat, size_t m)
{
    return m < cat->nmodules && cat->modules[m].always_on;
}

uint64_t gh_catalog_always_on_modules(const gh_catalog *cat) { return cat->always_on; }

static uint64_t mask_of(size_t n)
{
    return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

uint64_t gh_catalog_all_modules(const gh_catalog *cat) { return mask_of(cat->nmodules); }

size_t gh_catalog_addon_count(const gh_catalog *cat) { return cat->naddons; }

const char *gh_catalog_addon_key(const gh_catalog *cat, size_t a)
{
    return a < cat->naddons ? cat->addons[a].key : NULL;
}

int gh_catalog_addon_index(const gh_catalog *cat, const char *key)
{
    return gh_keymap_find(&cat->addon_map, key);
}

uint64_t gh_catalog_all_addons(const gh_catalog *cat) { return mask_of(cat->naddons); }

size_t gh_catalog_tab_count(const gh_catalog *cat) { return cat->ntabs; }

const char *gh_catalog_tab_key(const gh_catalog *cat, size_t t)
{
    return t < cat->ntabs ? cat->tabs[t].key : NULL;
}

int gh_catalog_tab_module(const gh_catalog *cat, size_t t)
{
    return t < cat->ntabs ? cat->tabs[t].module : -1;
}

const gh_permset *gh_catalog_tab_any_of(const gh_catalog *cat, size_t t)
{
    return t < cat->ntabs ? &cat->tabs[t].any_of : &cat->empty;
}

size_t gh_catalog_set_count(const gh_catalog *cat) { return cat->nsets; }

int gh_catalog_set_index(const gh_catalog *cat, const char *key)
{
    return gh_keymap_find(&cat->set_map, key);
}

static const struct tset *set_at(const gh_catalog *cat, size_t s)
{
    return s < cat->nsets ? &cat->sets[s] : NULL;
}

const char *gh_catalog_set_key(const gh_catalog *cat, size_t s)
{
    const struct tset *t = set_at(cat, s);
    return t ? t->key : NULL;
}

const char *gh_catalog_set_name(const gh_catalog *cat, size_t s)
{
    const struct tset *t = set_at(cat, s);
    return t ? t->name : NULL;
}

const char *gh_catalog_set_owner_role(const gh_catalog *cat, size_t s)
{
    const struct tset *t = set_at(cat, s);
    return t ? t->roles[t->owner].key : NULL;
}

const char *gh_catalog_default_template(const gh_catalog *cat) { return cat->default_set; }

const gh_permset *gh_catalog_set_open(const gh_catalog *cat, size_t s)
{
    const struct tset *t = set_at(cat, s);
    return t ? &t->open : &cat->open;
}

const char *gh_catalog_set_open_reason(const gh_catalog *cat, size_t s, size_t idx)
{
    const struct tset *t = set_at(cat, s);
    if (!t || idx >= cat->nperms)
        return NULL;
    if (t->open_reasons && t->open_reasons[idx])
        return t->open_reasons[idx];
    return cat->perms[idx].open ? "open to everyone in the catalog" : NULL;
}

size_t gh_catalog_role_count(const gh_catalog *cat, size_t s)
{
    const struct tset *t = set_at(cat, s);
    return t ? t->nroles : 0;
}

int gh_catalog_role_index(const gh_catalog *cat, size_t s, const char *key)
{
    const struct tset *t = set_at(cat, s);
    return t ? gh_keymap_find(&t->role_map, key) : -1;
}

static const struct role *role_at(const gh_catalog *cat, size_t s, size_t r)
{
    const struct tset *t = set_at(cat, s);
    return t && r < t->nroles ? &t->roles[r] : NULL;
}

const char *gh_catalog_role_key(const gh_catalog *cat, size_t s, size_t r)
{
    const struct role *x = role_at(cat, s, r);
    return x ? x->key : NULL;
}

const char *gh_catalog_role_name(const gh_catalog *cat, size_t s, size_t r)
{
    const struct role *x = role_at(cat, s, r);
    return x ? x->name : NULL;
}

const char *gh_catalog_role_description(const gh_catalog *cat, size_t s, size_t r)
{
    const struct role *x = role_at(cat, s, r);
    return x ? x->description : NULL;
}

bool gh_catalog_role_device(const gh_catalog *cat, size_t s, size_t r)
{
    const struct role *x = role_at(cat, s, r);
    return x && x->device;
}

const gh_permset *gh_catalog_role_perms(const gh_catalog *cat, size_t s, size_t r)
{
    const struct role *x = role_at(cat, s, r);
    return x ? &x->perms : &cat->empty;
}

/* ---- JSON for GET /v1/catalog ------------------------------------------- */

/* Array of the keys of the permissions in set, in catalog order. */
static json_t *perm_keys_json(const gh_catalog *cat, const gh_permset *set)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < cat->nperms; i++)
        if (gh_permset_test(set, i) && json_array_append_new(arr, json_string(cat->perms[i].key))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

/* Appends the result of a json_pack (NULL on failure) to arr; -1 on failure. */
static int append(json_t *arr, json_t *item)
{
    return item ? json_array_append_new(arr, item) : -1;
}

json_t *gh_catalog_to_json(const gh_catalog *cat)
{
    json_t *doc = NULL, *modules = NULL, *addons = NULL, *perms = NULL, *sets = NULL;
    json_t *result = NULL;

    modules = json_array();
    addons = json_array();
    perms = json_array();
    sets = json_array();
    if (!modules || !addons || !perms || !sets)
        goto out;
    for (size_t m = 0; m < cat->nmodules; m++) {
        json_t *tabs = json_array();
        if (!tabs)
            goto out;
        for (size_t t = 0; t < cat->ntabs; t++) {
            const struct tab *tb = &cat->tabs[t];
            if (tb->module != (int)m)
                continue;
            if (append(tabs, json_pack("{s:s, s:s, s:s*, s:o}", "key", tb->key, "name", tb->name,
                                       "description", tb->description, "any_of",
                                       perm_keys_json(cat, &tb->any_of)))) {
                json_decref(tabs);
                goto out;
            }
        }
        const struct module *md = &cat->modules[m];
        if (append(modules, json_pack("{s:s, s:s, s:s*, s:b, s:o}", "key", md->key, "name",
                                      md->name, "description", md->description, "always_on",
                                      md->always_on, "tabs", tabs)))
            goto out;
    }
    for (size_t a = 0; a < cat->naddons; a++)
        if (append(addons, json_pack("{s:s, s:s, s:s*}", "key", cat->addons[a].key, "name",
                                     cat->addons[a].name, "description",
                                     cat->addons[a].description)))
            goto out;
    for (size_t i = 0; i < cat->nperms; i++) {
        const struct perm *p = &cat->perms[i];
        if (append(perms, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s*, s:b, s:b}", "key", p->key,
                                    "module", cat->modules[p->module].key, "addon",
                                    p->addon >= 0 ? cat->addons[p->addon].key : NULL, "name",
                                    p->name, "description", p->description, "source", p->source,
                                    "read_only", p->read_only, "open", p->open)))
            goto out;
    }
    for (size_t s = 0; s < cat->nsets; s++) {
        const struct tset *ts = &cat->sets[s];
        json_t *roles = json_array();
        if (!roles)
            goto out;
        for (size_t r = 0; r < ts->nroles; r++) {
            const struct role *ro = &ts->roles[r];
            if (append(roles, json_pack("{s:s, s:s, s:s, s:b, s:o}", "key", ro->key, "name",
                                        ro->name, "description", ro->description, "device",
                                        ro->device, "permissions",
                                        perm_keys_json(cat, &ro->perms)))) {
                json_decref(roles);
                goto out;
            }
        }
        json_t *open = json_array();
        for (size_t i = 0; open && ts->open_reasons && i < cat->nperms; i++)
            if (ts->open_reasons[i] &&
                append(open, json_pack("{s:s, s:s}", "key", cat->perms[i].key, "reason",
                                       ts->open_reasons[i]))) {
                json_decref(open);
                open = NULL;
            }
        if (!open) {
            json_decref(roles);
            goto out;
        }
        if (append(sets, json_pack("{s:s, s:s, s:s*, s:s*, s:s, s:o, s:o}", "key", ts->key, "name",
                                   ts->name, "description", ts->description, "source", ts->source,
                                   "owner_role", ts->roles[ts->owner].key, "roles", roles, "open",
                                   open)))
            goto out;
    }
    doc = json_pack("{s:i, s:s, s:O, s:O, s:O, s:O}", "version", cat->version,
                    "default_template_set", cat->default_set, "modules", modules, "addons", addons,
                    "permissions", perms, "template_sets", sets);
    result = doc;
out:
    json_decref(modules);
    json_decref(addons);
    json_decref(perms);
    json_decref(sets);
    return result;
}
