/*
 * Structured logging: one JSON object per line on stderr, with a timestamp,
 * a level and, where there is one, the request id.
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
/* printf-style convenience without extra fields. */
void gh_logf(gh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
