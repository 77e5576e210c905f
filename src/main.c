/*
 * gatehouse: the server and the operator's CLI. The commands and their
 * options are one table in cli.h (`gatehouse help`, `gatehouse options`).
 *
 * Every subcommand that touches the database applies pending migrations
 * first, and changes made here reach running servers within a second (the
 * generation counter).
 *
 * Over 600 lines: one small function per CLI command; the composition
 * root that opens the store and starts the workers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "core/access.h"
#include "core/accounts.h"
#include "core/backups.h"
#include "core/esign.h"
#include "core/catalog.h"
#include "core/delivery.h"
#include "core/demo.h"
#include "core/outbound.h"
#include "core/orgbackup.h"
#include "core/roles.h"
#include "core/secret.h"
#include "core/idphttp.h"
#include "core/saml.h"
#include "core/secretbox.h"
#include "core/sso.h"
#include "api/api.h"
#include "http/http.h"
#include "http/router.h"
#include "store/backup.h"
#include "store/iofault.h"
#include "util/assets.h"
#include "util/json.h"
#include "util/log.h"

/* LeakSanitizer (test builds): xmlsec1 (under lasso) leaks one BIO each time
 * it first tries a key given as PEM text as a file name and fails
 * (xmlSecOpenSSLCreateReadFileBio); a library bug, not ours. libcrypto has
 * no frame pointers, so the fast unwinder sees only libcrypto's frames:
 * suppressed by library. gatehouse itself never calls libcrypto (GnuTLS
 * and libsodium do its cryptography). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:xmlSecOpenSSLCreateReadFileBio\nleak:libcrypto.so\n"; }

#define VERSION "0.1.0"

#define S(id) gh_cli_str(o, GH_OPT_##id)
#define F(id) gh_cli_flag(o, GH_OPT_##id)

static int usage(const gh_cli *o)
{
    gh_cli_help(stderr, o->cmd);
    return 2;
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
static gh_catalog *boot(const gh_cli *o, bool may_create, gh_db **db)
{
    const char *path = S(DB);
    if (!path) path = "var/gatehouse.db";
    if (gh_random_init() != 0 || gh_secret_init() != 0) {
        fprintf(stderr, "gatehouse: cannot initialise libsodium\n");
        return NULL;
    }
    gh_catalog *cat = catalog_load(S(CATALOG));
    if (!cat) return NULL;
    gh_cfg()->catalog = cat;
    /* Create the database's folders (./var by default), like mkdir -p. */
    /* A URL names a database server's database: no folder, no file. */
    const bool is_file = !gh_db_is_url(path);
    char dir[4096];
    if (is_file && may_create && gh_strlcpy(dir, path, sizeof dir)) {
        char *last = strrchr(dir, '/');
        for (char *p = dir + 1; last && p <= last; p++) {
            if (*p != '/') continue;
            *p = '\0';
            mkdir(dir, 0700); /* EEXIST is fine; other errors show at open */
            *p = '/';
        }
    }
    struct stat sb;
    if (is_file && !may_create && stat(path, &sb) != 0) {
        fprintf(stderr,
                "gatehouse: the database %s does not exist%s\n", path,
                o->cmd->bit == GH_C_SERVE ? " (serve --create makes a new one; check --db)" : " (check --db)");
        gh_catalog_free(cat);
        gh_cfg()->catalog = NULL;
        return NULL;
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
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".secret-key"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", dbpath, suffixes[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* Mail settings (issue 15) from the option table: flags, GATEHOUSE_SMTP_*
 * and GATEHOUSE_MAIL_FROM, the configuration file; the password from
 * --smtp-password-file, GATEHOUSE_SMTP_PASSWORD(_FILE), wiped once kept.
 * 0, or 2 with a message. */
static int configure_mail(const gh_cli *o)
{
    bool pw_given = false;
    char *pw = gh_cli_secret(o, GH_OPT_SMTP_PASSWORD, &pw_given);
    if (pw_given && !pw) return 2;
    gh_smtp_settings ms = {
        .url = S(SMTP_URL),
        .plain = F(SMTP_PLAIN),
        .user = S(SMTP_USER),
        .password = pw,
        .from = S(MAIL_FROM),
        .ca_file = S(SMTP_CA_FILE),
    };
    char err[256] = "";
    int rc = gh_delivery_configure(&ms, err, sizeof err);
    if (pw) {
        sodium_memzero(pw, strlen(pw));
        free(pw);
    }
    if (rc != 0) {
        fprintf(stderr, "gatehouse: %s\n", err);
        return 2;
    }
    return 0;
}

/* "HOST:PORT" (HOST may be a bracketed IPv6 address). */
static bool split_hostport(const char *s, char *host, size_t cap, int64_t *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= cap || !gh_parse_i64(colon + 1, 0, 65535, port)) return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    return true;
}

