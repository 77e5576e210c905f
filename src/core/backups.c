/* Scheduled backups (see backups.h). */
#include "core/backups.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/backup.h"
#include "store/db.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

static pthread_t thread;
static bool running, stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static char backup_dir[1024];
static int64_t every;
static unsigned keep_n;

bool gh_duration_parse(const char *s, int64_t *seconds)
{
    if (!s || !*s) return false;
    size_t n = strlen(s);
    int64_t unit = 1;
    char num[32];
    char last = s[n - 1];
    if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
        unit = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
        n--;
    }
    if (n == 0 || n >= sizeof num) return false;
    memcpy(num, s, n);
    num[n] = '\0';
    int64_t v;
    if (!gh_parse_i64(num, 1, 366 * 86400, &v) || v > 366 * 86400 / unit) return false;
    *seconds = v * unit;
    return true;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Deletes the oldest DIR/gatehouse-*.db beyond keep_n (names sort by time). */
static void prune(void)
{
    DIR *d = opendir(backup_dir);
    if (!d) return;
    char *names[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < sizeof names / sizeof names[0]) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "gatehouse-", 10) != 0 || len < 4 || strcmp(e->d_name + len - 3, ".db") != 0) continue;
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (i + keep_n < n) {
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", backup_dir, names[i]);
            if (unlink(path) == 0) gh_logf(GH_LOG_INFO, "scheduled backup %s deleted (keeping %u)", path, keep_n);
        }
        free(names[i]);
    }
}

static void backup_once(void)
{
    gh_metric *done = gh_metric_counter("gatehouse_backups_total", "scheduled database backups by result", "result");
    gh_metric *last = gh_metric_gauge("gatehouse_backup_last_success_timestamp_seconds",
                                      "Unix time of the last successful scheduled backup", NULL);
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32], final[1200], partial[1300], err[600];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(final, sizeof final, "%s/gatehouse-%s.db", backup_dir, stamp);
    snprintf(partial, sizeof partial, "%s.partial", final);
    unlink(partial);
    gh_db *db = gh_db_thread();
    bool ok = db && access(final, F_OK) != 0 && gh_store_backup_write(db, partial, err, sizeof err) == 0 &&
              rename(partial, final) == 0;
    if (ok) {
        gh_logf(GH_LOG_INFO, "scheduled backup written to %s", final);
        gh_metric_inc(done, (const char *[]){"success"});
        gh_metric_set(last, NULL, (int64_t)now);
        prune();
    } else {
        gh_logf(GH_LOG_ERROR, "scheduled backup to %s failed: %s", final, db ? err : "no database connection");
        gh_metric_inc(done, (const char *[]){"failure"});
        unlink(partial);
    }
}

static void *loop(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&mu);
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)every;
        while (!stop) {
            int rc = pthread_cond_timedwait(&cv, &mu, &until);
            if (rc == ETIMEDOUT) break;
        }
        if (stop) break;
        pthread_mutex_unlock(&mu);
        backup_once();
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    gh_db_thread_close();
    return NULL;
}

int gh_backups_start(const char *dir, int64_t every_s, unsigned keep)
{
    if (!gh_strlcpy(backup_dir, dir, sizeof backup_dir)) {
        gh_logf(GH_LOG_ERROR, "--backup-dir is too long");
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        gh_logf(GH_LOG_ERROR, "cannot create the backup folder %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(dir, W_OK) != 0) {
        gh_logf(GH_LOG_ERROR, "the backup folder %s is not a writable folder", dir);
        return -1;
    }
    every = every_s;
    keep_n = keep;
    stop = false;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&thread, NULL, loop, NULL) != 0) {
        gh_logf(GH_LOG_ERROR, "cannot start the backup thread");
        pthread_cond_destroy(&cv);
        return -1;
    }
    running = true;
    gh_logf(GH_LOG_INFO, "scheduled backups: every %lld s to %s, keeping %u", (long long)every_s, dir, keep);
    return 0;
}

void gh_backups_stop(void)
{
    if (!running) return;
    pthread_mutex_lock(&mu);
    stop = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&cv);
    running = false;
}
