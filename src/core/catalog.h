/*
 * The permission catalog: the vocabulary of modules, tabs, add-ons,
 * permissions and role template sets that gatehouse enforces.
 *
 * A catalog is data (catalog/default.json, compiled into the binary, or a
 * product's own file given with --catalog). gh_catalog_parse() loads and
 * validates it once; the result is immutable and may be shared read-only
 * between threads. Everything else refers to its entries by dense index:
 * permission i is bit i of a gh_permset, module m is bit m of a module mask,
 * add-on a is bit a of an add-on mask.
 *
 * Accessors taking an index return NULL / -1 / false / an empty set when the
 * index is out of range, so a bad index never reads out of bounds.
 */
#ifndef GH_CATALOG_H
#define GH_CATALOG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/permset.h"

#define GH_CATALOG_MODULE_MAX 64 /* module masks are uint64_t */
#define GH_CATALOG_ADDON_MAX 64  /* add-on masks are uint64_t */
#define GH_CATALOG_KEY_MAX 64    /* keys: 1..64 chars of [a-z0-9_.-] */

typedef struct gh_catalog gh_catalog;

/* Parses and validates catalog JSON (len bytes of text, need not be
 * NUL-terminated). source_name ("catalog.json") prefixes error messages.
 * Returns 0 and sets *out (free with gh_catalog_free), or -1 with a message
 * in err: "catalog.json:12:5: ..." for JSON syntax, or the path of the value
 * at fault: "catalog.json: permissions[3].module: unknown module 'qx'". */
int gh_catalog_parse(const char *text, size_t len, const char *source_name, gh_catalog **out,
                     char *err, size_t errlen);
/* Frees a catalog (NULL is fine). Snapshots built on it must be freed first. */
void gh_catalog_free(gh_catalog *cat);

/* ---- permissions ---- */
/* Number of permissions (<= GH_PERM_MAX). */
size_t gh_catalog_perm_count(const gh_catalog *cat);
/* Index of the permission with this key (hash lookup), or -1 if unlisted. */
int gh_catalog_perm_index(const gh_catalog *cat, const char *key);
/* Key, display name, description of permission idx. */
const char *gh_catalog_perm_key(const gh_catalog *cat, size_t idx);
const char *gh_catalog_perm_name(const gh_catalog *cat, size_t idx);
const char *gh_catalog_perm_description(const gh_catalog *cat, size_t idx);
/* Module index of permission idx (-1 if idx is out of range). */
int gh_catalog_perm_module(const gh_catalog *cat, size_t idx);
/* Add-on index the permission needs, or -1 for none. */
int gh_catalog_perm_addon(const gh_catalog *cat, size_t idx);
/* True when the permission only lets someone view, read or download. */
bool gh_catalog_perm_read_only(const gh_catalog *cat, size_t idx);
/* Every permission / the read-only ones / those of module m / those needing
 * add-on a / those needing no add-on. Never NULL (empty set if out of range). */
const gh_permset *gh_catalog_all_perms(const gh_catalog *cat);
const gh_permset *gh_catalog_read_only_perms(const gh_catalog *cat);
const gh_permset *gh_catalog_module_perms(const gh_catalog *cat, size_t m);
const gh_permset *gh_catalog_addon_perms(const gh_catalog *cat, size_t a);
const gh_permset *gh_catalog_no_addon_perms(const gh_catalog *cat);
/* A key the catalog does not list is always denied (unknown_permission).
 * Permissions marked "open": true are granted to every active person of
 * every organization; a template set may open more ("open": [{key, reason}]).
 * Neither may open a server key, users.*, settings.manage, it.operations,
 * dashboards.manage_any, erp.manage, groups.manage, tasks.assign or an
 * inspection sign-off permission (qc.inspections.*): the loader refuses. */
bool gh_catalog_perm_open(const gh_catalog *cat, size_t idx);
const gh_permset *gh_catalog_open_perms(const gh_catalog *cat);

/* ---- the server's own permission keys ---- */
/* Every key the server checks itself (routes and core), NULL-terminated:
 * the one list. */
extern const char *const gh_catalog_server_perms[];
bool gh_catalog_is_server_perm(const char *key);
/* Number of server keys cat lacks; their names, ", "-separated, in out. */
size_t gh_catalog_missing_server_perms(const gh_catalog *cat, char *out, size_t cap);

