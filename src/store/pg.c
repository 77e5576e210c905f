/* The PostgreSQL backend of the store (store/pg.h says what it does today
 * and how its transactions behave): connections over libpq, migrations
 * under an advisory lock, transactions, the generation counter, prepared
 * statements with a per-connection cache, and their errors.
 *
 * Over 600 lines: one backend is one file, as store/sqlite.c is; its
 * connection, transaction and statement operations share the connection
 * struct and its error mapping, which splitting would have to expose. */
#include "store/pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/migrations.h"
#include "store/stmt.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

#define STMT_CACHE 1024 /* power of two; distinct SQL statements in the program */
#define MAX_PARAMS 999
#define PG_ERRLEN 512

/* Advisory lock keys (64-bit, per database; the ASCII of "ghmigrat" and
 * "ghwriter" read as big-endian numbers): the first serialises the
 * migrations of starting processes, the second the write transactions. */
#define LOCK_MIGRATE "7451325882959028596"
#define LOCK_WRITER "7451336916763698546"
/* How long a write transaction waits for the writer lock (busy after). */
#define WRITE_WAIT "5s"

struct gh_db {
    gh_db_head head; /* first: the operations table (store/backend.h) */
    PGconn *conn;
    bool readonly;
    /* A transaction was begun and not yet ended by its owner: a connection
     * lost meanwhile is not re-established under it (the rest of the
     * transaction would run outside it). */
    bool tx_open;
    /* Bumped when the connection is re-established: statements prepared
     * on the old session are prepared again. */
    unsigned epoch;
    unsigned next_name; /* names of prepared statements: g1, g2, ... */
    struct { const char *sql; gh_stmt *st; } cache[STMT_CACHE];
    int64_t changes;
    char sqlstate[6];
    char errmsg[PG_ERRLEN];
    char detail[PG_ERRLEN];
};

/* A bound parameter: text owned by the statement, or a number in num. */
typedef struct pg_param {
    char *owned;
    char num[32];
    const char *value; /* NULL: SQL NULL */
    int length;
} pg_param;

struct gh_stmt {
    gh_stmt_head head; /* first: the operations table (store/backend.h) */
    gh_db *db;
    char *sql;          /* the rewritten text ($N) */
    char name[16];
    unsigned epoch;     /* the connection epoch it was prepared in; 0: not yet */
    int nparams;
    pg_param *params;
    const char **values; /* for PQexecPrepared */
    int *lengths;
    PGresult *res;
    PGresult *desc;     /* its columns, asked for before a first run */
    int row;            /* -1: not run since the last reset */
    bool write;         /* INSERT, UPDATE or DELETE */
    bool bind_failed;
};

static void pg_close(gh_db *db);
static void pg_reset(gh_stmt *st);

/* ---- errors ---------------------------------------------------------- */

/* Keeps a message (without libpq's trailing newline). */
static void set_error(gh_db *db, const char *state, const char *msg, const char *detail)
{
    gh_strlcpy(db->sqlstate, state ? state : "", sizeof db->sqlstate);
    gh_strlcpy(db->errmsg, msg ? msg : "unknown error", sizeof db->errmsg);
    size_t n = strlen(db->errmsg);
    while (n > 0 && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' ')) db->errmsg[--n] = '\0';
    gh_strlcpy(db->detail, detail ? detail : "", sizeof db->detail);
}