static int cmd_serve(gh_cli *o)
{
    char demo_dir[64] = "", demo_db[128] = "";
    bool demo = F(DEMO);
    if (gh_cli_num(o, GH_OPT_DEMO_SIZE) > 0 && !demo) {
        fputs("gatehouse: --demo-size goes with --demo\n", stderr);
        return 2;
    }
    if (demo) {
        const char *tmp = getenv("TMPDIR");
        snprintf(demo_dir, sizeof demo_dir, "%s/gatehouse-demo-XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(demo_dir)) {
            fprintf(stderr, "gatehouse: cannot create a temporary folder for the demo: %s\n", strerror(errno));
            return 1;
        }
        snprintf(demo_db, sizeof demo_db, "%s/demo.db", demo_dir);
        o->val[GH_OPT_DB] = demo_db;
        o->set[GH_OPT_DB] = true;
        o->set[GH_OPT_CREATE] = true;
        o->num[GH_OPT_CREATE] = 1;
    }
    const char *listen = S(LISTEN);
    if (!listen) listen = "127.0.0.1:8080";
    char host[256], mhost[256];
    int64_t port, mport = 0;
    if (!split_hostport(listen, host, sizeof host, &port)) {
        fprintf(stderr, "gatehouse: --listen takes HOST:PORT\n");
        return 2;
    }
    if (!S(TLS_CERT) != !S(TLS_KEY)) {
        fprintf(stderr, "gatehouse: --tls-cert and --tls-key go together\n");
        return 2;
    }
    int64_t backup_every = 0;
    if (!S(BACKUP_DIR) != !S(BACKUP_EVERY) || (S(BACKUP_EVERY) && !gh_duration_parse(S(BACKUP_EVERY), &backup_every))) {
        fprintf(stderr, "gatehouse: --backup-dir DIR and --backup-every DURATION (90s, 30m, 24h, 7d) go together\n");
        return 2;
    }
    if (S(METRICS_LISTEN) && !split_hostport(S(METRICS_LISTEN), mhost, sizeof mhost, &mport)) {
        fprintf(stderr, "gatehouse: --metrics-listen takes HOST:PORT\n");
        return 2;
    }
    gh_log_set_quiet(F(QUIET));
    gh_config *cfg = gh_cfg();
    cfg->test_clock = F(TEST_CLOCK);
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, F(CREATE), &db);
    if (!cat) {
        if (demo) remove_demo_dir(demo_dir, demo_db);
        return 1;
    }
    /* The secret box's key (core/secretbox.h): by default beside the database. */
    {
        const char *kf = S(SECRET_KEY_FILE);
        char kpath[4096], kerr[512];
        if (kf && *kf) gh_strlcpy(kpath, kf, sizeof kpath);
        else snprintf(kpath, sizeof kpath, "%s.secret-key", gh_db_path());
        if (gh_secretbox_init(kpath, kerr, sizeof kerr) != 0 || gh_idphttp_init(S(IDP_CA_FILE), kerr, sizeof kerr) != 0 ||
            gh_saml_init(kerr, sizeof kerr) != 0) {
            fprintf(stderr, "gatehouse: %s\n", kerr);
            shutdown_all(db, cat);
            if (demo) remove_demo_dir(demo_dir, demo_db);
            return 1;
        }
        (void)gh_pin_dummy_hash(); /* made now (at the PIN cost, peppered), not on a request */
    }
    gh_server_opts so = {.host = host, .port = (unsigned)port, .threads = gh_cli_num(o, GH_OPT_THREADS),
                         .per_ip_connections = gh_cli_num(o, GH_OPT_PER_IP_CONNECTIONS),
                         .request_deadline_s = gh_cli_num(o, GH_OPT_REQUEST_DEADLINE),
                         .drain_timeout_s = gh_cli_num(o, GH_OPT_DRAIN_TIMEOUT),
                         .metrics_host = S(METRICS_LISTEN) ? mhost : NULL, .metrics_port = (unsigned)mport,
                         .tls_cert = S(TLS_CERT), .tls_key = S(TLS_KEY)};
    int rc = 1;
    /* The base URL defaults to the listening address (resolved after bind for port 0). */
    const char *base = S(BASE_URL);
    if (base) gh_strlcpy(cfg->base_url, base, sizeof cfg->base_url);
    else snprintf(cfg->base_url, sizeof cfg->base_url, "%s://%s:%u", S(TLS_CERT) ? "https" : "http", host, (unsigned)port);
    size_t bl = strlen(cfg->base_url);
    while (bl > 0 && cfg->base_url[bl - 1] == '/') cfg->base_url[--bl] = '\0';
    cfg->secure_cookies = S(TLS_CERT) || strncmp(cfg->base_url, "https://", 8) == 0;
    if (demo) {
        gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "demo"};
        json_t *sum = NULL;
        if (report(&ctx, gh_demo_load(&ctx, &sum))) goto out;
        if (gh_cli_num(o, GH_OPT_DEMO_SIZE) > 0) {
            int64_t n = gh_cli_num(o, GH_OPT_DEMO_SIZE);
            double t0 = gh_mono_ms();
            if (report(&ctx, gh_demo_grow(&ctx, n, n / 10))) { json_decref(sum); goto out; }
            fprintf(stderr, "gatehouse: demo grown by %lld factory workers and %lld tasks in %.1f s\n", (long long)n,
                    (long long)(n / 10), (gh_mono_ms() - t0) / 1000.0);
        }
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
    if ((rc = configure_mail(o)) != 0) goto out;
    rc = 1;
    gh_server_block_signals(); /* before the poller and outbound threads start */
    if (gh_access_start_poller() != 0) goto out;
    if (S(BACKUP_DIR) && gh_backups_start(S(BACKUP_DIR), backup_every,
                                          gh_cli_num(o, GH_OPT_BACKUP_KEEP) ? gh_cli_num(o, GH_OPT_BACKUP_KEEP) : 14) != 0) {
        gh_access_stop_poller();
        goto out;
    }
    if (gh_outbound_start(4, 1024) != 0 || gh_delivery_start() != 0) {
        fprintf(stderr, "gatehouse: cannot start the outbound workers\n");
        gh_backups_stop();
        gh_access_stop_poller();
        gh_outbound_stop();
        goto out;
    }
    rc = gh_server_run(&so);
    gh_delivery_stop();
    gh_outbound_stop();
    gh_backups_stop();
    gh_access_stop_poller();
