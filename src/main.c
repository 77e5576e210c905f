/*
 * gatehouse: the server and the operator's CLI.
 *
 *   gatehouse serve   [--listen HOST:PORT] [--db PATH] [--base-url URL] [--catalog FILE]
 *                     [--threads N] [--per-ip-connections N] [--request-deadline S]
 *                     [--test-clock] [--quiet] [--demo]
 *   gatehouse init    --db PATH --org SLUG --org-name NAME --admin-email EMAIL
 *                     [--admin-name NAME] [--template SET]
 *   gatehouse org     list|modules|addons|seats --db PATH [--org SLUG] ...
 *   gatehouse outbox  --db PATH [--json]
 *   gatehouse check   --db PATH --org SLUG --user EMAIL|ID --permission KEY
 *   gatehouse backup  --db PATH --to FILE
 *   gatehouse routes     (the route table: method, path, auth, permission, API key scope, alternative, query parameters)
 *   gatehouse version
 *
 * Every subcommand that touches the database applies pending migrations
 * first, and changes made here reach running servers within a second (the
 * generation counter).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/catalog.h"
#include "core/demo.h"
#include "core/roles.h"
#include "core/secret.h"
#include "http/http.h"
#include "http/router.h"
#include "util/assets.h"
#include "util/log.h"

#define VERSION "0.1.0"

typedef struct opts {
    const char *listen, *db, *base_url, *catalog;
    const char *org, *org_name, *admin_email, *admin_name, *template_set;
    const char *to, *user, *permission, *office, *factory;
    bool test_clock, test_cost, quiet, json, demo, force;
    unsigned threads, per_ip_connections, request_deadline_s;
    int nargs;
    const char *args[64];
} opts;

static void usage(void)
{
    fputs("usage: gatehouse serve|init|org|outbox|check|backup|version [options]\n"
          "  serve   [--listen HOST:PORT] [--db PATH] [--base-url URL] [--catalog FILE]\n"
          "          [--threads N] [--per-ip-connections N] [--request-deadline S]\n"
          "          [--test-clock [--test-cost]] [--quiet] [--demo]\n"
          "          --test-cost (tests only, with --test-clock) hashes passwords at argon2id's minimum cost\n"
          "          HOST is IPv4 or IPv6 in brackets ([::]:8080 also accepts IPv4)\n"
          "          --demo serves a demo plant from a throw-away database (--db is ignored)\n"
          "  init    --db PATH --org SLUG --org-name NAME --admin-email EMAIL [--admin-name NAME]\n"
          "          [--template plant|oee|monitoring|quality]   (password: GATEHOUSE_ADMIN_PASSWORD or prompt)\n"
          "  org list --db PATH\n"
          "  org modules --db PATH --org SLUG KEY...     (core is always on)\n"
          "  org addons  --db PATH --org SLUG KEY...\n"
          "  org seats   --db PATH --org SLUG [--office N|unlimited] [--factory N|unlimited] [--force]\n"
          "              (a limit below the seats in use is refused unless --force)\n"
          "  org allow-ips --db PATH --org SLUG [CIDR...]    (none: any address)\n"
          "  org setup-link --db PATH [--base-url URL]   (one-time link, 24 h, that creates one more organization)\n"
          "  outbox  --db PATH [--json]\n"
          "  check   --db PATH --org SLUG --user EMAIL|ID --permission KEY\n"
          "  backup  --db PATH --to FILE\n"
          "Environment: GATEHOUSE_LISTEN, GATEHOUSE_DB, GATEHOUSE_BASE_URL\n",
          stderr);
}

static int parse_opts(int argc, char **argv, int start, opts *o)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--test-clock") == 0) { o->test_clock = true; continue; }
        if (strcmp(a, "--test-cost") == 0) { o->test_cost = true; continue; }
        if (strcmp(a, "--quiet") == 0) { o->quiet = true; continue; }
        if (strcmp(a, "--json") == 0) { o->json = true; continue; }
        if (strcmp(a, "--demo") == 0) { o->demo = true; continue; }
        if (strcmp(a, "--force") == 0) { o->force = true; continue; }
        if (strcmp(a, "--listen") == 0) slot = &o->listen;
        else if (strcmp(a, "--db") == 0) slot = &o->db;
        else if (strcmp(a, "--base-url") == 0) slot = &o->base_url;
        else if (strcmp(a, "--catalog") == 0) slot = &o->catalog;
        else if (strcmp(a, "--org") == 0) slot = &o->org;
        else if (strcmp(a, "--org-name") == 0) slot = &o->org_name;
        else if (strcmp(a, "--admin-email") == 0) slot = &o->admin_email;
        else if (strcmp(a, "--admin-name") == 0) slot = &o->admin_name;
        else if (strcmp(a, "--template") == 0) slot = &o->template_set;
        else if (strcmp(a, "--to") == 0) slot = &o->to;
        else if (strcmp(a, "--user") == 0) slot = &o->user;
        else if (strcmp(a, "--permission") == 0) slot = &o->permission;
        else if (strcmp(a, "--office") == 0) slot = &o->office;
        else if (strcmp(a, "--factory") == 0) slot = &o->factory;
        else if (strcmp(a, "--threads") == 0 || strcmp(a, "--per-ip-connections") == 0 ||
                 strcmp(a, "--request-deadline") == 0) {
            static const struct { const char *name; int64_t max; } nums[] = {
                {"--threads", 256}, {"--per-ip-connections", 4096}, {"--request-deadline", 3600}};
            unsigned *dest[] = {&o->threads, &o->per_ip_connections, &o->request_deadline_s};
            size_t k = 0;
            while (strcmp(a, nums[k].name) != 0) k++;
            int64_t n;
            if (i + 1 >= argc || !gh_parse_i64(argv[i + 1], 1, nums[k].max, &n)) {
                fprintf(stderr, "gatehouse: %s takes a number from 1 to %lld\n", a, (long long)nums[k].max);
                return -1;
            }
            *dest[k] = (unsigned)n;
            i++;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "gatehouse: unknown option %s\n", a);
            return -1;
        } else {
            if (o->nargs >= 64) return -1;
            o->args[o->nargs++] = a;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gatehouse: %s needs a value\n", a);
            return -1;
        }
        *slot = argv[++i];
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    gh_buf b;
    gh_buf_init(&b, 16u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) gh_buf_append(&b, chunk, n);
    bool ok = !ferror(f) && gh_buf_ok(&b);
    fclose(f);
    if (!ok) { gh_buf_release(&b); return NULL; }
    *len = b.len;
    return gh_buf_take(&b);
}

/* Refuses (frees, NULL) a catalog that lacks a permission key the server
 * itself checks, naming each one. */