static void error_from_result(gh_db *db, const PGresult *res)
{
    if (!res) {
        /* No result at all: out of memory or the connection is gone. */
        set_error(db, PQstatus(db->conn) == CONNECTION_BAD ? "08006" : "53200", PQerrorMessage(db->conn), NULL);
        return;
    }
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    set_error(db, PQresultErrorField(res, PG_DIAG_SQLSTATE), msg ? msg : PQresultErrorMessage(res),
              PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
    /* A connection that broke has no SQLSTATE from the server. */
    if (!db->sqlstate[0] && PQstatus(db->conn) == CONNECTION_BAD) gh_strlcpy(db->sqlstate, "08006", sizeof db->sqlstate);
}

static bool state_is(const gh_db *db, const char *prefix) { return strncmp(db->sqlstate, prefix, strlen(prefix)) == 0; }

static const char *pg_errmsg(gh_db *db) { return db->errmsg[0] ? db->errmsg : "no error"; }

static gh_status pg_fail(gh_db *db, gh_err *err, const char *what)
{
    gh_logf(GH_LOG_ERROR, "database error in %s: %s%s%s", what, pg_errmsg(db), db->detail[0] ? ": " : "",
            db->detail);
    gh_metric *errors = gh_db_metric_errors();
    /* Serialization failure, deadlock, lock timeout, a cancelled statement,
     * too many connections: another writer's turn; retry shortly. */
    const bool busy = state_is(db, "40001") || state_is(db, "40P01") || state_is(db, "55P03") ||
                      state_is(db, "57014") || state_is(db, "53300");
    gh_metric_inc(errors, (const char *[]){busy ? "busy" : "error"});
    if (busy) {
        err->retry_after = 1;
        return gh_fail(err, GH_E_BUSY, "database_busy", "the database is busy; retry shortly");
    }
    if (state_is(db, "53100"))
        return gh_fail(err, GH_E_INTERNAL, "storage_full", "the database cannot grow: its disk is full");
    /* The server is unreachable or went away (connection exceptions, admin
     * shutdown, cannot connect now): nothing was committed. */
    if (state_is(db, "08") || state_is(db, "57P01") || state_is(db, "57P02") || state_is(db, "57P03")) {
        err->retry_after = 5;
        return gh_fail(err, GH_E_BUSY, "store_unavailable", "the database cannot be reached; retry shortly");
    }
    return gh_fail(err, GH_E_INTERNAL, "internal", "internal error");
}

/* ---- plain commands ---------------------------------------------------- */

/* Runs sql; the result on success (caller clears), NULL with the error kept. */
static PGresult *run(gh_db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return res;
    error_from_result(db, res);
    PQclear(res);
    return NULL;
}

int gh_pg_exec(gh_db *db, const char *sql)
{
    PGresult *res = run(db, sql);
    if (!res) {
        gh_logf(GH_LOG_ERROR, "sql exec failed: %s", pg_errmsg(db));
        return -1;
    }
    PQclear(res);
    return 0;
}

/* A bigint from the first column of the first row of sql; dflt if no row,
 * -1 on error. */
static int64_t query_i64(gh_db *db, const char *sql, int64_t dflt)
{
    PGresult *res = run(db, sql);
    if (!res) return -1;
    int64_t v = dflt;
    if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0) &&
        !gh_parse_i64(PQgetvalue(res, 0, 0), INT64_MIN, INT64_MAX, &v))
        v = -1;
    PQclear(res);
    return v;
}

static PGTransactionStatusType tx_status(gh_db *db) { return PQtransactionStatus(db->conn); }

/* ---- connections ------------------------------------------------------- */

/* Server notices (a CREATE ... IF NOT EXISTS that found one) are not
 * errors; warnings go to the log. */
static void notice_to_log(void *arg, const PGresult *res)
{
    (void)arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (sev && strcmp(sev, "WARNING") == 0)
        gh_logf(GH_LOG_WARN, "postgresql: %s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
}

/* What every session sets after connecting. */
static int session_setup(gh_db *db)
{
    PQsetNoticeReceiver(db->conn, notice_to_log, NULL);
    return gh_pg_exec(db, db->readonly ? "SET client_min_messages = warning; SET default_transaction_read_only = on"
                                       : "SET client_min_messages = warning");
}

/* Outside a transaction, a connection that broke is re-established once
 * (the server restarted, a proxy dropped it); its prepared statements are
 * prepared again on first use. */
static bool ensure_connected(gh_db *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK) return true;
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        set_error(db, "08006", PQerrorMessage(db->conn), NULL);
        return false;
    }
    db->epoch++;
    gh_logf(GH_LOG_WARN, "postgresql: connection re-established");
    return session_setup(db) == 0;
}