out:
    gh_delivery_forget();
    gh_db_thread_close();
    shutdown_all(db, cat);
    if (demo) remove_demo_dir(demo_dir, demo_db);
    return rc;
}

static char *prompt_password(const gh_cli *o)
{
    bool given = false;
    char *pw = gh_cli_secret(o, GH_OPT_ADMIN_PASSWORD, &given);
    if (given) return pw;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "gatehouse: give --admin-password-file FILE (or GATEHOUSE_ADMIN_PASSWORD) or run from a terminal\n");
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
    pw = strdup(buf);
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

static int cmd_init(gh_cli *o)
{
    if (!S(DB) || !S(ORG) || !S(ORG_NAME) || !S(ADMIN_EMAIL)) return usage(o);
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, true, &db);
    if (!cat) return 1;
    int rc = 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "cli"};
    gh_org_new n = {.slug = S(ORG), .name = S(ORG_NAME), .template_set = S(TEMPLATE),
                    .admin_email = S(ADMIN_EMAIL), .admin_name = S(ADMIN_NAME) ? S(ADMIN_NAME) : S(ADMIN_EMAIL)};
    char hash[GH_PWHASH_MAX];
    char *pw = NULL;
    if (report(&ctx, gh_org_validate_new(&ctx, &n))) goto out;
    if (!(pw = prompt_password(o))) goto out;
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

