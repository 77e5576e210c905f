/*
 * The compiled authorization snapshot (see authz.h): the rule, building a
 * flat snapshot, and freeing. Incremental steps: authz_apply.c; the
 * questions asked of a snapshot: authz_query.c; the structs: authz_int.h.
 *
 * Layout: the hot data is one flat array of bits, `words` 64-bit words per
 * user, holding the user's effective permissions at bits 0..nperm-1 (keys
 * the catalog does not list, perm index -1, are denied to everyone). A
 * check is therefore a bounds test, one multiply-add and
 * one bit test, and for catalogs of up to 63 permissions a user takes 8
 * bytes, so 100,000 users fit in 800 KB of cache.
 *
 * The cold data (org masks, role, grants, user modules, ids) is kept to
 * answer "why" (gh_authz_reason_of, explain) and to look users up by id
 * through an open-addressing hash table keyed by (org id, user id).
 */
#include "core/authz_int.h"
#include "util/hash.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>


struct strblock *gh_az_strblock_new(size_t n, struct strblock *next)
{
    struct strblock *b = malloc(sizeof *b + (n ? n : 1));
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->next = next;
    if (next)
        atomic_fetch_add(&next->refs, 1);
    return b;
}

void gh_az_strblock_release(struct strblock *b)
{
    while (b && atomic_fetch_sub(&b->refs, 1) == 1) {
        struct strblock *next = b->next;
        free(b);
        b = next;
    }
}

static const char *const reason_names[] = {
    [GH_AUTHZ_GRANTED_BY_ROLE] = "granted_by_role",
    [GH_AUTHZ_GRANTED_BY_GRANT] = "granted_by_grant",
    [GH_AUTHZ_OPEN] = "open",
    [GH_AUTHZ_UNKNOWN_PERMISSION] = "unknown_permission",
    [GH_AUTHZ_NOT_GRANTED] = "not_granted",
    [GH_AUTHZ_MODULE_DISABLED_FOR_ORG] = "module_disabled_for_org",
    [GH_AUTHZ_MODULE_DISABLED_FOR_USER] = "module_disabled_for_user",
    [GH_AUTHZ_ADDON_MISSING] = "addon_missing",
    [GH_AUTHZ_DEVICE_READ_ONLY] = "device_read_only",
    [GH_AUTHZ_USER_INACTIVE] = "user_inactive",
    [GH_AUTHZ_UNKNOWN_USER] = "unknown_user",
};

const char *gh_authz_reason_str(gh_authz_reason reason)
{
    size_t i = (size_t)reason;
    return i < sizeof reason_names / sizeof reason_names[0] ? reason_names[i] : "unknown";
}

/* ---- the rule -------------------------------------------------------------- */

uint64_t gh_authz_effective_modules(const gh_catalog *cat, uint64_t org_modules,
                                    uint64_t user_modules)
{
    return (org_modules & user_modules & gh_catalog_all_modules(cat)) |
           gh_catalog_always_on_modules(cat);
}

/* Permissions usable with these modules and add-ons, whoever holds them. */
static void gate_of(const gh_catalog *cat, uint64_t modules, uint64_t addons, gh_permset *gate)
{
    gh_permset with_addons = *gh_catalog_no_addon_perms(cat);
    gh_permset_clear(gate);
    for (size_t m = 0; m < gh_catalog_module_count(cat); m++)
        if (modules >> m & 1u)
            gh_permset_or(gate, gh_catalog_module_perms(cat, m));
    for (size_t a = 0; a < gh_catalog_addon_count(cat); a++)
        if (addons >> a & 1u)
            gh_permset_or(&with_addons, gh_catalog_addon_perms(cat, a));
    gh_permset_and(gate, &with_addons);
}

void gh_authz_effective_set(const gh_catalog *cat, uint64_t org_modules, uint64_t org_addons,
                            const gh_permset *org_open, const gh_permset *role_perms,
                            bool role_device, uint64_t user_modules, const gh_permset *grants,
                            gh_permset *out)
{
    gh_permset gate;
    gate_of(cat, gh_authz_effective_modules(cat, org_modules, user_modules), org_addons, &gate);
    gh_permset_clear(out);
    if (org_open)
        gh_permset_or(out, org_open);
    if (role_perms)
        gh_permset_or(out, role_perms);
    if (grants)
        gh_permset_or(out, grants);
    gh_permset_and(out, &gate);
    if (role_device)
        gh_permset_and(out, gh_catalog_read_only_perms(cat));
}

bool gh_authz_effective_would_hold(const gh_catalog *cat, uint64_t org_modules,
                                   uint64_t org_addons, const gh_permset *org_open,
                                   const gh_permset *role_perms, bool role_device,
                                   uint64_t user_modules, const gh_permset *grants, int perm_idx)
{
    gh_permset eff;
    if (perm_idx < 0 || (size_t)perm_idx >= gh_catalog_perm_count(cat))
        return false;
    gh_authz_effective_set(cat, org_modules, org_addons, org_open, role_perms, role_device,
                           user_modules, grants, &eff);
    return gh_permset_test(&eff, (size_t)perm_idx);
}

