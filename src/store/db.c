/* The public face of the store's connections (store/db.h): the backend
 * chosen at open, each thread's own connection, and the transaction calls,
 * all dispatched through the backend's operations table (store/backend.h). */
#include "store/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store/backend.h"
#include "store/migrations.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

static char db_path[4096] = "var/gatehouse.db";
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_dtor(void *p) { gh_db_close(p); }
static void thread_init(void) { pthread_key_create(&thread_key, thread_dtor); }

/* Every backend's connection begins with a gh_db_head. */
static gh_db_head *head(gh_db *db) { return (gh_db_head *)db; }

bool gh_db_is_url(const char *path)
{
    const char *p = path;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
           *p == '-' || *p == '.')
        p++;
    return p > path && strncmp(p, "://", 3) == 0;
}

void gh_db_redact_url(const char *url, char *out, size_t cap)
{
    if (cap == 0) return;
    /* The user information ends at the '@' of the authority, which ends
     * at the first '/', '?' or '#'. */
    const char *auth = strstr(url, "://");
    const char *at = NULL, *colon = NULL;
    if (auth) {
        auth += 3;
        const size_t n = strcspn(auth, "/?#");
        for (size_t i = 0; i < n; i++)
            if (auth[i] == '@') at = auth + i; /* the last: a password may hold '@' */
    }
    if (at) colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon) {
        gh_strlcpy(out, url, cap);
        return;
    }
    /* scheme://user: + *** + @rest (cut short if out is small). */
    if (snprintf(out, cap, "%.*s***%s", (int)(colon + 1 - url), url, at) < 0) out[0] = '\0';
}

const gh_store_ops *gh_store_backend_for(const char *path, char *err, size_t errlen)
{
    /* A URL scheme names another backend: PostgreSQL's (store/pg.c) is
     * built but not yet chosen (docs/postgresql.md). */
    if (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0) {
        char shown[512];
        gh_db_redact_url(path, shown, sizeof shown);
        /* A long URL is cut short in the message (the return value is the
         * length it wanted; truncation is acceptable here). */
        if (snprintf(err, errlen, "%s: this gatehouse has no PostgreSQL backend", shown) < 0 && errlen) err[0] = '\0';
        return NULL;
    }
    return &gh_store_sqlite_ops;
}

int gh_db_schema_version(void) { return gh_migrations_count(); }

static int open_with(const char *path, bool create, bool readonly, gh_db **out, char *err, size_t errlen)
{
    const gh_store_ops *ops = gh_store_backend_for(path, err, errlen);
    if (!ops) return -1;
    return ops->open(path, create, readonly, out, err, errlen);
}

int gh_db_open(const char *path, gh_db **out, char *err, size_t errlen)
{
    return open_with(path, true, false, out, err, errlen);
}

int gh_db_open_existing(const char *path, bool readonly, gh_db **out, char *err, size_t errlen)
{
    return open_with(path, false, readonly, out, err, errlen);
}

void gh_db_close(gh_db *db)
{
    if (db) head(db)->ops->close(db);
}

int gh_db_migrate(gh_db *db, char *err, size_t errlen) { return head(db)->ops->migrate(db, err, errlen); }
int64_t gh_db_stored_schema_version(gh_db *db) { return head(db)->ops->stored_schema_version(db); }
const char *gh_db_backend_name(gh_db *db) { return head(db)->ops->name; }

void gh_db_set_path(const char *path) { gh_strlcpy(db_path, path, sizeof db_path); }
const char *gh_db_path(void) { return db_path; }

gh_db *gh_db_thread(void)
{
    pthread_once(&thread_once, thread_init);
    gh_db *db = pthread_getspecific(thread_key);
    if (db) return db;
    char err[512];
    if (gh_db_open(db_path, &db, err, sizeof err) != 0) {
        gh_logf(GH_LOG_ERROR, "%s", err);
        return NULL;
    }
    pthread_setspecific(thread_key, db);
    return db;
}

void gh_db_thread_close(void)
{
    pthread_once(&thread_once, thread_init);
    gh_db *db = pthread_getspecific(thread_key);
    if (db) {
        gh_db_close(db);
        pthread_setspecific(thread_key, NULL);
    }
}

static atomic_int write_waiters;

bool gh_db_write_wanted(void) { return atomic_load_explicit(&write_waiters, memory_order_relaxed) > 0; }

gh_status gh_db_begin(gh_db *db, gh_err *err)
{
    static const double bounds[] = {0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10};
    double t0 = gh_mono_ms();
    atomic_fetch_add_explicit(&write_waiters, 1, memory_order_relaxed);
    gh_status s = head(db)->ops->begin_write(db, true, err);
    atomic_fetch_sub_explicit(&write_waiters, 1, memory_order_relaxed);
    gh_metric_observe(gh_metric_histogram("gatehouse_db_write_wait_seconds",
                                          "time a write transaction waited for the write lock (gh_db_begin)", NULL,
                                          bounds, sizeof bounds / sizeof bounds[0]),
                      NULL, (gh_mono_ms() - t0) / 1000.0);
    if (s == GH_OK) head(db)->in_tx = true;
    return s;
}

gh_status gh_db_begin_nowait(gh_db *db, gh_err *err)
{
    gh_status s = head(db)->ops->begin_write(db, false, err);
    if (s == GH_OK) head(db)->in_tx = true;
    return s;
}

gh_status gh_db_commit(gh_db *db, gh_err *err)
{
    gh_status s = head(db)->ops->commit(db, err);
    if (s != GH_OK) {
        gh_db_rollback(db);
        return s;
    }
    head(db)->in_tx = false;
    return GH_OK;
}

void gh_db_rollback(gh_db *db)
{
    head(db)->ops->rollback(db);
    head(db)->in_tx = false;
}

gh_status gh_db_begin_read(gh_db *db, gh_err *err) { return head(db)->ops->begin_read(db, err); }
void gh_db_end_read(gh_db *db) { head(db)->ops->end_read(db); }

bool gh_db_in_tx(gh_db *db) { return head(db)->in_tx; }

int64_t gh_db_generation(gh_db *db) { return head(db)->ops->generation(db); }

gh_metric *gh_db_metric_errors(void)
{
    return gh_metric_counter("gatehouse_db_errors_total", "failed database statements, by kind (busy, error)", "kind");
}
