/* The option table, getopt_long, GATEHOUSE_* variables and the configuration
 * file (see cli.h for precedence and how to add an option). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "util/util.h"

#ifndef GH_DEFAULT_CONFIG
#define GH_DEFAULT_CONFIG ""
#endif

const gh_opt gh_opts[GH_OPT_COUNT] = {
#define GH_OPT_ROW(id, nm, k, c, m, mx, h) [GH_OPT_##id] = {.name = nm, .kind = k, .cmds = c, .meta = m, .max = mx, .help = h},
    GH_OPTIONS(GH_OPT_ROW)
#undef GH_OPT_ROW
};

const gh_cmd gh_cmds[] = {
    {"serve", GH_C_SERVE, "[options]", "serve the API, the console and the kiosk pages"},
    {"init", GH_C_INIT, "--db PATH --org SLUG --org-name NAME --admin-email EMAIL [options]",
     "create an organization and its first administrator (password: --admin-password-file, "
     "GATEHOUSE_ADMIN_PASSWORD or the terminal)"},
    {"org", GH_C_ORG,
     "list|modules KEY...|addons KEY...|seats|allow-ips [CIDR...]|setup-link|import --db PATH [--org SLUG] [options]",
     "list organizations; set an organization's modules, add-ons, seat limits or IP allowlist (no CIDR: any "
     "address); print a one-time link (24 h) that creates one more organization; import an encrypted "
     "organization backup (--from FILE --passphrase-file F [--as-slug NEW])"},
    {"outbox", GH_C_OUTBOX, "--db PATH [--json]", "print the mails with their delivery status"},
    {"mail", GH_C_MAIL, "test --to ADDR [--db PATH] [options]",
     "send a test message with the mail settings and print the server's answer"},
    {"check", GH_C_CHECK, "--db PATH --org SLUG --user EMAIL|ID --permission KEY",
     "does the user hold the permission? (exit 0 allowed, 3 denied)"},
    {"signatures", GH_C_SIGNATURES, "verify --db PATH --org SLUG",
     "verify the organization's chain of electronic signatures: prints OK or the first broken link, and the "
     "chain head (exit 0 intact, 4 broken)"},
    {"sso", GH_C_SSO, "show|set [FILE|-]|delete|test --db PATH --org SLUG [options]",
     "show, replace (a JSON file or standard input, fields as PUT /v1/org/sso), remove or test an "
     "organization's company sign-in; audited, the client secret is never printed"},
    {"backup", GH_C_BACKUP, "--db PATH --to FILE", "write a consistent copy of the whole database (the server may run)"},
    {"restore", GH_C_RESTORE, "--from FILE --db PATH [--force]",
     "check a backup (integrity, schema version) and install it as the database"},
    {"routes", GH_C_ROUTES, "", "print the route table: method, path, auth, permission, API key scope, alternative, "
                                "query parameters"},
    {"options", GH_C_OPTIONS, "", "print every option: command, flag, environment variable, configuration key"},
    {"version", GH_C_VERSION, "", "print the version (also --version)"},
    {"help", GH_C_HELP, "[COMMAND]", "print the usage of every command, or of one (also COMMAND --help)"},
    {NULL, 0, NULL, NULL},
};

const gh_cmd *gh_cmd_find(const char *name)
{
    for (const gh_cmd *c = gh_cmds; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

/* "per-ip-connections" -> "GATEHOUSE_PER_IP_CONNECTIONS" (+ suffix). */
static void env_name(const char *name, const char *suffix, char *out, size_t cap)
{
    size_t n = 0;
    const char *prefix = "GATEHOUSE_";
    for (const char *p = prefix; *p && n + 1 < cap; p++) out[n++] = *p;
    for (const char *p = name; *p && n + 1 < cap; p++) out[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    for (const char *p = suffix; *p && n + 1 < cap; p++) out[n++] = *p;
    out[n] = '\0';
}

/* The flag's long name: a secret's flag takes a file. */
static void flag_name(const gh_opt *o, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", o->name, o->kind == GH_K_SECRET ? "-file" : "");
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) { *out = true; return true; }
        if (strcmp(s, no[i]) == 0) { *out = false; return true; }
    }
    return false;
}

