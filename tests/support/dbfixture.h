/*
 * The shared cmocka fixtures of the C unit tests: the default catalog, a
 * migrated database in a fresh temporary directory (removed with its -wal
 * and -shm files), rows inserted straight through the store, and an
 * organization made the way the server makes one. A fixture failure fails
 * the test (cmocka's assertions), so callers need not check.
 */
#ifndef GH_TEST_DBFIXTURE_H
#define GH_TEST_DBFIXTURE_H
#include "core/catalog.h"
#include "core/ctx.h"
#include "store/store.h"

/* The default catalog: $GH_SOURCE_DIR/catalog/default.json (set by CTest),
 * else ./catalog/default.json. The caller frees it (gh_catalog_free). */
gh_catalog *gh_fx_catalog_load(void);

/* A migrated database at dir/g.db; tag names the directory
 * (/tmp/gh-<tag>-XXXXXX). gh_fx_db_open also makes gh_random ready. */
typedef struct gh_fx_db {
    char dir[64], path[96];
    gh_db *db;
} gh_fx_db;
void gh_fx_db_open(gh_fx_db *d, const char *tag);
/* Another connection to the same database (closed by the caller). */
gh_db *gh_fx_db_connect(const gh_fx_db *d);
/* Closes the connection and removes the files and the directory. */
void gh_fx_db_remove(gh_fx_db *d);

/* Rows straight through the store (no rules, no audit): an organization
 * with template set "plant" and one role, "user"; a person holding that
 * role (name, e-mail and badge optional: NULL is empty, a NULL name is the
 * id). */
void gh_fx_add_org(gh_db *db, const char *id, const char *slug);
void gh_fx_add_user(gh_db *db, const char *org, const char *id, const char *name, const char *email,
                    const char *badge);

/* An organization "acme" with its first administrator ada@acme.test, made
 * by the system with gh_org_create on the default catalog (cheap password
 * hashing), and the access snapshot built from it. */
typedef struct gh_fx_org {
    gh_fx_db d;
    gh_db *db; /* d.db */
    gh_catalog *cat;
    gh_org org;
    gh_user admin;
} gh_fx_org;
gh_fx_org *gh_fx_org_new(const char *tag);
void gh_fx_org_free(gh_fx_org *f);
/* A context acting as the system inside the fixture's organization. */
gh_ctx gh_fx_sys_ctx(const gh_fx_org *f);

#endif