static int pg_open(const char *url, bool create, bool readonly, gh_db **out, char *err, size_t errlen)
{
    (void)create; /* the database is the operator's to create (docs/postgresql.md) */
    int rc = -1;
    gh_db *db = calloc(1, sizeof *db);
    if (!db) { snprintf(err, errlen, "out of memory"); goto out; }
    db->head.ops = &gh_store_pg_ops;
    db->readonly = readonly;
    db->epoch = 1;
    /* The URL comes last: what it says wins over these defaults. A server
     * that does not answer is given up after 10 s. */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const vals[] = {"10", "gatehouse", url, NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn) { snprintf(err, errlen, "out of memory"); goto out; }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        set_error(db, "08006", PQerrorMessage(db->conn), NULL);
        /* libpq's message names host and user, never the password. */
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", db->errmsg);
        goto out;
    }
    if (session_setup(db) != 0) {
        snprintf(err, errlen, "cannot configure the PostgreSQL session: %s", db->errmsg);
        goto out;
    }
    *out = db;
    db = NULL;
    rc = 0;
out:
    pg_close(db);
    return rc;
}

static void stmt_free(gh_stmt *st)
{
    if (!st) return;
    PQclear(st->res);
    PQclear(st->desc);
    for (int i = 0; i < st->nparams; i++) free(st->params[i].owned);
    free(st->params);
    free(st->values);
    free(st->lengths);
    free(st->sql);
    free(st);
}

static void pg_close(gh_db *db)
{
    if (!db) return;
    for (size_t i = 0; i < STMT_CACHE; i++) stmt_free(db->cache[i].st);
    PQfinish(db->conn);
    free(db);
}

/* ---- migrations -------------------------------------------------------- */

static int64_t meta_get(gh_db *db, const char *key)
{
    const char *vals[1] = {key};
    PGresult *res = PQexecParams(db->conn, "SELECT value FROM meta WHERE key = $1", 1, NULL, vals, NULL, NULL, 0);
    int64_t v = -1;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        v = 0;
        if (PQntuples(res) > 0 && !gh_parse_i64(PQgetvalue(res, 0, 0), INT64_MIN, INT64_MAX, &v)) v = -1;
    } else {
        error_from_result(db, res);
    }
    PQclear(res);
    return v;
}

static int64_t pg_stored_schema_version(gh_db *db)
{
    /* Asked before the meta table exists (a new database): -1, as SQLite
     * answers, without an error that would abort a transaction. */
    int64_t exists = query_i64(db, "SELECT count(*) FROM pg_catalog.pg_tables"
                                   " WHERE schemaname = current_schema() AND tablename = 'meta'", 0);
    if (exists <= 0) return -1;
    return meta_get(db, "schema_version");
}

/* Each migration runs in its own transaction holding the migration lock,
 * and reads the version after taking it: of several processes starting on
 * one new database at once, one applies each migration and the others,
 * who waited for the lock, find it applied and go on. */
static int pg_migrate(gh_db *db, char *err, size_t errlen)
{
    const int target = gh_pg_migrations_count();
    if (target != gh_migrations_count()) {
        snprintf(err, errlen, "this gatehouse has %d PostgreSQL migrations for %d SQLite ones", target,
                 gh_migrations_count());
        return -1;
    }
    for (;;) {
        if (!ensure_connected(db) ||
            gh_pg_exec(db, "BEGIN ISOLATION LEVEL READ COMMITTED;"
                           " SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ")") != 0) {
            snprintf(err, errlen, "cannot begin migration: %s", pg_errmsg(db));
            goto fail;
        }
        if (gh_pg_exec(db, "CREATE TABLE IF NOT EXISTS meta"
                           " (key TEXT COLLATE \"C\" PRIMARY KEY, value BIGINT NOT NULL)") != 0) {
            snprintf(err, errlen, "cannot create meta table: %s", pg_errmsg(db));
            goto fail;
        }
        int64_t current = meta_get(db, "schema_version");
        if (current < 0) { snprintf(err, errlen, "cannot read schema version: %s", pg_errmsg(db)); goto fail; }
        if (current > target) {
            snprintf(err, errlen,
                     "database schema version %lld is newer than this gatehouse (%d): "
                     "refusing to start; run a newer gatehouse or restore a backup",
                     (long long)current, target);
            goto fail;
        }
        if (current == target) {
            if (gh_pg_exec(db, "COMMIT") != 0) {
                snprintf(err, errlen, "cannot end migration: %s", pg_errmsg(db));
                goto fail;
            }
            return 0;
        }
        const int v = (int)current + 1;
        if (gh_pg_exec(db, gh_pg_migration_sql(v)) != 0) {
            snprintf(err, errlen, "migration %d failed: %s", v, pg_errmsg(db));
            goto fail;
        }
        char vtext[16];
        snprintf(vtext, sizeof vtext, "%d", v);
        const char *vals[1] = {vtext};
        PGresult *res = PQexecParams(db->conn,
                                     "INSERT INTO meta (key, value) VALUES ('schema_version', $1::bigint)"
                                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                     1, NULL, vals, NULL, NULL, 0);
        const bool recorded = res && PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!recorded) error_from_result(db, res);
        PQclear(res);
        if (!recorded || gh_pg_exec(db, "COMMIT") != 0) {
            snprintf(err, errlen, "migration %d: cannot record version: %s", v, pg_errmsg(db));
            goto fail;
        }
        gh_logf(GH_LOG_INFO, "applied schema migration %d (postgresql)", v);
    }