/* Stores one value after checking it; source names where it came from. */
static int set_value(gh_cli *cli, gh_opt_id id, const char *value, bool from_file, const char *source)
{
    const gh_opt *o = &gh_opts[id];
    /* "--threads takes ...", "FILE:3: threads takes ...", "GATEHOUSE_THREADS: threads takes ..." */
    bool is_flag = strncmp(source, "--", 2) == 0;
    const char *sep = is_flag ? "" : ": ", *name = is_flag ? "" : o->name;
    if (o->kind == GH_K_FLAG) {
        bool b = true;
        if (value && !parse_bool(value, &b)) {
            fprintf(stderr, "gatehouse: %s%s%s takes 1/0, true/false or yes/no, not '%s'\n", source, sep, name, value);
            return 2;
        }
        cli->num[id] = b;
    } else if (o->kind == GH_K_NUM) {
        if (!value || !gh_parse_i64(value, 1, o->max, &cli->num[id])) {
            fprintf(stderr, "gatehouse: %s%s%s takes a number from 1 to %lld\n", source, sep, name, (long long)o->max);
            return 2;
        }
    } else if (!value || !*value) {
        fprintf(stderr, "gatehouse: %s%s%s needs a value\n", source, sep, name);
        return 2;
    }
    cli->val[id] = value;
    cli->from_file[id] = from_file;
    cli->set[id] = true;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
    return s;
}

/* key = value lines; '#' starts a comment line; keys are option names
 * (dashes or underscores), a secret's key also with -file. Every key must
 * be known (an error names FILE:LINE); keys of options the command does not
 * take are skipped, so one file serves every command. */
static int read_config(gh_cli *cli, const char *path, bool must_exist)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT) return 0;
        fprintf(stderr, "gatehouse: cannot read the configuration file %s: %s\n", path, strerror(errno));
        return 2;
    }
    int rc = 2;
    char line[4096];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "gatehouse: %s:%u: line too long\n", path, lineno);
            goto out;
        }
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "gatehouse: %s:%u: expected key = value\n", path, lineno);
            goto out;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') { value[vl - 1] = '\0'; value++; }
        for (char *p = key; *p; p++)
            if (*p == '_') *p = '-';
        gh_opt_id found = GH_OPT_COUNT;
        bool file = false;
        for (int i = 0; i < GH_OPT_COUNT; i++) {
            char fname[96];
            flag_name(&gh_opts[i], fname, sizeof fname);
            if (strcmp(key, gh_opts[i].name) == 0) { found = (gh_opt_id)i; file = false; break; }
            if (gh_opts[i].kind == GH_K_SECRET && strcmp(key, fname) == 0) { found = (gh_opt_id)i; file = true; break; }
        }
        if (found == GH_OPT_COUNT || found == GH_OPT_CONFIG) {
            fprintf(stderr, "gatehouse: %s:%u: unknown key '%s'\n", path, lineno, key);
            goto out;
        }
        if (!(gh_opts[found].cmds & cli->cmd->bit) || cli->set[found]) continue; /* not ours, or given already */
        char *copy = strdup(value);
        if (!copy) { fprintf(stderr, "gatehouse: out of memory\n"); goto out; }
        free(cli->owned[found]);
        cli->owned[found] = copy;
        char where[600];
        snprintf(where, sizeof where, "%s:%u", path, lineno);
        if (set_value(cli, found, copy, file, where) != 0) goto out;
    }
    if (ferror(f)) {
        fprintf(stderr, "gatehouse: cannot read the configuration file %s\n", path);
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(line, sizeof line);
    fclose(f);
    return rc;
}