static gh_catalog *catalog_has_server_keys(gh_catalog *cat, const char *source)
{
    char missing[1024];
    size_t n = cat ? gh_catalog_missing_server_perms(cat, missing, sizeof missing) : 0;
    if (n == 0) return cat;
    fprintf(stderr,
            "gatehouse: catalog %s lacks %zu permission%s the server itself checks: %s "
            "(add %s to its permissions)\n",
            source, n, n == 1 ? "" : "s", missing, n == 1 ? "it" : "them");
    gh_catalog_free(cat);
    return NULL;
}

static gh_catalog *catalog_load(const char *path)
{
    char err[512];
    gh_catalog *cat = NULL;
    if (gh_routes_check(err, sizeof err) != 0) {
        fprintf(stderr, "gatehouse: the route table is inconsistent: %s\n", err);
        return NULL;
    }
    if (!path) {
        if (gh_catalog_parse((const char *)gh_embedded_default_catalog, gh_embedded_default_catalog_len,
                             "default catalog", &cat, err, sizeof err) != 0) {
            fprintf(stderr, "gatehouse: the built-in catalog is invalid: %s\n", err);
            return NULL;
        }
        return catalog_has_server_keys(cat, "(built in)");
    }
    size_t len = 0;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "gatehouse: cannot read catalog %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (gh_catalog_parse(text, len, path, &cat, err, sizeof err) != 0) {
        fprintf(stderr, "gatehouse: invalid catalog: %s\n", err);
        cat = NULL;
    }
    free(text);
    return catalog_has_server_keys(cat, path);
}

