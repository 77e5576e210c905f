/* The shared cmocka fixtures of the C unit tests (dbfixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "dbfixture.h"

#include "core/access.h"
#include "core/accounts.h"
#include "core/secret.h"
#include "util/util.h"

gh_catalog *gh_fx_catalog_load(void)
{
    const char *dir = getenv("GH_SOURCE_DIR");
    char path[4096], err[512];
    int n = snprintf(path, sizeof path, "%s/catalog/default.json", dir && *dir ? dir : ".");
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (set GH_SOURCE_DIR to the source tree)", path);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_true(len > 0 && len < sizeof text);
    gh_catalog *cat = NULL;
    if (gh_catalog_parse(text, len, "default.json", &cat, err, sizeof err)) fail_msg("%s", err);
    return cat;
}

void gh_fx_db_open(gh_fx_db *d, const char *tag)
{
    char err[512];
    memset(d, 0, sizeof *d);
    assert_int_equal(gh_random_init(), 0);
    int n = snprintf(d->dir, sizeof d->dir, "/tmp/gh-%s-XXXXXX", tag);
    assert_true(n > 0 && (size_t)n < sizeof d->dir);
    assert_non_null(mkdtemp(d->dir));
    n = snprintf(d->path, sizeof d->path, "%s/g.db", d->dir);
    assert_true(n > 0 && (size_t)n < sizeof d->path);
    if (gh_db_open(d->path, &d->db, err, sizeof err) != 0 || gh_db_migrate(d->db, err, sizeof err) != 0)
        fail_msg("%s", err);
}

gh_db *gh_fx_db_connect(const gh_fx_db *d)
{
    char err[512];
    gh_db *db = NULL;
    if (gh_db_open(d->path, &db, err, sizeof err) != 0) fail_msg("%s", err);
    return db;
}

void gh_fx_db_remove(gh_fx_db *d)
{
    char side[128];
    gh_db_close(d->db);
    d->db = NULL;
    unlink(d->path);
    snprintf(side, sizeof side, "%s-wal", d->path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", d->path);
    unlink(side);
    rmdir(d->dir);
}

void gh_fx_add_org(gh_db *db, const char *id, const char *slug)
{
    gh_org o = {0};
    gh_err e = {0};
    gh_strlcpy(o.id, id, sizeof o.id);
    gh_strlcpy(o.slug, slug, sizeof o.slug);
    gh_strlcpy(o.name, slug, sizeof o.name);
    gh_strlcpy(o.template_set, "plant", sizeof o.template_set);
    o.seats_office = o.seats_factory = -1;
    o.session_idle_s = o.session_max_s = o.invite_ttl_s = 3600;
    o.kiosk_pin_min = 6;
    o.kiosk_idle_s = o.kiosk_session_s = 60;
    o.created_at = 1;
    assert_int_equal(gh_store_org_insert(db, &o, &e), GH_OK);
    gh_role r = {0};
    gh_strlcpy(r.org_id, id, sizeof r.org_id);
    gh_strlcpy(r.key, "user", sizeof r.key);
    gh_strlcpy(r.name, "User", sizeof r.name);
    r.created_at = r.updated_at = 1;
    assert_int_equal(gh_store_role_insert(db, &r, &e), GH_OK);
}

void gh_fx_add_user(gh_db *db, const char *org, const char *id, const char *name, const char *email,
                    const char *badge)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_err e = {0};
    assert_non_null(u);
    gh_strlcpy(u->id, id, sizeof u->id);
    gh_strlcpy(u->org_id, org, sizeof u->org_id);
    gh_strlcpy(u->name, name ? name : id, sizeof u->name);
    if (email) gh_strlcpy(u->email, email, sizeof u->email);
    if (badge) gh_strlcpy(u->badge, badge, sizeof u->badge);
    gh_strlcpy(u->role_key, "user", sizeof u->role_key);
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = 1;
    assert_int_equal(gh_store_user_insert(db, u, &e), GH_OK);
    free(u);
}

gh_fx_org *gh_fx_org_new(const char *tag)
{
    gh_fx_org *f = calloc(1, sizeof *f);
    assert_non_null(f);
    gh_fx_db_open(&f->d, tag);
    f->db = f->d.db;
    gh_secret_set_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    assert_int_equal(gh_secret_init(), 0);
    f->cat = gh_fx_catalog_load();
    gh_cfg()->catalog = f->cat;
    gh_db_set_path(f->d.path);
    assert_int_equal(gh_access_init(f->cat), 0);
    char hash[GH_PWHASH_MAX];
    assert_int_equal(gh_secret_hash("correct horse battery staple", hash), 0);
    gh_ctx ctx = {.db = f->db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "t"};
    gh_org_new n = {.slug = "acme", .name = "Acme", .admin_email = "ada@acme.test", .admin_name = "Ada",
                    .admin_password_hash = hash};
    if (gh_org_create(&ctx, &n, &f->org, &f->admin) != GH_OK) fail_msg("%s", ctx.err.detail);
    assert_int_equal(gh_access_refresh(f->db, true), 0);
    return f;
}

void gh_fx_org_free(gh_fx_org *f)
{
    if (!f) return;
    gh_access_shutdown();
    gh_fx_db_remove(&f->d);
    gh_catalog_free(f->cat);
    free(f);
}

gh_ctx gh_fx_sys_ctx(const gh_fx_org *f)
{
    gh_ctx ctx = {.db = f->db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "t"};
    gh_strlcpy(ctx.actor.org_id, f->org.id, sizeof ctx.actor.org_id);
    return ctx;
}