int gh_cli_parse(gh_cli *cli, int argc, char **argv)
{
    memset(cli, 0, sizeof *cli);
    if (argc < 2) {
        gh_cli_help(stderr, NULL);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli->cmd = gh_cmd_find("help");
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        cli->cmd = gh_cmd_find("version");
        return 0;
    }
    cli->cmd = gh_cmd_find(argv[1]);
    if (!cli->cmd) {
        fprintf(stderr, "gatehouse: unknown command '%s' (gatehouse help lists them)\n", argv[1]);
        return 2;
    }
    /* getopt_long over this command's options; the value of an option is
     * its index + 256. */
    struct option longs[GH_OPT_COUNT + 2];
    char names[GH_OPT_COUNT][96];
    size_t n = 0;
    for (int i = 0; i < GH_OPT_COUNT; i++) {
        if (!(gh_opts[i].cmds & cli->cmd->bit)) continue;
        flag_name(&gh_opts[i], names[i], sizeof names[i]);
        longs[n++] = (struct option){names[i], gh_opts[i].kind == GH_K_FLAG ? no_argument : required_argument, NULL,
                                     256 + i};
    }
    longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    opterr = 0;
    optind = 1;
    int c, li;
    /* "-": operands come back as 1, in order (org modules KEY...). */
    while ((c = getopt_long(sub_argc, sub_argv, "-:h", longs, &li)) != -1) {
        if (c == 'h') { cli->help = true; continue; }
        if (c == 1) {
            if (cli->nargs >= GH_CLI_MAX_ARGS) {
                fprintf(stderr, "gatehouse %s: too many arguments\n", cli->cmd->name);
                return 2;
            }
            cli->args[cli->nargs++] = optarg;
            continue;
        }
        if (c == '?' || c == ':') {
            const char *bad = sub_argv[optind - 1];
            fprintf(stderr, "gatehouse %s: %s option %s (gatehouse %s --help lists the options)\n", cli->cmd->name,
                    c == ':' ? "a value is missing for" : "unknown", bad, cli->cmd->name);
            return 2;
        }
        gh_opt_id id = (gh_opt_id)(c - 256);
        char source[128];
        snprintf(source, sizeof source, "--%s", names[id]);
        if (set_value(cli, id, gh_opts[id].kind == GH_K_FLAG ? NULL : optarg, gh_opts[id].kind == GH_K_SECRET,
                      source) != 0)
            return 2;
    }
    if (cli->help) return 0;
    /* Then the environment, for what the flags left open. */
    for (int i = 0; i < GH_OPT_COUNT; i++) {
        if (cli->set[i] || !(gh_opts[i].cmds & cli->cmd->bit)) continue;
        char env[128];
        env_name(gh_opts[i].name, "", env, sizeof env);
        const char *v = getenv(env);
        bool file = false;
        if ((!v || !*v) && gh_opts[i].kind == GH_K_SECRET) {
            env_name(gh_opts[i].name, "_FILE", env, sizeof env);
            v = getenv(env);
            file = true;
        }
        if (v && *v && set_value(cli, (gh_opt_id)i, v, file, env) != 0) return 2;
    }
    /* Then the configuration file. */
    if (cli->cmd->bit & gh_opts[GH_OPT_CONFIG].cmds) {
        const char *cfg = gh_cli_str(cli, GH_OPT_CONFIG);
        if (cfg) return read_config(cli, cfg, true);
        if (*GH_DEFAULT_CONFIG) return read_config(cli, GH_DEFAULT_CONFIG, false);
    }
    return 0;
}

void gh_cli_release(gh_cli *cli)
{
    for (int i = 0; i < GH_OPT_COUNT; i++) {
        if (!cli->owned[i]) continue;
        sodium_memzero(cli->owned[i], strlen(cli->owned[i]));
        free(cli->owned[i]);
        cli->owned[i] = NULL;
    }
}

