/*
 * The command line, environment and configuration file of gatehouse: one
 * table of options that getopt_long, `--help`, `gatehouse options`, the
 * environment (GATEHOUSE_*) and the configuration file all read.
 *
 * Precedence, highest first: the command line flag, the environment variable,
 * the configuration file (`--config FILE`, GATEHOUSE_CONFIG, or when built
 * with -DGH_DEFAULT_CONFIG=/etc/gatehouse/gatehouse.conf that file if it
 * exists), the built-in default.
 *
 * ADDING AN OPTION is one line in GH_OPTIONS below:
 *
 *     X(SMTP_HOST, "smtp-host", GH_K_STR, GH_C_SERVE, "HOST", 0, "SMTP server for outgoing mail")
 *
 * That line gives the flag --smtp-host HOST, the environment variable
 * GATEHOUSE_SMTP_HOST, the configuration key `smtp-host` (or smtp_host), a
 * line in `gatehouse serve --help` and in `gatehouse options`. Read it in the
 * command with gh_cli_str(cli, GH_OPT_SMTP_HOST) (NULL when not given).
 *   kinds: GH_K_FLAG (no value; env/config take 1/0/true/false/yes/no),
 *          GH_K_STR, GH_K_NUM (1..max, read with gh_cli_num),
 *          GH_K_SECRET (a secret: the flag and config key get "-file" and take
 *          a path, e.g. --smtp-password-file F / GATEHOUSE_SMTP_PASSWORD_FILE;
 *          the plain GATEHOUSE_SMTP_PASSWORD / `smtp-password =` also work;
 *          read with gh_cli_secret, wipe and free the result).
 *   cmds: the GH_C_* bits of the commands that accept it.
 */
#ifndef GH_CLI_H
#define GH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    GH_C_SERVE = 1u << 0,
    GH_C_INIT = 1u << 1,
    GH_C_ORG = 1u << 2,
    GH_C_OUTBOX = 1u << 3,
    GH_C_CHECK = 1u << 4,
    GH_C_BACKUP = 1u << 5,
    GH_C_RESTORE = 1u << 6,
    GH_C_ROUTES = 1u << 7,
    GH_C_VERSION = 1u << 8,
    GH_C_HELP = 1u << 9,
    GH_C_OPTIONS = 1u << 10,
    GH_C_MAIL = 1u << 11,
    GH_C_SIGNATURES = 1u << 12,
    GH_C_SSO = 1u << 13,
};
/* Commands that open a database. */
#define GH_C_DB (GH_C_SERVE | GH_C_INIT | GH_C_ORG | GH_C_OUTBOX | GH_C_CHECK | GH_C_BACKUP | GH_C_RESTORE | GH_C_MAIL | GH_C_SIGNATURES | GH_C_SSO)
#define GH_C_ALL 0x3fffu

typedef enum { GH_K_FLAG, GH_K_STR, GH_K_NUM, GH_K_SECRET } gh_opt_kind;