fail:
    if (tx_status(db) != PQTRANS_IDLE && tx_status(db) != PQTRANS_UNKNOWN) gh_pg_exec(db, "ROLLBACK");
    return -1;
}

/* ---- transactions ------------------------------------------------------ */

static gh_status pg_begin_write(gh_db *db, bool wait, gh_err *err)
{
    if (!ensure_connected(db)) return pg_fail(db, err, "begin");
    if (!wait) {
        int64_t got = query_i64(db, "BEGIN ISOLATION LEVEL READ COMMITTED;"
                                    " SELECT pg_try_advisory_xact_lock(" LOCK_WRITER ")::int", -1);
        if (got == 1) {
            db->tx_open = true;
            return GH_OK;
        }
        if (tx_status(db) != PQTRANS_IDLE && tx_status(db) != PQTRANS_UNKNOWN) gh_pg_exec(db, "ROLLBACK");
        if (got == 0) {
            err->retry_after = 1;
            return gh_fail(err, GH_E_BUSY, "database_busy", "another writer holds the database");
        }
        return pg_fail(db, err, "begin");
    }
    if (gh_pg_exec(db, "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '" WRITE_WAIT "';"
                       " SELECT pg_advisory_xact_lock(" LOCK_WRITER "); SET LOCAL lock_timeout = DEFAULT") == 0) {
        db->tx_open = true;
        return GH_OK;
    }
    gh_status s = pg_fail(db, err, "begin");
    if (tx_status(db) != PQTRANS_IDLE && tx_status(db) != PQTRANS_UNKNOWN) gh_pg_exec(db, "ROLLBACK");
    return s;
}