/* `org import`: an encrypted organization backup (POST /v1/backup) into this
 * database, in one transaction (core/orgbackup.h). */
static int org_import(gh_cli *o, gh_ctx *ctx)
{
    bool present = false;
    char *pass = gh_cli_secret(o, GH_OPT_PASSPHRASE, &present);
    FILE *in = NULL;
    int rc = 1;
    if (!S(FROM) || !present) {
        fprintf(stderr, "gatehouse org import: needs --from FILE and --passphrase-file FILE\n");
        rc = 2;
        goto out;
    }
    if (!pass) goto out;
    if (!(in = fopen(S(FROM), "rb"))) {
        fprintf(stderr, "gatehouse: cannot read %s: %s\n", S(FROM), strerror(errno));
        goto out;
    }
    gh_orgbackup_summary sum;
    if (gh_orgbackup_import(ctx, in, pass, S(AS_SLUG), &sum) != GH_OK) {
        fprintf(stderr, "gatehouse: import refused, nothing written: %s (%s)\n", ctx->err.detail, ctx->err.code);
        gh_err_clear(&ctx->err);
        goto out;
    }
    printf("imported organization %s (%s): %lld users, %lld roles, %lld groups, %lld audit events, %lld rows\n",
           sum.slug, sum.org_id, (long long)sum.users, (long long)sum.roles, (long long)sum.groups,
           (long long)sum.audit_events, (long long)sum.rows);
    rc = 0;
out:
    if (in) fclose(in);
    if (pass) {
        sodium_memzero(pass, strlen(pass));
        free(pass);
    }
    return rc;
}

static int cmd_org(gh_cli *o)
{
    if (o->nargs < 1 || !S(DB)) return usage(o);
    const char *sub = o->args[0];
    gh_db *db = NULL;
    /* import may make a new database: restoring into an empty server */
    gh_catalog *cat = boot(o, strcmp(sub, "import") == 0, &db);
    if (!cat) return 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "cli"};
    int rc = 1;
    if (strcmp(sub, "list") == 0) {
        rc = report(&ctx, gh_store_org_each(db, print_org, NULL, &ctx.err));
    } else if (strcmp(sub, "modules") == 0 || strcmp(sub, "addons") == 0) {
        if (!S(ORG)) { rc = usage(o); goto out; }
        json_t *keys = json_array();
        for (int i = 1; i < o->nargs; i++)
            if (strcmp(o->args[i], "core") != 0) json_array_append_new(keys, json_string(o->args[i]));
        rc = report(&ctx, gh_org_set_modules(&ctx, S(ORG), keys, strcmp(sub, "addons") == 0));
        json_decref(keys);
        if (rc == 0) printf("%s of %s set\n", sub, S(ORG));
    } else if (strcmp(sub, "allow-ips") == 0) {
        /* The org's IP allowlist; no networks: any address. The operator's
         * way back in when an org has locked itself out of its networks. */
        if (!S(ORG)) { rc = usage(o); goto out; }
        json_t *nets = json_array();
        for (int i = 1; i < o->nargs; i++) json_array_append_new(nets, json_string(o->args[i]));
        rc = report(&ctx, gh_org_set_ip_allowlist(&ctx, S(ORG), nets));
        json_decref(nets);
        if (rc == 0) printf("IP allowlist of %s set (%s)\n", S(ORG), o->nargs > 1 ? "listed networks only" : "any address");
    } else if (strcmp(sub, "setup-link") == 0) {
        /* One more organization through the web setup page. */
        char token[GH_TOKEN_LEN + 1];
        const char *base = S(BASE_URL);
        rc = report(&ctx, gh_setup_token_issue(&ctx, true, token));
        if (rc == 0) printf("%s/console/setup?token=%s\n", base && *base ? base : "http://127.0.0.1:8080", token);
        sodium_memzero(token, sizeof token);
    } else if (strcmp(sub, "seats") == 0) {
        gh_org org;
        if (!S(ORG)) { rc = usage(o); goto out; }
        if (report(&ctx, gh_store_org_get_by_slug(db, S(ORG), &org, &ctx.err))) goto out;
        int64_t office = org.seats_office, factory = org.seats_factory;
        if (!seat_value(S(OFFICE), &office) || !seat_value(S(FACTORY), &factory)) {
            fprintf(stderr, "gatehouse: seats are a number or 'unlimited'\n");
            rc = 2;
            goto out;
        }
        rc = report(&ctx, gh_org_set_seats(&ctx, S(ORG), office, factory, F(FORCE)));
        if (rc == 0) printf("seats of %s: office %lld, factory %lld (-1 = unlimited)\n", S(ORG), (long long)office,
                            (long long)factory);
    } else if (strcmp(sub, "import") == 0) {
        rc = org_import(o, &ctx);
    } else {
        fprintf(stderr, "gatehouse org: unknown subcommand '%s'\n", sub);
        rc = usage(o);
    }