/* X(ID, name, kind, commands, metavar, max, help) */
#define GH_OPTIONS(X)                                                                                              \
    X(CONFIG, "config", GH_K_STR, GH_C_DB, "FILE", 0, "read options from FILE (key = value lines)")               \
    X(DB, "db", GH_K_STR, GH_C_DB, "PATH", 0, "the SQLite database (serve: default var/gatehouse.db)")            \
    X(CATALOG, "catalog", GH_K_STR, GH_C_DB & ~GH_C_RESTORE, "FILE", 0,                                            \
      "permission catalog JSON (default: the built-in one)")                                                       \
    X(LISTEN, "listen", GH_K_STR, GH_C_SERVE, "HOST:PORT", 0,                                                      \
      "address to listen on (default 127.0.0.1:8080; IPv6 in brackets, [::]:8080 also takes IPv4)")               \
    X(METRICS_LISTEN, "metrics-listen", GH_K_STR, GH_C_SERVE, "HOST:PORT", 0,                                      \
      "serve GET /metrics on this address only (default: on --listen)")                                            \
    X(TLS_CERT, "tls-cert", GH_K_STR, GH_C_SERVE, "FILE", 0,                                                       \
      "serve HTTPS with this PEM certificate chain (with --tls-key; SIGHUP reloads both)")                         \
    X(TLS_KEY, "tls-key", GH_K_STR, GH_C_SERVE, "FILE", 0, "the PEM private key of --tls-cert")                   \
    X(SECRET_KEY_FILE, "secret-key-file", GH_K_STR, GH_C_SERVE | GH_C_SSO, "FILE", 0,                                         \
      "the secret box key file (default: the database path + .secret-key; created 0600)")                         \
    X(IDP_CA_FILE, "idp-ca-file", GH_K_STR, GH_C_SERVE | GH_C_SSO, "FILE", 0,                                                 \
      "CA certificates that identity providers' TLS is verified against (default: the system's)")               \
    X(SMTP_URL, "smtp-url", GH_K_STR, GH_C_SERVE | GH_C_MAIL, "URL", 0,                                          \
      "mail relay: smtp://HOST:587 (STARTTLS required) or smtps://HOST:465; none: mails stay in the outbox")      \
    X(SMTP_PLAIN, "smtp-plain", GH_K_FLAG, GH_C_SERVE | GH_C_MAIL, NULL, 0,                                        \
      "allow smtp:// without STARTTLS (a local relay)")                                                          \
    X(SMTP_USER, "smtp-user", GH_K_STR, GH_C_SERVE | GH_C_MAIL, "NAME", 0, "SMTP AUTH user name")                \
    X(SMTP_PASSWORD, "smtp-password", GH_K_SECRET, GH_C_SERVE | GH_C_MAIL, "FILE", 0, "SMTP AUTH password")      \
    X(MAIL_FROM, "mail-from", GH_K_STR, GH_C_SERVE | GH_C_MAIL, "\"NAME <ADDR>\"", 0, "the sender of mails")     \
    X(SMTP_CA_FILE, "smtp-ca-file", GH_K_STR, GH_C_SERVE | GH_C_MAIL, "FILE", 0,                                   \
      "CA certificates the relay's TLS is verified against (a private relay)")                                   \
    X(BACKUP_DIR, "backup-dir", GH_K_STR, GH_C_SERVE, "DIR", 0,                                                    \
      "write scheduled whole-database backups here (with --backup-every)")                                         \
    X(BACKUP_EVERY, "backup-every", GH_K_STR, GH_C_SERVE, "DURATION", 0, "interval of scheduled backups: 90s, 30m, 24h, 7d") \
    X(BACKUP_KEEP, "backup-keep", GH_K_NUM, GH_C_SERVE, "N", 10000, "scheduled backups kept (default 14)")         \
    X(CREATE, "create", GH_K_FLAG, GH_C_SERVE, NULL, 0, "create the database if it does not exist")               \
    X(BASE_URL, "base-url", GH_K_STR, GH_C_SERVE | GH_C_ORG | GH_C_SSO, "URL", 0,                                             \
      "public URL of the server, for links in mails (default http://LISTEN)")                                      \
    X(THREADS, "threads", GH_K_NUM, GH_C_SERVE, "N", 256, "HTTP worker threads (default: one per core)")          \
    X(PER_IP_CONNECTIONS, "per-ip-connections", GH_K_NUM, GH_C_SERVE, "N", 4096,                                   \
      "open connections per client address (default 256)")                                                         \
    X(REQUEST_DEADLINE, "request-deadline", GH_K_NUM, GH_C_SERVE, "S", 3600,                                       \
      "seconds for the headers and body of one request (default 30)")                                              \
    X(DRAIN_TIMEOUT, "drain-timeout", GH_K_NUM, GH_C_SERVE, "S", 3600,                                             \
      "seconds the requests in flight may take after SIGTERM (default 30)")                                        \
    X(TEST_CLOCK, "test-clock", GH_K_FLAG, GH_C_DB, NULL, 0, "accept X-Test-Now (tests only)")                   \
    X(TEST_COST, "test-cost", GH_K_FLAG, GH_C_DB, NULL, 0,                                                         \
      "hash passwords at argon2id's minimum cost (tests only; needs --test-clock)")                             \
    X(TEST_IO_FAULTS, "test-io-faults", GH_K_FLAG, GH_C_DB, NULL, 0,                                               \
      "let POST /v1/test/io-fault fail database reads, writes and syncs (tests only; needs --test-clock)")       \
    X(QUIET, "quiet", GH_K_FLAG, GH_C_SERVE, NULL, 0, "log warnings and errors only")                             \
    X(DEMO, "demo", GH_K_FLAG, GH_C_SERVE, NULL, 0, "serve a demo plant from a throw-away database")              \
    X(DEMO_SIZE, "demo-size", GH_K_NUM, GH_C_SERVE, "N", 1000000,                                                \
      "with --demo: add N factory workers and N/10 tasks (bulk inserts; for benchmarks)")                        \
    X(ORG, "org", GH_K_STR, GH_C_INIT | GH_C_ORG | GH_C_CHECK | GH_C_SIGNATURES | GH_C_SSO, "SLUG", 0, "the organization")                     \
    X(ORG_NAME, "org-name", GH_K_STR, GH_C_INIT, "NAME", 0, "display name of the new organization")              \
    X(ADMIN_EMAIL, "admin-email", GH_K_STR, GH_C_INIT, "EMAIL", 0, "e-mail of the first administrator")         \
    X(ADMIN_NAME, "admin-name", GH_K_STR, GH_C_INIT, "NAME", 0, "name of the first administrator")              \
    X(ADMIN_PASSWORD, "admin-password", GH_K_SECRET, GH_C_INIT, "FILE", 0,                                         \
      "file holding the administrator's password (else asked on the terminal)")                                    \
    X(TEMPLATE, "template", GH_K_STR, GH_C_INIT, "SET", 0, "role set: plant, oee, monitoring or quality")         \
    X(OFFICE, "office", GH_K_STR, GH_C_ORG, "N|unlimited", 0, "org seats: office seat limit")                    \
    X(FACTORY, "factory", GH_K_STR, GH_C_ORG, "N|unlimited", 0, "org seats: factory seat limit")                 \
    X(FORCE, "force", GH_K_FLAG, GH_C_ORG | GH_C_RESTORE, NULL, 0,                                                 \
      "org seats: allow a limit below the seats in use; restore: overwrite an existing database")                 \
    X(JSON, "json", GH_K_FLAG, GH_C_OUTBOX, NULL, 0, "print JSON")                                                \
    X(USER, "user", GH_K_STR, GH_C_CHECK, "EMAIL|ID", 0, "the user to check")                                     \
    X(PERMISSION, "permission", GH_K_STR, GH_C_CHECK, "KEY", 0, "the permission to check")                      \
    X(TO, "to", GH_K_STR, GH_C_BACKUP | GH_C_MAIL, "FILE|ADDR", 0,                                               \
      "backup: the file written (must not exist); mail test: the recipient")                                     \
    X(FROM, "from", GH_K_STR, GH_C_RESTORE | GH_C_ORG, "FILE", 0, "the backup to restore (org import: an org backup)") \
    X(PASSPHRASE, "passphrase", GH_K_SECRET, GH_C_ORG, "FILE", 0, "org import: file holding the backup's passphrase") \
    X(AS_SLUG, "as-slug", GH_K_STR, GH_C_ORG, "SLUG", 0, "org import: restore under this new slug")

