/*
 * Private to the catalog files: the parsed catalog's structs and the key ->
 * index hash table both the loader (catalog_parse.c) and the accessors
 * (catalog.c) use. Everything else sees only core/catalog.h.
 */
#ifndef GH_CORE_CATALOG_INT_H
#define GH_CORE_CATALOG_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"

/* ---- key -> index hash table ------------------------------------------- */

struct kslot {
    const char *key; /* NULL: empty slot */
    int idx;
};

struct keymap {
    struct kslot *slots;
    size_t mask; /* capacity - 1; capacity is a power of two >= 2n */
};

/* Sizes an empty map for n keys; -1 on out of memory. */
int gh_keymap_init(struct keymap *m, size_t n);
void gh_keymap_release(struct keymap *m);
/* The index stored under key, or -1. */
int gh_keymap_find(const struct keymap *m, const char *key);
/* Adds key -> idx; false when the key is already there. */
bool gh_keymap_add(struct keymap *m, const char *key, int idx);

/* ---- the catalog -------------------------------------------------------- */

struct perm {
    const char *key, *name, *description, *source;
    int module, addon; /* addon -1: none */
    bool read_only;
    bool open; /* granted to every active person of every organization */
};

struct module {
    const char *key, *name, *description;
    bool always_on;
};

struct addon {
    const char *key, *name, *description;
};

struct tab {
    const char *key, *name, *description;
    int module;
    gh_permset any_of;
};

struct role {
    const char *key, *name, *description;
    bool device;
    gh_permset perms;
};

struct tset {
    const char *key, *name, *description, *source;
    int owner; /* role index */
    gh_permset open;             /* the catalog's open permissions and the set's own */
    const char **open_reasons;   /* per permission index: why the set opens it, or NULL */
    struct role *roles;
    size_t nroles;
    struct keymap role_map;
};

struct gh_catalog {
    json_t *root; /* owns every string below */
    int version;
    const char *default_set;
    struct perm *perms;
    struct module *modules;
    struct addon *addons;
    struct tab *tabs;
    struct tset *sets;
    size_t nperms, nmodules, naddons, ntabs, nsets;
    struct keymap perm_map, module_map, addon_map, set_map;
    uint64_t always_on;
    gh_permset all, read_only, no_addon, open, empty;
    gh_permset module_perms[GH_CATALOG_MODULE_MAX];
    gh_permset addon_perms[GH_CATALOG_ADDON_MAX];
};

/* Why a key may never be open to everyone, or NULL when it may. */
const char *gh_catalog_open_forbidden(const char *key);

#endif
