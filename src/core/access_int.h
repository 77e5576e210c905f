/*
 * Private to access.c and accesskeys.c: a row's space-separated key list as
 * the catalog's set or mask (keys the catalog no longer lists are ignored;
 * modules include the always-on ones).
 */
#ifndef GH_CORE_ACCESS_INT_H
#define GH_CORE_ACCESS_INT_H
#include <stdint.h>

#include "core/permset.h"

gh_permset gh_access_perms_in(const char *list);
uint64_t gh_access_modules_in(const char *list);
uint64_t gh_access_addons_in(const char *list);

#endif
