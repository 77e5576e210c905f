/*
 * The compiled authorization snapshot (see authz.h).
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
 *
 * Over 600 lines: one compiled data structure and its lookups.
 */
#include "core/authz.h"
#include "util/hash.h"

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct az_org {
    const char *org_id;
    uint64_t modules, addons; /* masked to the catalog, always-on added */
    gh_permset open;          /* open to everyone of the org */
};

struct az_role {
    const char *key;
    uint32_t org;
    bool device;
    gh_permset perms;
};

struct az_user {
    const char *user_id;
    uint32_t org;
    int32_t role;     /* -1: none */
    uint64_t modules; /* the user's own mask, masked to the catalog */
    gh_permset grants;
    bool active;
    bool gone; /* deleted by gh_authz_apply: never found, allows nothing */
};

/* One hash table slot: idx + 1 (0 = empty) and the key's hash. */
struct slot {
    uint32_t hash;
    uint32_t idx1;
};

struct map {
    struct slot *slots;
    size_t mask;
};

struct gh_authz {
    const gh_catalog *cat;
    size_t nperm, words; /* words per user row in bits */
    size_t norgs, nroles, nusers;
    uint64_t *bits; /* nusers * words */
    struct az_org *orgs;
    struct az_role *roles;
    struct az_user *users;
    struct map user_map;
    struct strblock *strings; /* every id and key above points in here */
    size_t cap_users;         /* allocated rows of users and bits */
    size_t ngone;             /* users deleted by gh_authz_apply */
    size_t depth;             /* gh_authz_apply steps since gh_authz_build */
    /* An overlay snapshot (from gh_authz_apply) shares a flat one, `base`,
     * and holds only the users changed since: user index i < base_n is
     * base's row i (unless overridden: then the id finds the overlay row),
     * i >= base_n is own row i - base_n. A flat snapshot has base NULL and
     * base_n 0. users, bits and user_map above are the own rows. */
    struct gh_authz *base;
    size_t base_n;
    atomic_uint refs; /* the holder's, plus one per overlay sharing this */
};

/* The ids and keys, shared between a snapshot and those gh_authz_apply
 * derives from it: each derived snapshot adds one block for its new
 * strings in front of its base's chain and takes a reference to it. */
struct strblock {
    atomic_uint refs;
    struct strblock *next;
    char data[];
};

static struct strblock *strblock_new(size_t n, struct strblock *next)
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

static void strblock_release(struct strblock *b)
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

enum kind { K_ORG, K_ROLE, K_USER };

static uint32_t hash_pair(const char *a, const char *b)
{
    uint64_t h = gh_hash_pair(a, b);
    return (uint32_t)(h ^ (h >> 32));
}

static void keys_of(const gh_authz *az, enum kind k, size_t i, const char **a, const char **b)
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
    }
}

/* Sizes an empty table for n entries (load factor <= 1/2); -1 on out of
 * memory. */
static int map_init(struct map *m, size_t n)
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
static int map_find(const gh_authz *az, const struct map *m, enum kind k, const char *a,
                    const char *b)
{
    uint32_t h = hash_pair(a, b);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const struct slot *s = &m->slots[i];
        const char *ka, *kb;
        if (s->idx1 == 0)
            return -1;
        if (s->hash != h)
            continue;
        keys_of(az, k, s->idx1 - 1, &ka, &kb);
        if (strcmp(ka, a) == 0 && strcmp(kb, b) == 0)
            return (int)(s->idx1 - 1);
    }
}

/* Adds entry idx; false if its keys are already present. */
static bool map_add(const gh_authz *az, struct map *m, enum kind k, size_t idx)
{
    const char *a, *b;
    keys_of(az, k, idx, &a, &b);
    if (map_find(az, m, k, a, b) >= 0)
        return false;
    uint32_t h = hash_pair(a, b);
    size_t i = h & m->mask;
    while (m->slots[i].idx1)
        i = (i + 1) & m->mask;
    m->slots[i].hash = h;
    m->slots[i].idx1 = (uint32_t)idx + 1;
    return true;
}

/* ---- building -------------------------------------------------------------- */

/* Copies s into the string area at *pos. */
static const char *put_str(char *area, size_t *pos, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = area + *pos;
    memcpy(d, s, n);
    *pos += n;
    return d;
}

static bool add_len(size_t *total, const char *s)
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
        if (!orgs[i].org_id || !add_len(total, orgs[i].org_id))
            return false;
    for (size_t i = 0; i < nroles; i++)
        if (!roles[i].org_id || !roles[i].key || !add_len(total, roles[i].key))
            return false;
    for (size_t i = 0; i < nusers; i++)
        if (!users[i].org_id || !users[i].user_id || !add_len(total, users[i].user_id))
            return false;
    return true;
}