static gh_status pg_begin_read(gh_db *db, gh_err *err)
{
    if (!ensure_connected(db) || gh_pg_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") != 0)
        return pg_fail(db, err, "begin");
    db->tx_open = true;
    return GH_OK;
}

static void pg_end_read(gh_db *db)
{
    db->tx_open = false;
    PGTransactionStatusType s = tx_status(db);
    if (s == PQTRANS_INTRANS) gh_pg_exec(db, "COMMIT");
    else if (s == PQTRANS_INERROR) gh_pg_exec(db, "ROLLBACK");
}

static gh_status pg_commit(gh_db *db, gh_err *err)
{
    /* A transaction a statement failed in cannot commit: PostgreSQL would
     * answer COMMIT with a rollback and no error. */
    if (tx_status(db) != PQTRANS_INTRANS) {
        if (PQstatus(db->conn) == CONNECTION_BAD) set_error(db, "08006", "the connection was lost in the transaction", NULL);
        else set_error(db, "25P02", "commit of a failed or absent transaction", NULL);
        return pg_fail(db, err, "commit");
    }
    PGresult *res = run(db, "COMMIT");
    if (!res) return pg_fail(db, err, "commit");
    const bool committed = strcmp(PQcmdStatus(res), "COMMIT") == 0;
    PQclear(res);
    db->tx_open = false;
    if (!committed) {
        set_error(db, "40000", "the transaction was rolled back at commit", NULL);
        return pg_fail(db, err, "commit");
    }
    return GH_OK;
}

static void pg_rollback(gh_db *db)
{
    db->tx_open = false;
    PGTransactionStatusType s = tx_status(db);
    if (s == PQTRANS_INTRANS || s == PQTRANS_INERROR) gh_pg_exec(db, "ROLLBACK");
}

static int64_t pg_generation(gh_db *db) { return meta_get(db, "generation"); }


/* ---- statements -------------------------------------------------------- */

bool gh_pg_rewrite_placeholders(const char *sql, char *out, size_t cap, int *nparams)
{
    size_t o = 0;
    int max = 0;
    const char *p = sql;
    if (cap == 0) return false;
#define PUT(c) do { if (o + 1 >= cap) return false; out[o++] = (c); } while (0)
    while (*p) {
        if (*p == '\'' || *p == '"') {
            /* A string or a quoted name, to its closing quote (a doubled
             * quote inside is one character). */
            const char q = *p;
            PUT(*p++);
            while (*p) {
                if (*p == q && p[1] == q) { PUT(*p++); PUT(*p++); continue; }
                if (*p == q) break;
                PUT(*p++);
            }
            if (!*p) return false;
            PUT(*p++);
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') PUT(*p++);
        } else if (p[0] == '/' && p[1] == '*') {
            PUT(*p++); PUT(*p++);
            while (*p && !(p[0] == '*' && p[1] == '/')) PUT(*p++);
            if (!*p) return false;
            PUT(*p++); PUT(*p++);
        } else if (*p == '?') {
            /* ?N becomes $N: the same digits, the same length. */
            p++;
            const char *digits = p;
            int n = 0;
            while (*p >= '0' && *p <= '9') {
                n = n * 10 + (*p - '0');
                if (n > MAX_PARAMS) return false;
                p++;
            }
            if (p == digits || n < 1) return false;
            PUT('$');
            for (const char *d = digits; d < p; d++) PUT(*d);
            if (n > max) max = n;
        } else {
            PUT(*p++);
        }
    }
#undef PUT
    out[o] = '\0';
    *nparams = max;
    return true;
}

/* The first word of the statement, to know a write. */
static bool is_write(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(') sql++;
    return strncasecmp(sql, "INSERT", 6) == 0 || strncasecmp(sql, "UPDATE", 6) == 0 ||
           strncasecmp(sql, "DELETE", 6) == 0;
}

static gh_stmt *stmt_new(gh_db *db, const char *sql)
{
    gh_stmt *st = calloc(1, sizeof *st);
    size_t cap = strlen(sql) + 1;
    /* Each `?N` becomes `$N`: the same length. */
    if (!st || !(st->sql = malloc(cap))) {
        set_error(db, "53200", "out of memory", NULL);
        goto fail;
    }
    st->head.ops = &gh_store_pg_ops;
    st->db = db;
    st->row = -1;
    if (!gh_pg_rewrite_placeholders(sql, st->sql, cap, &st->nparams)) {
        set_error(db, "42601", "bad placeholders (use ?1, ?2, ...)", NULL);
        goto fail;
    }
    st->write = is_write(sql);
    if (st->nparams > 0) {
        st->params = calloc((size_t)st->nparams, sizeof *st->params);
        st->values = calloc((size_t)st->nparams, sizeof *st->values);
        st->lengths = calloc((size_t)st->nparams, sizeof *st->lengths);
        if (!st->params || !st->values || !st->lengths) {
            set_error(db, "53200", "out of memory", NULL);
            goto fail;
        }
    }
    snprintf(st->name, sizeof st->name, "g%u", ++db->next_name);
    return st;
fail:
    stmt_free(st);
    return NULL;
}

/* Prepares st on the current session (again after a reconnect). */
static bool stmt_ready(gh_stmt *st)
{
    gh_db *db = st->db;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        if (db->tx_open) {
            set_error(db, "08006", "the connection was lost in the transaction", NULL);
            return false;
        }
        if (!ensure_connected(db)) return false;
    }
    if (st->epoch == db->epoch) return true;
    PGresult *res = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
    const bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) error_from_result(db, res);
    PQclear(res);
    if (ok) {
        st->epoch = db->epoch;
        PQclear(st->desc);
        st->desc = NULL;
    }
    return ok;
}

static void clear_bindings(gh_stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        free(st->params[i].owned);
        st->params[i].owned = NULL;
        st->params[i].value = NULL;
        st->params[i].length = 0;
    }
    st->bind_failed = false;
}