const char *gh_cli_str(const gh_cli *cli, gh_opt_id id) { return cli->set[id] ? cli->val[id] : NULL; }
bool gh_cli_flag(const gh_cli *cli, gh_opt_id id) { return cli->set[id] && cli->num[id] != 0; }
unsigned gh_cli_num(const gh_cli *cli, gh_opt_id id) { return cli->set[id] ? (unsigned)cli->num[id] : 0; }

char *gh_cli_secret(const gh_cli *cli, gh_opt_id id, bool *present)
{
    *present = cli->set[id];
    if (!cli->set[id]) return NULL;
    if (!cli->from_file[id]) {
        char *s = strdup(cli->val[id]);
        if (!s) fprintf(stderr, "gatehouse: out of memory\n");
        return s;
    }
    FILE *f = fopen(cli->val[id], "r");
    if (!f) {
        fprintf(stderr, "gatehouse: cannot read %s: %s\n", cli->val[id], strerror(errno));
        return NULL;
    }
    char buf[4096];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    bool bad = ferror(f) || (len == sizeof buf - 1 && fgetc(f) != EOF);
    fclose(f);
    char *s = NULL;
    if (bad) {
        fprintf(stderr, "gatehouse: %s: unreadable or longer than %zu bytes\n", cli->val[id], sizeof buf - 1);
    } else {
        buf[len] = '\0';
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
        s = strdup(buf);
        if (!s) fprintf(stderr, "gatehouse: out of memory\n");
    }
    sodium_memzero(buf, sizeof buf);
    return s;
}

static void help_one(FILE *out, const gh_cmd *c, bool options)
{
    fprintf(out, "gatehouse %s%s%s\n      %s\n", c->name, *c->synopsis ? " " : "", c->synopsis, c->summary);
    if (!options) return;
    bool any = false;
    for (int i = 0; i < GH_OPT_COUNT; i++) {
        const gh_opt *o = &gh_opts[i];
        if (!(o->cmds & c->bit)) continue;
        if (!any) fputs("options (flag, environment variable; the config key is the flag's name):\n", out);
        any = true;
        char flag[128], env[128];
        flag_name(o, flag, sizeof flag);
        env_name(o->name, "", env, sizeof env);
        char left[160];
        snprintf(left, sizeof left, "--%s%s%s", flag, o->meta && o->kind != GH_K_FLAG ? " " : "",
                 o->meta && o->kind != GH_K_FLAG ? o->meta : "");
        fprintf(out, "  %-30s %s\n  %-30s   [%s%s%s]\n", left, o->help, "", env,
                o->kind == GH_K_SECRET ? ", " : "", o->kind == GH_K_SECRET ? "or its _FILE" : "");
    }
    fputs("  --help, -h                     this text\n", out);
}

void gh_cli_help(FILE *out, const gh_cmd *cmd)
{
    if (cmd) {
        fputs("usage: ", out);
        help_one(out, cmd, true);
        fputs("Precedence: flag, then GATEHOUSE_* variable, then --config FILE, then default.\n", out);
        return;
    }
    fputs("usage: gatehouse COMMAND [options]   (gatehouse help COMMAND, or COMMAND --help, for its options)\n"
          "commands:\n",
          out);
    for (const gh_cmd *c = gh_cmds; c->name; c++) help_one(out, c, false);
}

void gh_cli_print_table(FILE *out)
{
    for (const gh_cmd *c = gh_cmds; c->name; c++)
        for (int i = 0; i < GH_OPT_COUNT; i++) {
            const gh_opt *o = &gh_opts[i];
            if (!(o->cmds & c->bit)) continue;
            char flag[128], env[128];
            flag_name(o, flag, sizeof flag);
            env_name(o->name, "", env, sizeof env);
            fprintf(out, "%s\t--%s\t%s\t%s\n", c->name, flag, env, flag);
        }
}