/* Shared start: random, secrets, catalog, database with migrations, access. */
static gh_catalog *boot(const opts *o, gh_db **db)
{
    const char *path = o->db ? o->db : getenv("GATEHOUSE_DB");
    if (!path || !*path) path = "var/gatehouse.db";
    if (gh_random_init() != 0 || gh_secret_init() != 0) {
        fprintf(stderr, "gatehouse: cannot initialise libsodium\n");
        return NULL;
    }
    gh_catalog *cat = catalog_load(o->catalog ? o->catalog : getenv("GATEHOUSE_CATALOG"));
    if (!cat) return NULL;
    gh_cfg()->catalog = cat;
    /* Create the database's folders (./var by default), like mkdir -p. */
    char dir[4096];
    if (gh_strlcpy(dir, path, sizeof dir)) {
        char *last = strrchr(dir, '/');
        for (char *p = dir + 1; last && p <= last; p++) {
            if (*p != '/') continue;
            *p = '\0';
            mkdir(dir, 0750); /* EEXIST is fine; other errors show at open */
            *p = '/';
        }
    }
    gh_db_set_path(path);
    char err[512];
    if (gh_db_open(path, db, err, sizeof err) != 0 || gh_db_migrate(*db, err, sizeof err) != 0) {
        fprintf(stderr, "gatehouse: %s\n", err);
        if (*db) gh_db_close(*db);
        *db = NULL;
        gh_catalog_free(cat);
        return NULL;
    }
    if (gh_access_init(cat) != 0 || gh_access_refresh(*db, true) != 0) {
        fprintf(stderr, "gatehouse: cannot build the authorization state\n");
        gh_db_close(*db);
        *db = NULL;
        gh_catalog_free(cat);
        return NULL;
    }
    return cat;
}

static void shutdown_all(gh_db *db, gh_catalog *cat)
{
    gh_access_shutdown();
    gh_db_close(db);
    gh_catalog_free(cat);
}

static int report(gh_ctx *ctx, gh_status st);

/* Prints how to sign in to the demo plant. */
static void print_demo(const json_t *sum, const char *base_url, const char *dir)
{
    const json_t *org = json_object_get(sum, "org"), *accounts = json_object_get(sum, "accounts"), *a;
    size_t i;
    printf("\n  gatehouse demo: %s (a throw-away database in %s, deleted when the server stops)\n\n",
           json_string_value(json_object_get(org, "name")), dir);
    printf("  Console  %s/console/\n", base_url);
    printf("           every office account's password: %s\n\n", json_string_value(json_object_get(sum, "password")));
    json_array_foreach(accounts, i, a) {
        if (!json_object_get(a, "email")) continue;
        printf("    %-34s %-12s %s\n", json_string_value(json_object_get(a, "email")),
               json_string_value(json_object_get(a, "role")), json_string_value(json_object_get(a, "how")));
    }
    bool kiosk_header = false;
    json_array_foreach(accounts, i, a) {
        if (!json_object_get(a, "badge")) continue;
        if (!kiosk_header) {
            printf("\n  Kiosk    %s/kiosk/%s/\n\n", base_url, json_string_value(json_object_get(org, "slug")));
            kiosk_header = true;
        }
        printf("    badge %-8s PIN %-8s %-22s %s\n", json_string_value(json_object_get(a, "badge")),
               json_string_value(json_object_get(a, "pin")), json_string_value(json_object_get(a, "name")),
               json_string_value(json_object_get(a, "how")));
    }
    printf("\n  API key  %s\n\n", json_string_value(json_object_get(sum, "api_key")));
    fflush(stdout);
}