static gh_stmt *pg_stmt_cached(gh_db *db, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (STMT_CACHE - 1);
    for (size_t probe = 0; probe < STMT_CACHE; probe++, i = (i + 1) & (STMT_CACHE - 1)) {
        if (db->cache[i].sql == sql) {
            gh_stmt *st = db->cache[i].st;
            pg_reset(st);
            clear_bindings(st);
            return st;
        }
        if (!db->cache[i].sql) {
            gh_stmt *st = stmt_new(db, sql);
            if (!st || ((tx_status(db) == PQTRANS_IDLE || tx_status(db) == PQTRANS_INTRANS) && !stmt_ready(st))) {
                gh_logf(GH_LOG_ERROR, "sql prepare failed: %s: %s", pg_errmsg(db), sql);
                stmt_free(st);
                return NULL;
            }
            db->cache[i].sql = sql;
            db->cache[i].st = st;
            return st;
        }
    }
    gh_logf(GH_LOG_ERROR, "statement cache full");
    return NULL;
}

static gh_stmt *pg_stmt_prepare(gh_db *db, const char *sql)
{
    gh_stmt *st = stmt_new(db, sql);
    if (!st) return NULL;
    if (!stmt_ready(st)) {
        stmt_free(st);
        return NULL;
    }
    return st;
}

static void pg_stmt_finalize(gh_stmt *st)
{
    if (!st) return;
    gh_db *db = st->db;
    if (st->epoch == db->epoch && PQstatus(db->conn) == CONNECTION_OK &&
        tx_status(db) != PQTRANS_INERROR && tx_status(db) != PQTRANS_ACTIVE) {
        char sql[32];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PGresult *res = PQexec(db->conn, sql);
        PQclear(res);
    }
    stmt_free(st);
}

static pg_param *param_at(gh_stmt *st, int i)
{
    if (i < 1 || i > st->nparams) {
        st->bind_failed = true;
        set_error(st->db, "42P02", "binding to a parameter the statement does not have", NULL);
        return NULL;
    }
    pg_param *p = &st->params[i - 1];
    free(p->owned);
    p->owned = NULL;
    p->value = NULL;
    p->length = 0;
    return p;
}

static void pg_bind_text(gh_stmt *st, int i, const char *s, size_t len)
{
    pg_param *p = param_at(st, i);
    if (!p || !s) return;
    if (len == SIZE_MAX) len = strlen(s);
    /* Text parameters end at a NUL in PostgreSQL: text holding one cannot
     * be stored faithfully, so it is refused (the step fails). */
    if (len >= INT32_MAX || memchr(s, '\0', len)) {
        st->bind_failed = true;
        set_error(st->db, "22021", "text parameter too long or holding a NUL", NULL);
        return;
    }
    p->owned = malloc(len + 1);
    if (!p->owned) {
        st->bind_failed = true;
        set_error(st->db, "53200", "out of memory", NULL);
        return;
    }
    memcpy(p->owned, s, len);
    p->owned[len] = '\0';
    p->value = p->owned;
    p->length = (int)len;
}

static void pg_bind_i64(gh_stmt *st, int i, int64_t v)
{
    pg_param *p = param_at(st, i);
    if (!p) return;
    int n = snprintf(p->num, sizeof p->num, "%lld", (long long)v);
    p->value = p->num;
    p->length = n;
}

static void pg_bind_double(gh_stmt *st, int i, double v)
{
    pg_param *p = param_at(st, i);
    if (!p) return;
    int n = snprintf(p->num, sizeof p->num, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof p->num) {
        st->bind_failed = true;
        return;
    }
    p->value = p->num;
    p->length = n;
}

static void pg_bind_null(gh_stmt *st, int i) { (void)param_at(st, i); }

/* A refused write, by SQLSTATE: unique, foreign key, other integrity
 * constraints (23xxx) and a trigger's refusal (restrict_violation is 23001;
 * RAISE EXCEPTION without a code is P0001). */
static int step_error(gh_db *db)
{
    if (state_is(db, "23505")) return GH_UNIQUE;
    if (state_is(db, "23503")) return GH_FOREIGN_KEY;
    if (state_is(db, "23") || state_is(db, "P0001")) return GH_CONSTRAINT;
    return GH_STEP_ERROR;
}

