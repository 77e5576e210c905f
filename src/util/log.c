/* JSON-lines logger; a mutex keeps concurrent lines whole. */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/util.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int log_quiet;

void gh_log_set_quiet(int quiet) { log_quiet = quiet; }
int gh_log_is_quiet(void) { return log_quiet; }

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
    pthread_mutex_lock(&log_mu);
    fputs(line, stderr);
    fputc('\n', stderr);
    fflush(stderr);
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