static void remove_demo_dir(const char *dir, const char *dbpath)
{
    char p[600];
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", dbpath, suffixes[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int cmd_serve(opts *o)
{
    char demo_dir[64] = "", demo_db[128] = "";
    if (o->demo) {
        const char *tmp = getenv("TMPDIR");
        snprintf(demo_dir, sizeof demo_dir, "%s/gatehouse-demo-XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(demo_dir)) {
            fprintf(stderr, "gatehouse: cannot create a temporary folder for the demo: %s\n", strerror(errno));
            return 1;
        }
        snprintf(demo_db, sizeof demo_db, "%s/demo.db", demo_dir);
        o->db = demo_db;
    }
    const char *listen = o->listen ? o->listen : getenv("GATEHOUSE_LISTEN");
    if (!listen || !*listen) listen = "127.0.0.1:8080";
    char host[256];
    const char *colon = strrchr(listen, ':');
    int64_t port;
    if (!colon || (size_t)(colon - listen) >= sizeof host || !gh_parse_i64(colon + 1, 0, 65535, &port)) {
        fprintf(stderr, "gatehouse: --listen takes HOST:PORT\n");
        return 2;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    gh_log_set_quiet(o->quiet);
    gh_config *cfg = gh_cfg();
    cfg->test_clock = o->test_clock;
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, &db);
    if (!cat) {
        if (o->demo) remove_demo_dir(demo_dir, demo_db);
        return 1;
    }
    gh_server_opts so = {.host = host, .port = (unsigned)port, .threads = o->threads,
                         .per_ip_connections = o->per_ip_connections, .request_deadline_s = o->request_deadline_s};
    int rc = 1;
    /* The base URL defaults to the listening address (resolved after bind for port 0). */
    const char *base = o->base_url ? o->base_url : getenv("GATEHOUSE_BASE_URL");
    if (base && *base) gh_strlcpy(cfg->base_url, base, sizeof cfg->base_url);
    else snprintf(cfg->base_url, sizeof cfg->base_url, "http://%s:%u", host, (unsigned)port);
    size_t bl = strlen(cfg->base_url);
    while (bl > 0 && cfg->base_url[bl - 1] == '/') cfg->base_url[--bl] = '\0';
    cfg->secure_cookies = strncmp(cfg->base_url, "https://", 8) == 0;
    if (o->demo) {
        gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "demo"};
        json_t *sum = NULL;
        if (report(&ctx, gh_demo_load(&ctx, &sum))) goto out;
        print_demo(sum, cfg->base_url, demo_dir);
        json_decref(sum);
    } else if (gh_store_org_count(db) == 0) {
        gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}};
        char token[GH_TOKEN_LEN + 1];
        if (gh_setup_token_issue(&ctx, false, token) == GH_OK) {
            fprintf(stderr,
                    "\n  gatehouse has no organization yet. Open this one-time setup link (valid 24 h):\n"
                    "    %s/console/setup?token=%s\n"
                    "  or run: gatehouse init --db %s --org SLUG --org-name NAME --admin-email EMAIL\n\n",
                    cfg->base_url, token, gh_db_path());
        }
        gh_err_clear(&ctx.err);
    }
    gh_server_block_signals(); /* before the poller thread starts */
    if (gh_access_start_poller() != 0) goto out;
    rc = gh_server_run(&so);
    gh_access_stop_poller();
out:
    gh_db_thread_close();
    shutdown_all(db, cat);
    if (o->demo) remove_demo_dir(demo_dir, demo_db);
    return rc;
}

static char *prompt_password(void)
{
    const char *env = getenv("GATEHOUSE_ADMIN_PASSWORD");
    if (env && *env) return strdup(env);
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "gatehouse: set GATEHOUSE_ADMIN_PASSWORD or run from a terminal\n");
        return NULL;
    }
    struct termios old, quiet;
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fputs("Admin password: ", stderr);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    char buf[1100];
    char *line = fgets(buf, sizeof buf, stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    if (!line) return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *pw = strdup(buf);
    sodium_memzero(buf, sizeof buf);
    return pw;
}

static int report(gh_ctx *ctx, gh_status st)
{
    if (st == GH_OK) return 0;
    fprintf(stderr, "gatehouse: %s%s%s (%s)\n", ctx->err.detail, ctx->err.field[0] ? ": " : "", ctx->err.field,
            ctx->err.code);
    gh_err_clear(&ctx->err);
    return 1;
}

static int cmd_init(opts *o)
{
    if (!o->db || !o->org || !o->org_name || !o->admin_email) { usage(); return 2; }
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, &db);
    if (!cat) return 1;
    int rc = 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "cli"};
    gh_org_new n = {.slug = o->org, .name = o->org_name, .template_set = o->template_set,
                    .admin_email = o->admin_email, .admin_name = o->admin_name ? o->admin_name : o->admin_email};
    char hash[GH_PWHASH_MAX];
    char *pw = NULL;
    if (report(&ctx, gh_org_validate_new(&ctx, &n))) goto out;
    if (!(pw = prompt_password())) goto out;
    gh_pw_context pc = {.email = n.admin_email, .name = n.admin_name, .org_name = n.name};
    if (report(&ctx, gh_password_check_for(pw, "password", &pc, &ctx.err))) goto out;
    if (gh_secret_hash(pw, hash) != 0) { fprintf(stderr, "gatehouse: hashing failed\n"); goto out; }
    n.admin_password_hash = hash;
    gh_org org;
    gh_user u;
    if (report(&ctx, gh_org_create(&ctx, &n, &org, &u))) goto out;
    printf("created organization %s (%s) with administrator %s (role %s)\n", org.slug, org.id, u.email, u.role_key);
    rc = 0;
