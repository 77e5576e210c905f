/*
 * Incremental steps on the authorization snapshot (gh_authz_apply): one
 * changed user, role or organization gives a new snapshot that shares the
 * old one's rows. A flat snapshot gets an overlay holding only the changed
 * users; an overlay past its bound is flattened into a new flat snapshot.
 * Readers of the old snapshot are never disturbed (copy on write).
 */
#include "core/authz_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

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
    void *d = gh_az_alloc_array(cap, size);
    if (d && n)
        memcpy(d, src, n * size);
    return d;
}

/* Rehashes every user into a table sized for cap users. */
static int map_regrow(gh_authz *az, size_t cap)
{
    struct map m = {0};
    if (gh_az_map_init(&m, cap))
        return -1;
    for (size_t i = 0; i < az->nusers; i++) {
        const char *a, *b;
        gh_az_keys_of(az, K_USER, i, &a, &b);
        uint32_t h = gh_az_hash_pair(a, b);
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
        if (!ch->roles[i].org_id || !ch->roles[i].key || !gh_az_add_len(&total, ch->roles[i].key))
            *ok = false;
    for (size_t i = 0; i < ch->nusers; i++)
        if (!ch->users[i].org_id || !ch->users[i].user_id || !gh_az_add_len(&total, ch->users[i].user_id))
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
    az->strings = gh_az_strblock_new(strbytes, base->strings);
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
            az->roles[r].key = gh_az_put_str(az->strings->data, &pos, in->key);
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
        int u = gh_az_map_find(az, &az->user_map, K_USER, in->org_id, in->user_id);
        if (u < 0) {
            u = (int)az->nusers++;
            az->users[u].user_id = gh_az_put_str(az->strings->data, &pos, in->user_id);
            az->users[u].org = (uint32_t)org;
            if (!gh_az_map_add(az, &az->user_map, K_USER, (size_t)u))
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
    gh_authz_user_in *users = gh_az_alloc_array(ov->nusers, sizeof *users);
    gh_authz_user_ref *gone = gh_az_alloc_array(ov->nusers, sizeof *gone);
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
    return gh_az_map_find(ov, &ov->user_map, K_USER, org_id, user_id);
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
    az->strings = gh_az_strblock_new(strbytes, s->strings);
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
            int b = gh_az_map_find(flat, &flat->user_map, K_USER, org_id, user_id);
            if (b < 0 || flat->users[b].gone)
                continue; /* never compiled, or already gone */
            j = (int)az->nusers++;
            az->users[j] = flat->users[b]; /* its id lives in flat's strings */
            if (!gh_az_map_add(az, &az->user_map, K_USER, (size_t)j))
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
            az->users[j].user_id = gh_az_put_str(az->strings->data, &pos, in->user_id);
            az->users[j].org = (uint32_t)org;
            if (!gh_az_map_add(az, &az->user_map, K_USER, (size_t)j))
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