/* Runs the statement; st->res holds its rows. */
static int stmt_run(gh_stmt *st)
{
    gh_db *db = st->db;
    if (st->bind_failed) return GH_STEP_ERROR;
    const PGTransactionStatusType ts = tx_status(db);
    if (ts == PQTRANS_INERROR) {
        set_error(db, "25P02", "the transaction failed earlier", NULL);
        return GH_STEP_ERROR;
    }
    if (ts != PQTRANS_INTRANS) {
        if (db->tx_open) {
            set_error(db, "08006", "the connection was lost in the transaction", NULL);
            return GH_STEP_ERROR;
        }
        if (!ensure_connected(db)) return GH_STEP_ERROR;
    }
    if (!stmt_ready(st)) return GH_STEP_ERROR;
    for (int i = 0; i < st->nparams; i++) {
        st->values[i] = st->params[i].value;
        st->lengths[i] = st->params[i].length;
    }
    const bool savepoint = st->write && ts == PQTRANS_INTRANS;
    if (savepoint && gh_pg_exec(db, "SAVEPOINT gh_stmt") != 0) return GH_STEP_ERROR;
    PGresult *res = PQexecPrepared(db->conn, st->name, st->nparams, st->values, st->lengths, NULL, 0);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        error_from_result(db, res);
        PQclear(res);
        int r = step_error(db);
        if (savepoint) {
            /* Keep the refusal's message over the savepoint's answer. */
            char state[6], msg[PG_ERRLEN], detail[PG_ERRLEN];
            gh_strlcpy(state, db->sqlstate, sizeof state);
            gh_strlcpy(msg, db->errmsg, sizeof msg);
            gh_strlcpy(detail, db->detail, sizeof detail);
            if (gh_pg_exec(db, "ROLLBACK TO SAVEPOINT gh_stmt; RELEASE SAVEPOINT gh_stmt") != 0) return GH_STEP_ERROR;
            set_error(db, state, msg, detail);
        }
        return r;
    }
    if (savepoint && gh_pg_exec(db, "RELEASE SAVEPOINT gh_stmt") != 0) {
        PQclear(res);
        return GH_STEP_ERROR;
    }
    const char *n = PQcmdTuples(res);
    int64_t changed;
    if (st->write && n && *n && gh_parse_i64(n, 0, INT64_MAX, &changed)) db->changes = changed;
    st->res = res;
    return GH_DONE;
}

static int pg_step(gh_stmt *st)
{
    if (st->row < 0) {
        PQclear(st->res);
        st->res = NULL;
        st->row = 0;
        int r = stmt_run(st);
        if (r != GH_DONE) return r;
    } else if (st->res && st->row < PQntuples(st->res)) {
        st->row++;
    }
    return st->res && st->row < PQntuples(st->res) ? GH_ROW : GH_DONE;
}

static void pg_reset(gh_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
}

/* Whether column i of the current row exists. */
static bool has_col(gh_stmt *st, int i)
{
    return st->res && st->row >= 0 && st->row < PQntuples(st->res) && i >= 0 && i < PQnfields(st->res);
}

/* Type OIDs of pg_type (stable across versions). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
       OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

static int pg_col_type(gh_stmt *st, int i)
{
    if (!has_col(st, i) || PQgetisnull(st->res, st->row, i)) return GH_COL_NULL;
    switch (PQftype(st->res, i)) {
    case OID_BOOL: case OID_INT8: case OID_INT2: case OID_INT4: case OID_OID: return GH_COL_INT;
    case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC: return GH_COL_REAL;
    case OID_BYTEA: return GH_COL_BLOB;
    default: return GH_COL_TEXT;
    }
}

/* As SQLite converts: the leading number of the text, 0 if none. */
static int64_t pg_col_i64(gh_stmt *st, int i)
{
    if (!has_col(st, i) || PQgetisnull(st->res, st->row, i)) return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    if (PQftype(st->res, i) == OID_BOOL) return v[0] == 't';
    errno = 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (end == v) return 0;
    if (*end == '.' || *end == 'e' || *end == 'E') {
        double d = strtod(v, NULL);
        if (d != d) return 0;
        if (d >= 9.2233720368547758e18) return INT64_MAX;
        if (d <= -9.2233720368547758e18) return INT64_MIN;
        return (int64_t)d;
    }
    return errno == ERANGE ? (n < 0 ? INT64_MIN : INT64_MAX) : (int64_t)n;
}

static double pg_col_double(gh_stmt *st, int i)
{
    if (!has_col(st, i) || PQgetisnull(st->res, st->row, i)) return 0.0;
    const char *v = PQgetvalue(st->res, st->row, i);
    char *end = NULL;
    double d = strtod(v, &end);
    return end == v ? 0.0 : d;
}