out:
    shutdown_all(db, cat);
    return rc;
}

/* Reads the JSON of `sso set` from path ("-" or NULL: standard input), at
 * most 1 MiB. NULL after a message. */
static json_t *read_sso_json(const char *path)
{
    bool use_stdin = !path || strcmp(path, "-") == 0;
    FILE *in = use_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "gatehouse: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    json_error_t je;
    json_t *b = json_loadf(in, JSON_REJECT_DUPLICATES, &je);
    if (!use_stdin) fclose(in);
    if (!b) {
        fprintf(stderr, "gatehouse: %s is not JSON: %s (line %d)\n", use_stdin ? "standard input" : path, je.text,
                je.line);
        return NULL;
    }
    if (!json_is_object(b)) {
        fprintf(stderr, "gatehouse: the configuration is a JSON object (fields as PUT /v1/org/sso)\n");
        gh_json_wipe_strings(b);
        json_decref(b);
        return NULL;
    }
    return b;
}

static void print_json(json_t *v)
{
    char *s = v ? json_dumps(v, JSON_INDENT(2)) : NULL;
    if (s) puts(s);
    free(s);
}

/* sso show|set [FILE|-]|delete|test: the org's company sign-in, as
 * GET/PUT/DELETE /v1/org/sso and POST /v1/org/sso/test do it, by the
 * operator (the system actor, audited like the API's writes). The client
 * secret is sealed in the secret box and never printed. */