/* ---- (org id, key) hash tables ---------------------------------------------- */

uint32_t gh_az_hash_pair(const char *a, const char *b)
{
    uint64_t h = gh_hash_pair(a, b);
    return (uint32_t)(h ^ (h >> 32));
}

void gh_az_keys_of(const gh_authz *az, enum kind k, size_t i, const char **a, const char **b)
{
    switch (k) {
    case K_ORG:
        *a = az->orgs[i].org_id;
        *b = "";
        break;
    case K_ROLE:
        *a = az->orgs[az->roles[i].org].org_id;
        *b = az->roles[i].key;
        break;
    case K_USER:
        *a = az->orgs[az->users[i].org].org_id;
        *b = az->users[i].user_id;
        break;
    default: /* no other kind exists; said for the optimizer, now that the
              * callers are in other files */
        *a = *b = "";
        break;
    }
}

/* Sizes an empty table for n entries (load factor <= 1/2); -1 on out of
 * memory. */
int gh_az_map_init(struct map *m, size_t n)
{
    size_t cap = 32;
    while (cap / 2 < n) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    m->slots = calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    return m->slots ? 0 : -1;
}

/* Index of the entry with keys (a, b), or -1. */
int gh_az_map_find(const gh_authz *az, const struct map *m, enum kind k, const char *a,
                    const char *b)
{
    uint32_t h = gh_az_hash_pair(a, b);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const struct slot *s = &m->slots[i];
        const char *ka, *kb;
        if (s->idx1 == 0)
            return -1;
        if (s->hash != h)
            continue;
        gh_az_keys_of(az, k, s->idx1 - 1, &ka, &kb);
        if (strcmp(ka, a) == 0 && strcmp(kb, b) == 0)
            return (int)(s->idx1 - 1);
    }
}

/* Adds entry idx; false if its keys are already present. */
bool gh_az_map_add(const gh_authz *az, struct map *m, enum kind k, size_t idx)
{
    const char *a, *b;
    gh_az_keys_of(az, k, idx, &a, &b);
    if (gh_az_map_find(az, m, k, a, b) >= 0)
        return false;
    uint32_t h = gh_az_hash_pair(a, b);
    size_t i = h & m->mask;
    while (m->slots[i].idx1)
        i = (i + 1) & m->mask;
    m->slots[i].hash = h;
    m->slots[i].idx1 = (uint32_t)idx + 1;
    return true;
}

/* ---- building -------------------------------------------------------------- */

/* Copies s into the string area at *pos. */
const char *gh_az_put_str(char *area, size_t *pos, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = area + *pos;
    memcpy(d, s, n);
    *pos += n;
    return d;
}

bool gh_az_add_len(size_t *total, const char *s)
{
    size_t n = strlen(s);
    return n < SIZE_MAX - *total - 1 && (*total += n + 1, true);
}

/* Total bytes of every id and key, or false if one is NULL or sizes overflow. */
static bool strings_size(const gh_authz_org_in *orgs, size_t norgs, const gh_authz_role_in *roles,
                         size_t nroles, const gh_authz_user_in *users, size_t nusers, size_t *total)
{
    *total = 1;
    for (size_t i = 0; i < norgs; i++)
        if (!orgs[i].org_id || !gh_az_add_len(total, orgs[i].org_id))
            return false;
    for (size_t i = 0; i < nroles; i++)
        if (!roles[i].org_id || !roles[i].key || !gh_az_add_len(total, roles[i].key))
            return false;
    for (size_t i = 0; i < nusers; i++)
        if (!users[i].org_id || !users[i].user_id || !gh_az_add_len(total, users[i].user_id))
            return false;
    return true;
}

void *gh_az_alloc_array(size_t n, size_t size)
{
    return calloc(n ? n : 1, size); /* calloc checks n * size for overflow */
}