static const char *pg_col_text(gh_stmt *st, int i)
{
    if (!has_col(st, i) || PQgetisnull(st->res, st->row, i)) return NULL;
    return PQgetvalue(st->res, st->row, i);
}

static size_t pg_col_bytes(gh_stmt *st, int i)
{
    if (!has_col(st, i) || PQgetisnull(st->res, st->row, i)) return 0;
    int n = PQgetlength(st->res, st->row, i);
    return n > 0 ? (size_t)n : 0;
}

/* The result that names the columns: the current run's, or (before a
 * run, as SQLite answers from the prepared statement) the server's
 * description of the statement, asked for once. */
static const PGresult *columns_of(gh_stmt *st)
{
    if (st->res) return st->res;
    if (!st->desc && st->epoch == st->db->epoch && tx_status(st->db) != PQTRANS_INERROR) {
        PGresult *d = PQdescribePrepared(st->db->conn, st->name);
        if (d && PQresultStatus(d) == PGRES_COMMAND_OK) st->desc = d;
        else PQclear(d);
    }
    return st->desc;
}

static int pg_col_count(gh_stmt *st)
{
    const PGresult *r = columns_of(st);
    return r ? PQnfields(r) : 0;
}

static const char *pg_col_name(gh_stmt *st, int i)
{
    const PGresult *r = columns_of(st);
    const char *n = r && i >= 0 && i < PQnfields(r) ? PQfname(r, i) : NULL;
    return n ? n : "";
}

static int64_t pg_changes(gh_db *db) { return db->changes; }

/* PostgreSQL names the columns of a unique violation in its detail:
 * "Key (org_id, email_norm)=(o1, a@b) already exists." Only the key part
 * is searched (the values are the caller's data). */
static bool pg_conflict_names(gh_db *db, const char *column)
{
    const char *open = strchr(db->detail, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (!open || !close) return false;
    size_t n = strlen(column);
    for (const char *p = open + 1; p + n <= close; p++) {
        if (strncmp(p, column, n) != 0) continue;
        const bool starts = p == open + 1 || p[-1] == ' ' || p[-1] == ',';
        const bool ends = p[n] == ',' || p[n] == ')';
        if (starts && ends) return true;
    }
    return false;
}

/* ---- whole-database operations ------------------------------------------ */

/* A consistent copy and an integrity check are the server's own tools'
 * work on PostgreSQL (pg_dump; pg_amcheck): gatehouse refuses them with a
 * message that says so, rather than writing a file that is not a backup. */
static int pg_copy_to(gh_db *db, const char *path, char *err, size_t errlen)
{
    (void)db;
    (void)path;
    snprintf(err, errlen, "a PostgreSQL database is not copied by gatehouse: back it up with pg_dump "
                          "(docs/postgresql.md)");
    return -1;
}

static int pg_check_integrity(gh_db *db, char *err, size_t errlen)
{
    (void)db;
    snprintf(err, errlen, "is a PostgreSQL database, which gatehouse does not check: use pg_amcheck, "
                          "and pg_dump for backups (docs/postgresql.md)");
    return -1;
}

const gh_store_ops gh_store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .migrate = pg_migrate,
    .stored_schema_version = pg_stored_schema_version,
    .begin_write = pg_begin_write,
    .begin_read = pg_begin_read,
    .end_read = pg_end_read,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .generation = pg_generation,
    .stmt_cached = pg_stmt_cached,
    .stmt_prepare = pg_stmt_prepare,
    .stmt_finalize = pg_stmt_finalize,
    .bind_text = pg_bind_text,
    .bind_i64 = pg_bind_i64,
    .bind_double = pg_bind_double,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .col_type = pg_col_type,
    .col_i64 = pg_col_i64,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_bytes = pg_col_bytes,
    .col_count = pg_col_count,
    .col_name = pg_col_name,
    .changes = pg_changes,
    .conflict_names = pg_conflict_names,
    .errmsg = pg_errmsg,
    .db_fail = pg_fail,
    .copy_to = pg_copy_to,
    .check_integrity = pg_check_integrity,
    /* EXPLAIN answers one column, one line of the plan per row. */
    .plan_prefix = "EXPLAIN ",
    .plan_column = 0,
};