static int cmd_sso(gh_cli *o)
{
    if (o->nargs < 1 || !S(DB) || !S(ORG)) return usage(o);
    const char *sub = o->args[0];
    bool is_set = strcmp(sub, "set") == 0;
    if (o->nargs > (is_set ? 2 : 1) ||
        (!is_set && strcmp(sub, "show") != 0 && strcmp(sub, "delete") != 0 && strcmp(sub, "test") != 0)) {
        fprintf(stderr, "gatehouse sso: unknown subcommand or argument '%s'\n", o->args[o->nargs > 1 ? 1 : 0]);
        return usage(o);
    }
    json_t *body = NULL, *out = NULL;
    gh_sso_test *t = NULL;
    if (is_set && !(body = read_sso_json(o->nargs > 1 ? o->args[1] : NULL))) return 1;
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, false, &db);
    int rc = 1;
    if (!cat) goto done;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}, .ip = "", .request_id = "cli"};
    gh_org org;
    const char *kf = S(SECRET_KEY_FILE), *base = S(BASE_URL);
    char kpath[4096], kerr[512];
    if (kf && *kf) gh_strlcpy(kpath, kf, sizeof kpath);
    else snprintf(kpath, sizeof kpath, "%s.secret-key", gh_db_path());
    /* The server's key, never a new one: a secret sealed under a key the
     * server does not hold could not be opened at sign-in. */
    struct stat ks;
    if (stat(kpath, &ks) != 0) {
        fprintf(stderr, "gatehouse: the secret key file %s does not exist: give the server's --secret-key-file "
                        "(the server makes it at its first start)\n", kpath);
        goto out;
    }
    if (gh_secretbox_init(kpath, kerr, sizeof kerr) != 0 || gh_idphttp_init(S(IDP_CA_FILE), kerr, sizeof kerr) != 0 ||
        gh_saml_init(kerr, sizeof kerr) != 0) {
        fprintf(stderr, "gatehouse: %s\n", kerr);
        goto out;
    }
    /* The URLs the IdP is told (redirect URI, SAML entity id): the server's. */
    gh_config *cfg = gh_cfg();
    gh_strlcpy(cfg->base_url, base && *base ? base : "http://127.0.0.1:8080", sizeof cfg->base_url);
    size_t bl = strlen(cfg->base_url);
    while (bl > 0 && cfg->base_url[bl - 1] == '/') cfg->base_url[--bl] = '\0';
    if (report(&ctx, gh_store_org_get_by_slug(db, S(ORG), &org, &ctx.err))) goto out;
    gh_strlcpy(ctx.actor.org_id, org.id, sizeof ctx.actor.org_id);
    if (strcmp(sub, "show") == 0) {
        if (report(&ctx, gh_sso_get(&ctx, &out))) goto out;
        print_json(out);
        rc = 0;
    } else if (is_set) {
        if (!gh_api_sso_body_check(body, &ctx.err)) { rc = report(&ctx, GH_E_INVALID); goto out; }
        if (report(&ctx, gh_sso_put(&ctx, body, &out))) goto out;
        print_json(out);
        rc = 0;
    } else if (strcmp(sub, "delete") == 0) {
        if (report(&ctx, gh_sso_delete(&ctx))) goto out;
        printf("company sign-in of %s removed\n", org.slug);
        rc = 0;
    } else {
        /* The IdP calls run here, on this thread: no HTTP request waits. */
        if (report(&ctx, gh_sso_test_prepare(&ctx, &t))) goto out;
        gh_sso_test_run(t);
        if (report(&ctx, gh_sso_test_finish(&ctx, t, &out))) goto out;
        print_json(out);
        rc = json_is_true(json_object_get(out, "ok")) ? 0 : 5;
    }
out:
    if (t) gh_sso_test_free(t);
    shutdown_all(db, cat);
done:
    json_decref(out);
    if (body) {
        gh_json_wipe_strings(body);
        json_decref(body);
    }
    return rc;
}

static int cmd_outbox(gh_cli *o)
{
    if (!S(DB)) return usage(o);
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, false, &db);
    if (!cat) return 1;
    gh_err err = {0};
    json_t *mails = gh_store_outbox_list(db, NULL, 0, &err);
    int rc = mails ? 0 : 1;
    if (mails && F(JSON)) {
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

/* gatehouse mail test --to ADDR: one message with the configured settings. */
static int cmd_mail(gh_cli *o)
{
    if (o->nargs < 1 || strcmp(o->args[0], "test") != 0 || !S(TO)) return usage(o);
    int rc = configure_mail(o);
    if (rc != 0) return rc;
    char org_name[GH_NAME_MAX + 1] = "gatehouse";
    if (S(DB)) {
        gh_db *db = NULL;
        gh_catalog *cat = boot(o, false, &db);
        if (!cat) { gh_delivery_forget(); return 1; }
        gh_org org;
        gh_err err = {0};
        if (gh_store_org_get_single(db, &org, &err) == GH_OK) gh_strlcpy(org_name, org.name, sizeof org_name);
        gh_err_clear(&err);
        shutdown_all(db, cat);
    }
    char reply[600];
    rc = gh_delivery_send_test(S(TO), org_name, reply, sizeof reply) == 0 ? 0 : 1;
    printf("%s: %s\n", rc == 0 ? "sent" : "not sent", reply);
    gh_delivery_forget();
    return rc;
}

static int cmd_check(gh_cli *o)
{
    if (!S(DB) || !S(ORG) || !S(USER) || !S(PERMISSION)) return usage(o);
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, false, &db);
    if (!cat) return 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}};
    gh_org org;
    gh_user u;
    int rc = 1;
    if (report(&ctx, gh_store_org_get_by_slug(db, S(ORG), &org, &ctx.err))) goto out;
    gh_status st = strchr(S(USER), '@') ? gh_store_user_get_by_email(db, org.id, S(USER), &u, &ctx.err)
                                        : gh_store_user_get(db, org.id, S(USER), &u, &ctx.err);
    const char *reason = "denied";
    bool ok = st == GH_OK && gh_access_check(org.id, u.id, S(PERMISSION), &reason);
    gh_err_clear(&ctx.err);
    printf("%s\t%s\n", ok ? "allowed" : "denied", reason);
    rc = ok ? 0 : 3;