static void *alloc_array(size_t n, size_t size)
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
    az->strings = strblock_new(strbytes, NULL);
    az->orgs = alloc_array(norgs, sizeof *az->orgs);
    az->roles = alloc_array(nroles, sizeof *az->roles);
    az->users = alloc_array(nusers, sizeof *az->users);
    az->bits = alloc_array(nusers, az->words * sizeof *az->bits);
    az->cap_users = nusers;
    if (!az->strings || !az->orgs || !az->roles || !az->users || !az->bits ||
        map_init(&org_map, norgs) || map_init(&role_map, nroles) ||
        map_init(&az->user_map, nusers))
        goto out;

    rc = GH_AUTHZ_EINVAL; /* from here on, every failure is bad input */
    uint64_t all_modules = gh_catalog_all_modules(cat), all_addons = gh_catalog_all_addons(cat);
    for (size_t i = 0; i < norgs; i++) {
        struct az_org *o = &az->orgs[i];
        o->org_id = put_str(az->strings->data, &pos, orgs[i].org_id);
        o->modules = (orgs[i].modules & all_modules) | gh_catalog_always_on_modules(cat);
        o->addons = orgs[i].addons & all_addons;
        if (gh_permset_has_beyond(&orgs[i].open, az->nperm))
            goto out;
        o->open = orgs[i].open;
        az->norgs++;
        if (!map_add(az, &org_map, K_ORG, i))
            goto out;
    }
    for (size_t i = 0; i < nroles; i++) {
        struct az_role *r = &az->roles[i];
        int org = map_find(az, &org_map, K_ORG, roles[i].org_id, "");
        if (org < 0 || gh_permset_has_beyond(&roles[i].perms, az->nperm))
            goto out;
        r->key = put_str(az->strings->data, &pos, roles[i].key);
        r->org = (uint32_t)org;
        r->device = roles[i].device;
        r->perms = roles[i].perms;
        az->nroles++;
        if (!map_add(az, &role_map, K_ROLE, i))
            goto out;
    }
    for (size_t i = 0; i < nusers; i++) {
        const gh_authz_user_in *in = &users[i];
        struct az_user *u = &az->users[i];
        int org = map_find(az, &org_map, K_ORG, in->org_id, "");
        int role = org < 0 || !in->role_key ? -1
                                            : map_find(az, &role_map, K_ROLE, in->org_id,
                                                       in->role_key);
        if (org < 0 || (in->role_key && role < 0) || gh_permset_has_beyond(&in->grants, az->nperm))
            goto out;
        u->user_id = put_str(az->strings->data, &pos, in->user_id);
        u->org = (uint32_t)org;
        u->role = role;
        u->modules = in->modules & all_modules;
        u->grants = in->grants;
        u->active = in->active;
        az->nusers++;
        if (!map_add(az, &az->user_map, K_USER, i))
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

/* ---- incremental steps ------------------------------------------------------ */

static int org_find(const gh_authz *az, const char *org_id)
{
    for (size_t i = 0; i < az->norgs; i++)
        if (strcmp(az->orgs[i].org_id, org_id) == 0)
            return (int)i;
    return -1;
}

static int role_find(const gh_authz *az, uint32_t org, const char *key)
{
    for (size_t i = 0; i < az->nroles; i++)
        if (az->roles[i].org == org && strcmp(az->roles[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* Recomputes user i's row from its cold data. */
static void compile_user(gh_authz *az, size_t i)
{
    const struct az_user *u = &az->users[i];
    uint64_t *row = az->bits + i * az->words;
    memset(row, 0, az->words * sizeof *row);
    if (!u->active || u->gone)
        return;
    const struct az_org *o = &az->orgs[u->org];
    const struct az_role *r = u->role >= 0 ? &az->roles[u->role] : NULL;
    gh_permset eff;
    gh_authz_effective_set(az->cat, o->modules, o->addons, &o->open, r ? &r->perms : NULL,
                           r && r->device, u->modules, &u->grants, &eff);
    for (size_t w = 0; w < az->words && w < GH_PERMSET_WORDS; w++)
        row[w] = eff.w[w];
}

static void *dup_array(const void *src, size_t n, size_t cap, size_t size)
{
    void *d = alloc_array(cap, size);
    if (d && n)
        memcpy(d, src, n * size);
    return d;
}

/* Rehashes every user into a table sized for cap users. */
static int map_regrow(gh_authz *az, size_t cap)
{
    struct map m = {0};
    if (map_init(&m, cap))
        return -1;
    for (size_t i = 0; i < az->nusers; i++) {
        const char *a, *b;
        keys_of(az, K_USER, i, &a, &b);
        uint32_t h = hash_pair(a, b);
        size_t j = h & m.mask;
        while (m.slots[j].idx1)
            j = (j + 1) & m.mask;
        m.slots[j].hash = h;
        m.slots[j].idx1 = (uint32_t)i + 1;
    }
    free(az->user_map.slots);
    az->user_map = m;
    return 0;
}

static size_t apply_strbytes(const gh_authz_change *ch, bool *ok)
{
    size_t total = 1;
    *ok = true;
    for (size_t i = 0; i < ch->nroles; i++)
        if (!ch->roles[i].org_id || !ch->roles[i].key || !add_len(&total, ch->roles[i].key))
            *ok = false;
    for (size_t i = 0; i < ch->nusers; i++)
        if (!ch->users[i].org_id || !ch->users[i].user_id || !add_len(&total, ch->users[i].user_id))
            *ok = false;
    for (size_t i = 0; i < ch->ngone; i++)
        if (!ch->gone[i].org_id || !ch->gone[i].user_id)
            *ok = false;
    return total;
}

/* apply on a flat base: copies its arrays whole. */
static int apply_flat(const gh_authz *base, const gh_authz_change *ch, gh_authz **out)
{
    gh_authz *az = NULL;
    size_t pos = 0;
    bool ok;
    int rc = GH_AUTHZ_ENOMEM;

    *out = NULL;
    size_t strbytes = apply_strbytes(ch, &ok);
    if (!ok) {
        rc = GH_AUTHZ_EINVAL;
        goto out;
    }
    if (ch->nroles > INT_MAX - base->nroles || ch->nusers > INT_MAX - base->nusers)
        goto out;
    size_t cap = base->nusers + ch->nusers;
    az = calloc(1, sizeof *az);
    if (!az)
        goto out;
    memcpy(az, base, offsetof(gh_authz, base));
    atomic_init(&az->refs, 1);
    az->bits = NULL;
    az->orgs = NULL;
    az->roles = NULL;
    az->users = NULL;
    az->user_map.slots = NULL;
    az->strings = NULL;
    az->cap_users = cap;
    az->depth = base->depth + 1;
    az->strings = strblock_new(strbytes, base->strings);
    az->orgs = dup_array(base->orgs, base->norgs, base->norgs, sizeof *az->orgs);
    az->roles = dup_array(base->roles, base->nroles, base->nroles + ch->nroles, sizeof *az->roles);
    az->users = dup_array(base->users, base->nusers, cap, sizeof *az->users);
    az->bits = dup_array(base->bits, base->nusers * base->words, cap * base->words,
                         sizeof *az->bits);
    az->user_map.slots = dup_array(base->user_map.slots, base->user_map.mask + 1,
                                   base->user_map.mask + 1, sizeof *az->user_map.slots);
    if (!az->strings || !az->orgs || !az->roles || !az->users || !az->bits || !az->user_map.slots)
        goto out;
    if ((base->nusers + ch->nusers) > (az->user_map.mask + 1) / 2 &&
        map_regrow(az, 2 * (base->nusers + ch->nusers)))
        goto out;

    rc = GH_AUTHZ_EINVAL;
    uint64_t all_modules = gh_catalog_all_modules(az->cat);
    /* Roles first: a new user may hold a new role. */
    for (size_t i = 0; i < ch->nroles; i++) {
        const gh_authz_role_in *in = &ch->roles[i];
        int org = org_find(az, in->org_id);
        if (org < 0 || gh_permset_has_beyond(&in->perms, az->nperm))
            goto out;
        int r = role_find(az, (uint32_t)org, in->key);
        if (r < 0) {
            r = (int)az->nroles++;
            az->roles[r].key = put_str(az->strings->data, &pos, in->key);
            az->roles[r].org = (uint32_t)org;
        }
        az->roles[r].perms = in->perms;
        az->roles[r].device = in->device;
        for (size_t u = 0; u < az->nusers; u++)
            if (az->users[u].role == r)
                compile_user(az, u);
    }
    for (size_t i = 0; i < ch->ngone; i++) {
        int u = gh_authz_user_index(az, ch->gone[i].org_id, ch->gone[i].user_id);
        if (u < 0)
            continue; /* never compiled, or already gone */
        az->users[u].gone = true;
        az->users[u].active = false;
        az->ngone++;
        compile_user(az, (size_t)u);
    }
    for (size_t i = 0; i < ch->nusers; i++) {
        const gh_authz_user_in *in = &ch->users[i];
        int org = org_find(az, in->org_id);
        int role = org < 0 || !in->role_key ? -1 : role_find(az, (uint32_t)org, in->role_key);
        if (org < 0 || (in->role_key && role < 0) || gh_permset_has_beyond(&in->grants, az->nperm))
            goto out;
        int u = map_find(az, &az->user_map, K_USER, in->org_id, in->user_id);
        if (u < 0) {
            u = (int)az->nusers++;
            az->users[u].user_id = put_str(az->strings->data, &pos, in->user_id);
            az->users[u].org = (uint32_t)org;
            if (!map_add(az, &az->user_map, K_USER, (size_t)u))
                goto out;
        } else if (az->users[u].gone) {
            az->users[u].gone = false; /* back under the same id */
            az->ngone--;
        }
        struct az_user *x = &az->users[u];
        x->role = role;
        x->modules = in->modules & all_modules;
        x->grants = in->grants;
        x->active = in->active;
        compile_user(az, (size_t)u);
    }
    *out = az;
    az = NULL;
    rc = GH_AUTHZ_OK;
out:
    gh_authz_free(az);
    return rc;
}

/* The overlay rows as a change to the flat base (to merge them into it). */
static int flatten(const gh_authz *ov, gh_authz **out)
{
    int rc = GH_AUTHZ_ENOMEM;
    gh_authz_user_in *users = alloc_array(ov->nusers, sizeof *users);
    gh_authz_user_ref *gone = alloc_array(ov->nusers, sizeof *gone);
    gh_authz_change ch = {NULL, 0, gone, 0, users, 0};
    *out = NULL;
    if (!users || !gone)
        goto out;
    for (size_t i = 0; i < ov->nusers; i++) {
        const struct az_user *u = &ov->users[i];
        const char *org = ov->orgs[u->org].org_id;
        if (u->gone) {
            gone[ch.ngone++] = (gh_authz_user_ref){org, u->user_id};
            continue;
        }
        users[ch.nusers++] = (gh_authz_user_in){org, u->user_id,
                                                 u->role >= 0 ? ov->roles[u->role].key : NULL,
                                                 u->modules, u->grants, u->active};
    }
    rc = apply_flat(ov->base, &ch, out);
out:
    free(users);
    free(gone);
    return rc;
}

/* Overlay row j for (org, id) in ov's own rows, or -1. */
static int overlay_find(const gh_authz *ov, const char *org_id, const char *user_id)
{
    return map_find(ov, &ov->user_map, K_USER, org_id, user_id);
}

/* apply as an overlay on S's flat base: copies S's overlay rows (few) and
 * adds the changed users. No role changes (those go flat). */
static int apply_overlay(const gh_authz *s, const gh_authz_change *ch, gh_authz **out)
{
    gh_authz *az = NULL;
    gh_authz *flat = s->base ? s->base : (gh_authz *)s;
    size_t pos = 0, own = s->base ? s->nusers : 0;
    bool ok;
    int rc = GH_AUTHZ_ENOMEM;

    *out = NULL;
    size_t strbytes = apply_strbytes(ch, &ok);
    if (!ok) {
        rc = GH_AUTHZ_EINVAL;
        goto out;
    }
    size_t cap = own + ch->nusers + ch->ngone;
    az = calloc(1, sizeof *az);
    if (!az)
        goto out;
    memcpy(az, s, offsetof(gh_authz, base));
    atomic_init(&az->refs, 1);
    az->bits = NULL;
    az->orgs = NULL;
    az->roles = NULL;
    az->users = NULL;
    az->user_map.slots = NULL;
    az->strings = NULL;
    az->nusers = own;
    az->cap_users = cap;
    az->depth = s->depth + 1;
    az->base = flat;
    az->base_n = flat->nusers;
    atomic_fetch_add(&flat->refs, 1);
    az->strings = strblock_new(strbytes, s->strings);
    /* orgs and roles are the flat base's (role changes go flat) */
    az->orgs = dup_array(s->orgs, s->norgs, s->norgs, sizeof *az->orgs);
    az->roles = dup_array(s->roles, s->nroles, s->nroles, sizeof *az->roles);
    az->users = dup_array(s->base ? s->users : NULL, own, cap, sizeof *az->users);
    az->bits = dup_array(s->base ? s->bits : NULL, own * s->words, cap * s->words,
                         sizeof *az->bits);
    if (!az->strings || !az->orgs || !az->roles || !az->users || !az->bits)
        goto out;
    if (s->base && (cap <= (s->user_map.mask + 1) / 2)) {
        az->user_map.slots = dup_array(s->user_map.slots, s->user_map.mask + 1,
                                       s->user_map.mask + 1, sizeof *az->user_map.slots);
        az->user_map.mask = s->user_map.mask;
        if (!az->user_map.slots)
            goto out;
    } else if (map_regrow(az, 2 * cap)) {
        goto out;
    }

    rc = GH_AUTHZ_EINVAL;
    uint64_t all_modules = gh_catalog_all_modules(az->cat);
    for (size_t i = 0; i < ch->ngone; i++) {
        const char *org_id = ch->gone[i].org_id, *user_id = ch->gone[i].user_id;
        int j = overlay_find(az, org_id, user_id);
        if (j < 0) {
            int b = map_find(flat, &flat->user_map, K_USER, org_id, user_id);
            if (b < 0 || flat->users[b].gone)
                continue; /* never compiled, or already gone */
            j = (int)az->nusers++;
            az->users[j] = flat->users[b]; /* its id lives in flat's strings */
            if (!map_add(az, &az->user_map, K_USER, (size_t)j))
                goto out;
        } else if (az->users[j].gone) {
            continue;
        }
        az->users[j].gone = true;
        az->users[j].active = false;
        compile_user(az, (size_t)j);
    }
    for (size_t i = 0; i < ch->nusers; i++) {
        const gh_authz_user_in *in = &ch->users[i];
        int org = org_find(az, in->org_id);
        int role = org < 0 || !in->role_key ? -1 : role_find(az, (uint32_t)org, in->role_key);
        if (org < 0 || (in->role_key && role < 0) || gh_permset_has_beyond(&in->grants, az->nperm))
            goto out;
        int j = overlay_find(az, in->org_id, in->user_id);
        if (j < 0) {
            j = (int)az->nusers++;
            az->users[j].user_id = put_str(az->strings->data, &pos, in->user_id);
            az->users[j].org = (uint32_t)org;
            if (!map_add(az, &az->user_map, K_USER, (size_t)j))
                goto out;
        }
        struct az_user *x = &az->users[j];
        x->gone = false;
        x->role = role;
        x->modules = in->modules & all_modules;
        x->grants = in->grants;
        x->active = in->active;
        compile_user(az, (size_t)j);
    }
    *out = az;
    az = NULL;
    rc = GH_AUTHZ_OK;
out:
    gh_authz_free(az);
    return rc;
}

/* Overlay rows kept before they are merged into a new flat snapshot. */
static size_t overlay_max(const gh_authz *flat) { return 1024 + flat->nusers / 64; }

int gh_authz_apply(const gh_authz *base, const gh_authz_change *ch, gh_authz **out)
{
    gh_authz *merged = NULL;
    int rc;
    *out = NULL;
    if (!base || !ch || (ch->nroles && !ch->roles) || (ch->nusers && !ch->users) ||
        (ch->ngone && !ch->gone))
        return GH_AUTHZ_EINVAL;
    const gh_authz *flat = base->base ? base->base : base;
    size_t own = base->base ? base->nusers : 0;
    if (!ch->nroles && own + ch->nusers + ch->ngone <= overlay_max(flat))
        return apply_overlay(base, ch, out);
    /* Role changes (their holders may be everyone) and a full overlay:
     * merge into a new flat snapshot. */
    if (base->base) {
        rc = flatten(base, &merged);
        if (rc != GH_AUTHZ_OK)
            return rc;
        base = merged;
    }
    rc = apply_flat(base, ch, out);
    gh_authz_free(merged);
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
    strblock_release(az->strings);
    free(az);
}

/* ---- lookups ----------------------------------------------------------------- */

const gh_catalog *gh_authz_catalog(const gh_authz *az) { return az->cat; }

size_t gh_authz_user_count(const gh_authz *az) { return az->base_n + az->nusers; }

int gh_authz_user_index(const gh_authz *az, const char *org_id, const char *user_id)
{
    if (!az || !org_id || !user_id)
        return -1;
    int i = map_find(az, &az->user_map, K_USER, org_id, user_id);
    if (i >= 0)
        return az->users[i].gone ? -1 : (int)(az->base_n + (size_t)i);
    if (!az->base)
        return -1;
    i = map_find(az->base, &az->base->user_map, K_USER, org_id, user_id);
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