/* ---- modules and add-ons ---- */
/* Number of modules (<= GH_CATALOG_MODULE_MAX); module m is mask bit m. */
size_t gh_catalog_module_count(const gh_catalog *cat);
/* Key of module m ("core", "qc", ...). */
const char *gh_catalog_module_key(const gh_catalog *cat, size_t m);
/* Index of the module with this key, or -1. */
int gh_catalog_module_index(const gh_catalog *cat, const char *key);
/* True for a module enabled whatever the org and user masks say (core). */
bool gh_catalog_module_always_on(const gh_catalog *cat, size_t m);
/* Mask of the always-on modules (at least core) / of all modules. */
uint64_t gh_catalog_always_on_modules(const gh_catalog *cat);
uint64_t gh_catalog_all_modules(const gh_catalog *cat);
/* Number of add-ons (<= GH_CATALOG_ADDON_MAX); add-on a is mask bit a. */
size_t gh_catalog_addon_count(const gh_catalog *cat);
/* Key of add-on a ("docs", "training"). */
const char *gh_catalog_addon_key(const gh_catalog *cat, size_t a);
/* Index of the add-on with this key, or -1. */
int gh_catalog_addon_index(const gh_catalog *cat, const char *key);
/* Mask of all add-ons. */
uint64_t gh_catalog_all_addons(const gh_catalog *cat);

/* ---- tabs (what a client shows; key is unique within its module) ---- */
/* Number of tabs, all modules together, in catalog order. */
size_t gh_catalog_tab_count(const gh_catalog *cat);
/* Key of tab t ("analytics" exists in both qc and qms). */
const char *gh_catalog_tab_key(const gh_catalog *cat, size_t t);
/* Module index of tab t (-1 if t is out of range). */
int gh_catalog_tab_module(const gh_catalog *cat, size_t t);
/* Permissions of which the user must hold at least one to see the tab;
 * an empty set means the module alone decides. */
const gh_permset *gh_catalog_tab_any_of(const gh_catalog *cat, size_t t);

/* ---- role template sets ---- */
/* Number of template sets. */
size_t gh_catalog_set_count(const gh_catalog *cat);
/* Index of the template set with this key, or -1. */
int gh_catalog_set_index(const gh_catalog *cat, const char *key);
/* Key and display name of template set s. */
const char *gh_catalog_set_key(const gh_catalog *cat, size_t s);
const char *gh_catalog_set_name(const gh_catalog *cat, size_t s);
/* Key of the set's role given to an organization's creator (holds
 * users.manage). */
const char *gh_catalog_set_owner_role(const gh_catalog *cat, size_t s);
/* Key of the template set used when an organization names none. */
const char *gh_catalog_default_template(const gh_catalog *cat);
/* Permissions open to every active person of an organization using set s:
 * the catalog's open ones and the set's own (the catalog's open ones for an
 * unknown s). */
const gh_permset *gh_catalog_set_open(const gh_catalog *cat, size_t s);
/* Why set s opens permission idx (the set's reason, or a fixed text for the
 * catalog's open ones); NULL when it is not open there. */
const char *gh_catalog_set_open_reason(const gh_catalog *cat, size_t s, size_t idx);
/* Number of roles of template set s. */
size_t gh_catalog_role_count(const gh_catalog *cat, size_t s);
/* Index of role key within set s, or -1. */
int gh_catalog_role_index(const gh_catalog *cat, size_t s, const char *key);
/* Key, display name and description of role r of set s. */
const char *gh_catalog_role_key(const gh_catalog *cat, size_t s, size_t r);
const char *gh_catalog_role_name(const gh_catalog *cat, size_t s, size_t r);
const char *gh_catalog_role_description(const gh_catalog *cat, size_t s, size_t r);
/* True for a device account role (shared display): read-only by rule. */
bool gh_catalog_role_device(const gh_catalog *cat, size_t s, size_t r);
/* The role's permissions with "*" and all_except already expanded. */
const gh_permset *gh_catalog_role_perms(const gh_catalog *cat, size_t s, size_t r);

/* The catalog as served by GET /v1/catalog: version, policies, modules with
 * their tabs, add-ons, permissions, and template sets whose roles list their
 * EXPANDED permission keys. New reference; NULL on out of memory. */
json_t *gh_catalog_to_json(const gh_catalog *cat);

#endif