out:
    shutdown_all(db, cat);
    return rc;
}

/* signatures verify: walks the org's signature chain (core/esign.h). Exit 0
 * intact, 4 broken. */
static int cmd_signatures(gh_cli *o)
{
    if (o->nargs != 1 || strcmp(o->args[0], "verify") != 0 || !S(DB) || !S(ORG)) return usage(o);
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, false, &db);
    if (!cat) return 1;
    gh_ctx ctx = {.db = db, .actor = {.type = GH_ACTOR_SYSTEM}};
    gh_org org;
    gh_esign_verdict v;
    int rc = 1;
    if (report(&ctx, gh_store_org_get_by_slug(db, S(ORG), &org, &ctx.err))) goto out;
    if (report(&ctx, gh_esign_verify(db, org.id, &v, &ctx.err))) goto out;
    if (v.ok) {
        printf("OK\t%lld signature%s\n", (long long)v.count, v.count == 1 ? "" : "s");
        rc = 0;
    } else {
        printf("BROKEN\tseq %lld\t%s\t%s\n", (long long)v.broken_seq, v.reason, v.broken_id[0] ? v.broken_id : "-");
        rc = 4;
    }
    printf("head\t%lld\t%s\n", (long long)v.head_seq, v.head_hash[0] ? v.head_hash : "-");
out:
    shutdown_all(db, cat);
    return rc;
}

static int cmd_backup(gh_cli *o)
{
    if (!S(DB) || !S(TO)) return usage(o);
    gh_db *db = NULL;
    gh_catalog *cat = boot(o, false, &db);
    if (!cat) return 1;
    char err[600];
    int rc = gh_store_backup_write(db, S(TO), err, sizeof err) == 0 ? 0 : 1;
    if (rc) fprintf(stderr, "gatehouse: backup failed: %s\n", err);
    else printf("backup written to %s (the secret key file is not in it: keep it apart)\n", S(TO));
    shutdown_all(db, cat);
    return rc;
}

/* Checks a whole-database backup and installs it as --db: integrity, schema
 * version not newer than this binary, an existing database only with
 * --force; then migrates it and says what it holds. */