out:
    if (pw) { sodium_memzero(pw, strlen(pw)); free(pw); }
    shutdown_all(db, cat);
    return rc;
}

static void print_org(const gh_org *org, void *arg)
{
    (void)arg;
    printf("%s\t%s\t%s\ttemplate=%s\tmodules=core %s\taddons=%s\n", org->slug, org->id, org->name, org->template_set,
           org->modules, org->addons);
}

static bool seat_value(const char *s, int64_t *v)
{
    if (!s) return true;
    if (strcmp(s, "unlimited") == 0) { *v = -1; return true; }
    return gh_parse_i64(s, 0, 10000000, v);
}

static int cmd_org(opts *o)
{
    if (o->nargs < 1 || !o->db) { usage(); return 2; }
    const char *sub = o->args[0];
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, &db);
    if (!cat) return 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "cli"};
    int rc = 1;
    if (strcmp(sub, "list") == 0) {
        rc = report(&ctx, gh_store_org_each(db, print_org, NULL, &ctx.err));
    } else if (strcmp(sub, "modules") == 0 || strcmp(sub, "addons") == 0) {
        if (!o->org) { usage(); rc = 2; goto out; }
        json_t *keys = json_array();
        for (int i = 1; i < o->nargs; i++)
            if (strcmp(o->args[i], "core") != 0) json_array_append_new(keys, json_string(o->args[i]));
        rc = report(&ctx, gh_org_set_modules(&ctx, o->org, keys, strcmp(sub, "addons") == 0));
        json_decref(keys);
        if (rc == 0) printf("%s of %s set\n", sub, o->org);
    } else if (strcmp(sub, "allow-ips") == 0) {
        /* The org's IP allowlist; no networks: any address. The operator's
         * way back in when an org has locked itself out of its networks. */
        if (!o->org) { usage(); rc = 2; goto out; }
        json_t *nets = json_array();
        for (int i = 1; i < o->nargs; i++) json_array_append_new(nets, json_string(o->args[i]));
        rc = report(&ctx, gh_org_set_ip_allowlist(&ctx, o->org, nets));
        json_decref(nets);
        if (rc == 0) printf("IP allowlist of %s set (%s)\n", o->org, o->nargs > 1 ? "listed networks only" : "any address");
    } else if (strcmp(sub, "setup-link") == 0) {
        /* One more organization through the web setup page. */
        char token[GH_TOKEN_LEN + 1];
        const char *base = o->base_url ? o->base_url : getenv("GATEHOUSE_BASE_URL");
        rc = report(&ctx, gh_setup_token_issue(&ctx, true, token));
        if (rc == 0) printf("%s/console/setup?token=%s\n", base && *base ? base : "http://127.0.0.1:8080", token);
        sodium_memzero(token, sizeof token);
    } else if (strcmp(sub, "seats") == 0) {
        gh_org org;
        if (!o->org) { usage(); rc = 2; goto out; }
        if (report(&ctx, gh_store_org_get_by_slug(db, o->org, &org, &ctx.err))) goto out;
        int64_t office = org.seats_office, factory = org.seats_factory;
        if (!seat_value(o->office, &office) || !seat_value(o->factory, &factory)) {
            fprintf(stderr, "gatehouse: seats are a number or 'unlimited'\n");
            rc = 2;
            goto out;
        }
        rc = report(&ctx, gh_org_set_seats(&ctx, o->org, office, factory, o->force));
        if (rc == 0) printf("seats of %s: office %lld, factory %lld (-1 = unlimited)\n", o->org, (long long)office,
                            (long long)factory);
    } else {
        usage();
        rc = 2;
    }
out:
    shutdown_all(db, cat);
    return rc;
}