typedef enum {
#define GH_OPT_ENUM(id, name, kind, cmds, meta, max, help) GH_OPT_##id,
    GH_OPTIONS(GH_OPT_ENUM)
#undef GH_OPT_ENUM
    GH_OPT_COUNT
} gh_opt_id;

typedef struct gh_opt {
    const char *name;
    gh_opt_kind kind;
    unsigned cmds;
    const char *meta;
    int64_t max;
    const char *help;
} gh_opt;

extern const gh_opt gh_opts[GH_OPT_COUNT];

typedef struct gh_cmd {
    const char *name;
    unsigned bit;
    const char *synopsis; /* after "gatehouse NAME" */
    const char *summary;
} gh_cmd;

extern const gh_cmd gh_cmds[];
const gh_cmd *gh_cmd_find(const char *name);

#define GH_CLI_MAX_ARGS 64

typedef struct gh_cli {
    const gh_cmd *cmd;
    bool help;                            /* --help / -h was given */
    bool set[GH_OPT_COUNT];
    bool from_file[GH_OPT_COUNT];         /* GH_K_SECRET: val is a path */
    const char *val[GH_OPT_COUNT];        /* into argv, environ or owned */
    int64_t num[GH_OPT_COUNT];
    char *owned[GH_OPT_COUNT];            /* values read from the config file */
    int nargs;
    const char *args[GH_CLI_MAX_ARGS];    /* operands (org SUBCOMMAND KEY...) */
} gh_cli;

/* Parses argv[1] (the command) and its options: flags, then GATEHOUSE_*
 * variables, then the configuration file. Returns 0, or 2 after printing a
 * message naming the bad option, key (FILE:LINE) or value. Release with
 * gh_cli_release even on failure. */
int gh_cli_parse(gh_cli *cli, int argc, char **argv);
void gh_cli_release(gh_cli *cli);

const char *gh_cli_str(const gh_cli *cli, gh_opt_id id);
bool gh_cli_flag(const gh_cli *cli, gh_opt_id id);
unsigned gh_cli_num(const gh_cli *cli, gh_opt_id id); /* 0 when not given */
/* The secret (from its file, trailing newline removed, or the plain value);
 * NULL and *present false when not given; NULL and *present true when the
 * file cannot be read (after a message). The caller wipes and frees it. */
char *gh_cli_secret(const gh_cli *cli, gh_opt_id id, bool *present);

/* Usage of one command (every option it accepts) or of all commands. */
void gh_cli_help(FILE *out, const gh_cmd *cmd);
/* `gatehouse options`: command, flag, environment variable, config key. */
void gh_cli_print_table(FILE *out);

#endif