static int cmd_restore(gh_cli *o)
{
    if (!S(DB) || !S(FROM)) return usage(o);
    const char *from = S(FROM), *to = S(DB);
    char err[600];
    gh_backup_info info;
    struct stat sb;
    if (gh_store_backup_inspect(from, &info, err, sizeof err) != 0) {
        fprintf(stderr, "gatehouse: restore refused: %s\n", err);
        return 1;
    }
    if (stat(to, &sb) == 0 && !F(FORCE)) {
        fprintf(stderr, "gatehouse: restore refused: %s exists (stop the servers using it and add --force to "
                        "replace it)\n", to);
        return 1;
    }
    if (gh_store_backup_install(from, to, err, sizeof err) != 0) {
        fprintf(stderr, "gatehouse: restore failed: %s\n", err);
        return 1;
    }
    gh_db *db = NULL;
    if (gh_db_open(to, &db, err, sizeof err) != 0 || gh_db_migrate(db, err, sizeof err) != 0) {
        fprintf(stderr, "gatehouse: the restored database does not open: %s\n", err);
        gh_db_close(db);
        return 1;
    }
    printf("restored %s to %s: schema version %lld (now %d), %lld organization%s, %lld user%s, %lld audit event%s\n",
           from, to, (long long)info.schema_version, gh_db_schema_version(), (long long)info.orgs,
           info.orgs == 1 ? "" : "s", (long long)info.users, info.users == 1 ? "" : "s", (long long)info.audit_events,
           info.audit_events == 1 ? "" : "s");
    gh_db_close(db);
    return 0;
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

static int run(gh_cli *o)
{
    const char *cmd = o->cmd->name;
    if (o->help) { gh_cli_help(stdout, o->cmd); return 0; }
    if (o->cmd->bit != GH_C_ORG && o->cmd->bit != GH_C_HELP && o->cmd->bit != GH_C_MAIL &&
        o->cmd->bit != GH_C_SIGNATURES && o->cmd->bit != GH_C_SSO && o->nargs > 0) {
        fprintf(stderr, "gatehouse %s: unexpected argument '%s'\n", cmd, o->args[0]);
        return usage(o);
    }
    if (strcmp(cmd, "serve") == 0) return cmd_serve(o);
    if (strcmp(cmd, "init") == 0) return cmd_init(o);
    if (strcmp(cmd, "org") == 0) return cmd_org(o);
    if (strcmp(cmd, "outbox") == 0) return cmd_outbox(o);
    if (strcmp(cmd, "mail") == 0) return cmd_mail(o);
    if (strcmp(cmd, "check") == 0) return cmd_check(o);
    if (strcmp(cmd, "signatures") == 0) return cmd_signatures(o);
    if (strcmp(cmd, "sso") == 0) return cmd_sso(o);
    if (strcmp(cmd, "backup") == 0) return cmd_backup(o);
    if (strcmp(cmd, "restore") == 0) return cmd_restore(o);
    if (strcmp(cmd, "routes") == 0) { gh_router_each(print_route, NULL); return 0; }
    if (strcmp(cmd, "options") == 0) { gh_cli_print_table(stdout); return 0; }
    if (strcmp(cmd, "version") == 0) { puts("gatehouse " VERSION); return 0; }
    /* help [COMMAND] */
    if (o->nargs == 0) { gh_cli_help(stdout, NULL); return 0; }
    const gh_cmd *c = gh_cmd_find(o->args[0]);
    if (!c || o->nargs > 1) {
        fprintf(stderr, "gatehouse help: unknown command '%s'\n", o->args[0]);
        gh_cli_help(stderr, NULL);
        return 2;
    }
    gh_cli_help(stdout, c);
    return 0;
}

int main(int argc, char **argv)
{
    /* Database, WAL, backups and keys are the service's alone: files 0600,
     * folders 0700. */
    umask(077);
    gh_cli cli;
    int rc = gh_cli_parse(&cli, argc, argv);
    /* Minimum hashing cost is for tests only: it is refused without the
     * test clock, which no production server runs with. It applies to every
     * command (init hashes the first administrator's password too). */
    if (rc == 0 && gh_cli_flag(&cli, GH_OPT_TEST_COST)) {
        if (!gh_cli_flag(&cli, GH_OPT_TEST_CLOCK)) {
            fputs("gatehouse: --test-cost is for tests only and needs --test-clock\n", stderr);
            rc = 2;
        } else {
            gh_secret_set_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
        }
    }
    /* The I/O fault shim likewise (store/iofault.h): registered before the
     * first database is opened. */
    if (rc == 0 && gh_cli_flag(&cli, GH_OPT_TEST_IO_FAULTS)) {
        if (!gh_cli_flag(&cli, GH_OPT_TEST_CLOCK)) {
            fputs("gatehouse: --test-io-faults is for tests only and needs --test-clock\n", stderr);
            rc = 2;
        } else if (gh_iofault_enable() != 0) {
            fputs("gatehouse: cannot install the I/O fault shim\n", stderr);
            rc = 1;
        }
    }
    if (rc == 0) rc = run(&cli);
    gh_cli_release(&cli);
    return rc;
}