static int cmd_outbox(opts *o)
{
    if (!o->db) { usage(); return 2; }
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, &db);
    if (!cat) return 1;
    gh_err err = {0};
    json_t *mails = gh_store_outbox_list(db, &err);
    int rc = mails ? 0 : 1;
    if (mails && o->json) {
        char *s = json_dumps(mails, JSON_INDENT(2));
        if (s) puts(s);
        free(s);
    } else if (mails) {
        size_t i;
        json_t *m;
        json_array_foreach(mails, i, m) {
            printf("--- %s  to %s  [%s]\nSubject: %s\n\n%s\n", json_string_value(json_object_get(m, "created_at")),
                   json_string_value(json_object_get(m, "to")), json_string_value(json_object_get(m, "status")),
                   json_string_value(json_object_get(m, "subject")), json_string_value(json_object_get(m, "body")));
        }
    }
    json_decref(mails);
    gh_err_clear(&err);
    shutdown_all(db, cat);
    return rc;
}

static int cmd_check(opts *o)
{
    if (!o->db || !o->org || !o->user || !o->permission) { usage(); return 2; }
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, &db);
    if (!cat) return 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}};
    gh_org org;
    gh_user u;
    int rc = 1;
    if (report(&ctx, gh_store_org_get_by_slug(db, o->org, &org, &ctx.err))) goto out;
    gh_status st = strchr(o->user, '@') ? gh_store_user_get_by_email(db, org.id, o->user, &u, &ctx.err)
                                        : gh_store_user_get(db, org.id, o->user, &u, &ctx.err);
    const char *reason = "denied";
    bool ok = st == GH_OK && gh_access_check(org.id, u.id, o->permission, &reason);
    gh_err_clear(&ctx.err);
    printf("%s\t%s\n", ok ? "allowed" : "denied", reason);
    rc = ok ? 0 : 3;
out:
    shutdown_all(db, cat);
    return rc;
}

static int cmd_backup(opts *o)
{
    if (!o->db || !o->to) { usage(); return 2; }
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, &db);
    if (!cat) return 1;
    sqlite3_stmt *st = NULL;
    int rc = 1;
    if (sqlite3_prepare_v2(gh_db_raw(db), "VACUUM INTO ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, o->to, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_DONE) rc = 0;
    }
    if (rc) fprintf(stderr, "gatehouse: backup failed: %s\n", sqlite3_errmsg(gh_db_raw(db)));
    else printf("backup written to %s\n", o->to);
    sqlite3_finalize(st);
    shutdown_all(db, cat);
    return rc;
}

static void print_route(const gh_route *r, void *arg)
{
    (void)arg;
    const char *auth = r->auth == GH_AUTH_NONE ? "none"
                       : r->auth == GH_AUTH_ANY ? "user,api_key"
                       : r->auth == GH_AUTH_KEY ? "api_key" : "user";
    const char *scope = gh_route_key_scope(r);
    const char *q = gh_route_query_params(r);
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r->method, r->pattern, auth, r->perm ? r->perm : "-", scope ? scope : "-",
           gh_route_perm_alt(r) ? gh_route_perm_alt(r) : "-", q && *q ? q : "-");
}

int main(int argc, char **argv)
{
    if (argc < 2) { usage(); return 2; }
    opts o = {0};
    if (parse_opts(argc, argv, 2, &o) != 0) { usage(); return 2; }
    /* Minimum hashing cost is for tests only: it is refused without the
     * test clock, which no production server runs with. It applies to every
     * command (init hashes the first administrator's password too). */
    if (o.test_cost) {
        if (!o.test_clock) {
            fputs("gatehouse: --test-cost is for tests only and needs --test-clock\n", stderr);
            return 2;
        }
        gh_secret_set_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0) return cmd_serve(&o);
    if (strcmp(cmd, "init") == 0) return cmd_init(&o);
    if (strcmp(cmd, "org") == 0) return cmd_org(&o);
    if (strcmp(cmd, "outbox") == 0) return cmd_outbox(&o);
    if (strcmp(cmd, "check") == 0) return cmd_check(&o);
    if (strcmp(cmd, "backup") == 0) return cmd_backup(&o);
    if (strcmp(cmd, "routes") == 0) { gh_router_each(print_route, NULL); return 0; }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) { puts("gatehouse " VERSION); return 0; }
    usage();
    return 2;
}
