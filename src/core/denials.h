/*
 * Refused requests (issue 11 item 7, ASVS "log authorization failures").
 * The dispatcher hands every 403 it sends to gh_denial_note; the refusal is
 * logged at once and, at a bounded rate per actor, queued in memory for the
 * audit trail (action `access.denied`). The background loop writes the queue
 * (gh_denials_flush) on its own connection, so a busy database never holds a
 * request thread, and a failed write only drops the queued events (logged):
 * a refusal is never turned into a 500.
 */
#ifndef GH_DENIALS_H
#define GH_DENIALS_H
#include <stdbool.h>

#include "core/ctx.h"

/* At most this many refusals per actor per window reach the audit trail. */
#define GH_DENIALS_PER_WINDOW 10
#define GH_DENIALS_WINDOW_S 60

typedef struct gh_denial {
    const char *org_id;        /* the actor's organization ("" or NULL: none) */
    gh_actor_type actor_type;
    const char *actor_id;
    const char *method;
    const char *route;         /* the route's pattern, "/v1/users/{id}" */
    const char *path;
    const char *permission;    /* the permission the route or core asked for, or NULL */
    const char *code;          /* the problem's code */
    const char *ip;
    const char *request_id;
} gh_denial;

/* Logs the refusal and queues it for the audit trail unless the actor went
 * over the rate. Returns whether it was queued. Thread-safe, no I/O but the
 * log line. */
bool gh_denial_note(const gh_denial *d);

/* Writes the queued refusals in one transaction on db. */
void gh_denials_flush(gh_db *db);

/* Forgets the per-actor counters and the queue (tests). */
void gh_denials_reset(void);

#endif
