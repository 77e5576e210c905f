/*
 * Structured logging: one JSON object per line on stderr, with a timestamp,
 * a level and, where there is one, the request id. Lines are written by a
 * writer thread through a buffer (off the request threads); error lines
 * are written before gh_log returns; the rest at most a moment later and
 * always by exit.
 */
#ifndef GH_LOG_H
#define GH_LOG_H
#include <jansson.h>

typedef enum { GH_LOG_DEBUG, GH_LOG_INFO, GH_LOG_WARN, GH_LOG_ERROR } gh_log_level;

void gh_log_set_quiet(int quiet);
/* True when info lines are suppressed (--quiet). */
int gh_log_is_quiet(void);
/* Logs msg with the fields of `fields` (may be NULL; a reference is stolen). */
void gh_log(gh_log_level level, const char *request_id, const char *msg, json_t *fields);
/* Waits until every line logged so far is written to stderr. */
void gh_log_flush(void);
/* Writes what is buffered and stops the writer thread; lines logged after
 * it are written directly. Also run at exit. */
void gh_log_stop(void);
/* printf-style convenience without extra fields. */
void gh_logf(gh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
