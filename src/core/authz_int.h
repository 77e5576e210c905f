/*
 * Private to the authorization snapshot's files: its structs and the helpers
 * they share. Everything else sees only core/authz.h.
 *
 *   authz.c        the rule (effective sets), the (org id, key) hash tables,
 *                  building a flat snapshot, freeing it
 *   authz_apply.c  incremental steps: a changed user as an overlay over a
 *                  flat snapshot, flattened when overlays grow
 *   authz_query.c  the questions: allowed, why, per-user facts, JSON
 */
#ifndef GH_CORE_AUTHZ_INT_H
#define GH_CORE_AUTHZ_INT_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/authz.h"

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

enum kind { K_ORG, K_ROLE, K_USER };

/* A string block of n bytes in front of next (which it holds a reference
 * to); NULL on out of memory. Released down the chain by refcount. */
struct strblock *gh_az_strblock_new(size_t n, struct strblock *next);
void gh_az_strblock_release(struct strblock *b);
uint32_t gh_az_hash_pair(const char *a, const char *b);
/* The two keys of entry i of kind k: (org id, "") for an org, (org id, role
 * key) for a role, (org id, user id) for a user. */
void gh_az_keys_of(const gh_authz *az, enum kind k, size_t i, const char **a, const char **b);
/* Sizes an empty table for n entries (load factor <= 1/2); -1 on out of
 * memory. */
int gh_az_map_init(struct map *m, size_t n);
/* Index of the entry with keys (a, b), or -1. */
int gh_az_map_find(const gh_authz *az, const struct map *m, enum kind k, const char *a, const char *b);
/* Adds entry idx; false if its keys are already present. */
bool gh_az_map_add(const gh_authz *az, struct map *m, enum kind k, size_t idx);
/* Copies s into the string area at *pos. */
const char *gh_az_put_str(char *area, size_t *pos, const char *s);
/* Adds strlen(s) + 1 to *total; false on overflow. */
bool gh_az_add_len(size_t *total, const char *s);
/* calloc of n (at least 1) elements. */
void *gh_az_alloc_array(size_t n, size_t size);

#endif