int gh_authz_build(const gh_catalog *cat, const gh_authz_org_in *orgs, size_t norgs,
                   const gh_authz_role_in *roles, size_t nroles, const gh_authz_user_in *users,
                   size_t nusers, gh_authz **out)
{
    gh_authz *az = NULL;
    struct map org_map = {0}, role_map = {0};
    size_t strbytes, pos = 0;
    int rc = GH_AUTHZ_ENOMEM;

    *out = NULL;
    if (!cat || (norgs && !orgs) || (nroles && !roles) || (nusers && !users)) {
        rc = GH_AUTHZ_EINVAL;
        goto out;
    }
    if (norgs > INT_MAX || nroles > INT_MAX || nusers > INT_MAX)
        goto out;
    if (!strings_size(orgs, norgs, roles, nroles, users, nusers, &strbytes)) {
        rc = GH_AUTHZ_EINVAL;
        goto out;
    }
    az = calloc(1, sizeof *az);
    if (!az)
        goto out;
    atomic_init(&az->refs, 1);
    az->cat = cat;
    az->nperm = gh_catalog_perm_count(cat);
    az->words = (az->nperm + 63) / 64 ? (az->nperm + 63) / 64 : 1;
    az->strings = gh_az_strblock_new(strbytes, NULL);
    az->orgs = gh_az_alloc_array(norgs, sizeof *az->orgs);
    az->roles = gh_az_alloc_array(nroles, sizeof *az->roles);
    az->users = gh_az_alloc_array(nusers, sizeof *az->users);
    az->bits = gh_az_alloc_array(nusers, az->words * sizeof *az->bits);
    az->cap_users = nusers;
    if (!az->strings || !az->orgs || !az->roles || !az->users || !az->bits ||
        gh_az_map_init(&org_map, norgs) || gh_az_map_init(&role_map, nroles) ||
        gh_az_map_init(&az->user_map, nusers))
        goto out;

    rc = GH_AUTHZ_EINVAL; /* from here on, every failure is bad input */
    uint64_t all_modules = gh_catalog_all_modules(cat), all_addons = gh_catalog_all_addons(cat);
    for (size_t i = 0; i < norgs; i++) {
        struct az_org *o = &az->orgs[i];
        o->org_id = gh_az_put_str(az->strings->data, &pos, orgs[i].org_id);
        o->modules = (orgs[i].modules & all_modules) | gh_catalog_always_on_modules(cat);
        o->addons = orgs[i].addons & all_addons;
        if (gh_permset_has_beyond(&orgs[i].open, az->nperm))
            goto out;
        o->open = orgs[i].open;
        az->norgs++;
        if (!gh_az_map_add(az, &org_map, K_ORG, i))
            goto out;
    }
    for (size_t i = 0; i < nroles; i++) {
        struct az_role *r = &az->roles[i];
        int org = gh_az_map_find(az, &org_map, K_ORG, roles[i].org_id, "");
        if (org < 0 || gh_permset_has_beyond(&roles[i].perms, az->nperm))
            goto out;
        r->key = gh_az_put_str(az->strings->data, &pos, roles[i].key);
        r->org = (uint32_t)org;
        r->device = roles[i].device;
        r->perms = roles[i].perms;
        az->nroles++;
        if (!gh_az_map_add(az, &role_map, K_ROLE, i))
            goto out;
    }
    for (size_t i = 0; i < nusers; i++) {
        const gh_authz_user_in *in = &users[i];
        struct az_user *u = &az->users[i];
        int org = gh_az_map_find(az, &org_map, K_ORG, in->org_id, "");
        int role = org < 0 || !in->role_key ? -1
                                            : gh_az_map_find(az, &role_map, K_ROLE, in->org_id,
                                                       in->role_key);
        if (org < 0 || (in->role_key && role < 0) || gh_permset_has_beyond(&in->grants, az->nperm))
            goto out;
        u->user_id = gh_az_put_str(az->strings->data, &pos, in->user_id);
        u->org = (uint32_t)org;
        u->role = role;
        u->modules = in->modules & all_modules;
        u->grants = in->grants;
        u->active = in->active;
        az->nusers++;
        if (!gh_az_map_add(az, &az->user_map, K_USER, i))
            goto out;
        if (!u->active)
            continue; /* an inactive user's row stays all zero */
        const struct az_org *o = &az->orgs[org];
        const struct az_role *r = role >= 0 ? &az->roles[role] : NULL;
        gh_permset eff;
        gh_authz_effective_set(cat, o->modules, o->addons, &o->open, r ? &r->perms : NULL,
                               r && r->device, u->modules, &u->grants, &eff);
        uint64_t *row = az->bits + i * az->words;
        for (size_t w = 0; w < az->words && w < GH_PERMSET_WORDS; w++)
            row[w] = eff.w[w]; /* bits past nperm are 0 */
    }
    *out = az;
    az = NULL;
    rc = GH_AUTHZ_OK;
out:
    free(org_map.slots);
    free(role_map.slots);
    gh_authz_free(az);
    return rc;
}


bool gh_authz_worn(const gh_authz *az)
{
    const gh_authz *flat = az && az->base ? az->base : az;
    return flat && (flat->depth >= 4096 || flat->ngone > 64 + flat->nusers / 8);
}

size_t gh_authz_memory(const gh_authz *az)
{
    if (!az)
        return 0;
    size_t n = gh_authz_memory(az->base) + sizeof *az + az->cap_users * (sizeof *az->users + az->words * sizeof *az->bits) +
               az->norgs * sizeof *az->orgs + az->nroles * sizeof *az->roles +
               (az->user_map.mask + 1) * sizeof *az->user_map.slots;
    for (const struct strblock *b = az->strings; b; b = b->next)
        n += sizeof *b; /* block headers; the text is counted below */
    for (size_t i = 0; i < az->norgs; i++)
        n += strlen(az->orgs[i].org_id) + 1;
    for (size_t i = 0; i < az->nroles; i++)
        n += strlen(az->roles[i].key) + 1;
    for (size_t i = 0; i < az->nusers; i++)
        n += strlen(az->users[i].user_id) + 1;
    return n;
}

void gh_authz_free(gh_authz *az)
{
    if (!az || atomic_fetch_sub(&az->refs, 1) != 1)
        return;
    gh_authz_free(az->base);
    free(az->bits);
    free(az->orgs);
    free(az->roles);
    free(az->users);
    free(az->user_map.slots);
    gh_az_strblock_release(az->strings);
    free(az);
}
