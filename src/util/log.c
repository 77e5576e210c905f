/* JSON-lines logger (log.h). Lines are appended whole to a buffer under a
 * mutex and written to stderr by one writer thread, so a request thread
 * never waits on the write(2) of its log line (issue 17). Error lines, and
 * every line when the writer thread cannot run, are written before gh_log
 * returns. */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define LOG_BUF_CAP (256u * 1024u) /* per buffer; two of them, swapped by the writer */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_have = PTHREAD_COND_INITIALIZER;  /* the writer: lines to write, or stop */
static pthread_cond_t log_room = PTHREAD_COND_INITIALIZER;  /* callers: room, or lines written */
static int log_quiet;
static char bufs[2][LOG_BUF_CAP];
static char *fill = bufs[0];     /* the buffer callers append to */
static size_t fill_len;
static uint64_t appended, written; /* bytes appended / written since start */
static bool writer_on, writer_stop;
static pthread_t writer;
static pthread_once_t writer_once = PTHREAD_ONCE_INIT;

void gh_log_set_quiet(int quiet) { log_quiet = quiet; }
int gh_log_is_quiet(void) { return log_quiet; }

static void *writer_loop(void *unused)
{
    (void)unused;
    char *out = bufs[1];
    pthread_mutex_lock(&log_mu);
    for (;;) {
        while (fill_len == 0 && !writer_stop) pthread_cond_wait(&log_have, &log_mu);
        if (fill_len == 0 && writer_stop) break;
        char *full = fill;
        size_t n = fill_len;
        fill = out; /* swap: callers append to the empty one meanwhile */
        out = full;
        fill_len = 0;
        pthread_mutex_unlock(&log_mu);
        fwrite(full, 1, n, stderr);
        fflush(stderr);
        pthread_mutex_lock(&log_mu);
        written += n;
        pthread_cond_broadcast(&log_room);
    }
    writer_on = false;
    pthread_cond_broadcast(&log_room);
    pthread_mutex_unlock(&log_mu);
    return NULL;
}

static void writer_stop_atexit(void) { gh_log_stop(); }

/* Lines logged after the writer stopped, or when it cannot start, are
 * written directly. */
static void writer_start(void)
{
    writer_on = true;
    if (pthread_create(&writer, NULL, writer_loop, NULL) != 0) {
        writer_on = false;
        return;
    }
    atexit(writer_stop_atexit);
}

/* Appends one line (with its newline). Called with log_mu held. */
static void append_line(const char *line, size_t n, bool wait_written)
{
    if (!writer_on || n + 1 > LOG_BUF_CAP) {
        /* Without the writer (or a line longer than a buffer): in order,
         * after what is already buffered. */
        while (writer_on && written < appended) pthread_cond_wait(&log_room, &log_mu);
        fwrite(line, 1, n, stderr);
        fputc('\n', stderr);
        fflush(stderr);
        return;
    }
    while (writer_on && fill_len + n + 1 > LOG_BUF_CAP) pthread_cond_wait(&log_room, &log_mu);
    if (!writer_on) { append_line(line, n, false); return; }
    memcpy(fill + fill_len, line, n);
    fill[fill_len + n] = '\n';
    fill_len += n + 1;
    appended += n + 1;
    uint64_t mine = appended;
    pthread_cond_signal(&log_have);
    if (wait_written)
        while (writer_on && written < mine) pthread_cond_wait(&log_room, &log_mu);
}

void gh_log_flush(void)
{
    pthread_mutex_lock(&log_mu);
    while (writer_on && written < appended) pthread_cond_wait(&log_room, &log_mu);
    pthread_mutex_unlock(&log_mu);
}

void gh_log_stop(void)
{
    pthread_mutex_lock(&log_mu);
    bool on = writer_on;
    writer_stop = true;
    pthread_cond_signal(&log_have);
    pthread_mutex_unlock(&log_mu);
    if (on) pthread_join(writer, NULL);
}

void gh_log(gh_log_level level, const char *request_id, const char *msg, json_t *fields)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (log_quiet && level < GH_LOG_WARN) { json_decref(fields); return; }
    json_t *o = json_object();
    if (!o) { json_decref(fields); return; }
    char ts[32];
    gh_time_fmt(gh_now(), ts);
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(names[level]));
    json_object_set_new(o, "msg", json_string(msg ? msg : ""));
    if (request_id && *request_id) json_object_set_new(o, "request_id", json_string(request_id));
    if (fields) json_object_update(o, fields);
    json_decref(fields);
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!line) return;
    pthread_once(&writer_once, writer_start);
    pthread_mutex_lock(&log_mu);
    append_line(line, strlen(line), level >= GH_LOG_ERROR);
    pthread_mutex_unlock(&log_mu);
    free(line);
}

void gh_logf(gh_log_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gh_log(level, NULL, msg, NULL);
}
