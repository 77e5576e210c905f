/* Refused requests: log line, per-actor rate bound, queue for the audit
 * trail. See denials.h. */
#include "core/denials.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/log.h"
#include "util/hash.h"

#define SLOTS 512     /* actors tracked at once (open addressing) */
#define PROBE 8
#define QUEUE_MAX 256 /* refusals waiting for the background loop */

typedef struct {
    char key[2 * GH_ID_MAX];  /* org id + ' ' + actor id; "" = free */
    int64_t window_start;
    int count;
    int suppressed;           /* refused over the rate in the current window */
} slot;

typedef struct {
    char org_id[GH_ID_MAX];
    char actor_type[16];
    char actor_id[GH_ID_MAX];
    char ip[64];
    char request_id[GH_ID_MAX];
    char target[160];         /* "GET /v1/users/{id}" */
    char *detail;             /* JSON text, owned */
    int64_t at;
} queued;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static slot slots[SLOTS];
static queued queue[QUEUE_MAX];
static int queue_len;

static const char *actor_type_name(gh_actor_type t)
{
    switch (t) {
    case GH_ACTOR_USER: return "user";
    case GH_ACTOR_API_KEY: return "api_key";
    case GH_ACTOR_SYSTEM: return "system";
    default: return "anonymous";
    }
}

/* The actor's slot (claimed if new); under mu. Falls back to the slot with
 * the oldest window when every probed slot belongs to a recent actor. */
static slot *slot_for(const char *key, int64_t now)
{
    size_t i0 = (size_t)(gh_hash_str(key) % SLOTS);
    slot *oldest = NULL;
    for (size_t k = 0; k < PROBE; k++) {
        slot *s = &slots[(i0 + k) % SLOTS];
        if (strcmp(s->key, key) == 0) return s;
        if (!s->key[0] || now - s->window_start >= GH_DENIALS_WINDOW_S) {
            memset(s, 0, sizeof *s);
            gh_strlcpy(s->key, key, sizeof s->key);
            s->window_start = now;
            return s;
        }
        if (!oldest || s->window_start < oldest->window_start) oldest = s;
    }
    memset(oldest, 0, sizeof *oldest);
    gh_strlcpy(oldest->key, key, sizeof oldest->key);
    oldest->window_start = now;
    return oldest;
}

static json_t *opt_str(const char *s) { return s && *s ? json_string(s) : json_null(); }

bool gh_denial_note(const gh_denial *d)
{
    bool has_actor = d->actor_type != GH_ACTOR_NONE && d->actor_id && *d->actor_id && d->org_id && *d->org_id;
    bool queued_it = false;
    int64_t now = gh_now();
    int suppressed = 0;
    char *detail = NULL;
    if (has_actor) {
        char key[2 * GH_ID_MAX];
        snprintf(key, sizeof key, "%s %s", d->org_id, d->actor_id);
        pthread_mutex_lock(&mu);
        slot *s = slot_for(key, now);
        if (now - s->window_start >= GH_DENIALS_WINDOW_S) {
            s->window_start = now;
            s->count = 0;
            /* s->suppressed carries over: the next event says how many went unrecorded */
        }
        bool under = s->count < GH_DENIALS_PER_WINDOW && queue_len < QUEUE_MAX;
        if (under) {
            s->count++;
            suppressed = s->suppressed;
            s->suppressed = 0;
        } else {
            s->suppressed++;
        }
        pthread_mutex_unlock(&mu);
        if (under) {
            json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:s}", "method", d->method ? d->method : "",
                                  "route", d->route ? d->route : "", "path", d->path ? d->path : "",
                                  "permission", opt_str(d->permission), "code", d->code ? d->code : "");
            if (j && suppressed > 0) json_object_set_new(j, "suppressed_before", json_integer(suppressed));
            detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
            json_decref(j);
        }
        if (detail) {
            pthread_mutex_lock(&mu);
            if (queue_len < QUEUE_MAX) {
                queued *q = &queue[queue_len++];
                memset(q, 0, sizeof *q);
                gh_strlcpy(q->org_id, d->org_id, sizeof q->org_id);
                gh_strlcpy(q->actor_type, actor_type_name(d->actor_type), sizeof q->actor_type);
                gh_strlcpy(q->actor_id, d->actor_id, sizeof q->actor_id);
                gh_strlcpy(q->ip, d->ip ? d->ip : "", sizeof q->ip);
                gh_strlcpy(q->request_id, d->request_id ? d->request_id : "", sizeof q->request_id);
                snprintf(q->target, sizeof q->target, "%s %s", d->method ? d->method : "", d->route ? d->route : "");
                q->detail = detail;
                q->at = now;
                detail = NULL;
                queued_it = true;
            }
            pthread_mutex_unlock(&mu);
        }
        free(detail);
    }
    gh_log(GH_LOG_WARN, d->request_id, "access denied",
           json_pack("{s:s, s:o, s:o, s:s, s:s, s:o, s:s, s:s, s:b}", "actor_type", actor_type_name(d->actor_type),
                     "actor", opt_str(d->actor_id), "org", opt_str(d->org_id), "method", d->method ? d->method : "",
                     "route", d->route ? d->route : "", "permission", opt_str(d->permission),
                     "code", d->code ? d->code : "", "ip", d->ip ? d->ip : "", "audited", queued_it));
    return queued_it;
}

void gh_denials_flush(gh_db *db)
{
    queued *batch = NULL;
    int n = 0;
    gh_err err = {0};
    pthread_mutex_lock(&mu);
    if (queue_len > 0 && (batch = malloc((size_t)queue_len * sizeof *batch)) != NULL) {
        memcpy(batch, queue, (size_t)queue_len * sizeof *batch);
        n = queue_len;
        queue_len = 0;
    }
    pthread_mutex_unlock(&mu);
    if (n == 0) goto out;
    if (gh_db_begin(db, &err) != GH_OK) goto fail;
    for (int i = 0; i < n; i++) {
        gh_audit_row row = {
            .org_id = batch[i].org_id, .actor_type = batch[i].actor_type, .actor_id = batch[i].actor_id,
            .action = "access.denied", .target_type = "route", .target_id = batch[i].target,
            .ip = batch[i].ip, .request_id = batch[i].request_id, .detail_json = batch[i].detail, .at = batch[i].at,
        };
        if (gh_store_audit_insert(db, &row, &err) != GH_OK) { gh_db_rollback(db); goto fail; }
    }
    if (gh_db_commit(db, &err) != GH_OK) { gh_db_rollback(db); goto fail; }
    goto out;
fail:
    gh_log(GH_LOG_ERROR, NULL, "refusals not recorded in the audit trail",
           json_pack("{s:i, s:s}", "dropped", n, "error", err.detail));
out:
    for (int i = 0; i < n; i++) free(batch[i].detail);
    free(batch);
    gh_err_clear(&err);
}

void gh_denials_reset(void)
{
    pthread_mutex_lock(&mu);
    for (int i = 0; i < queue_len; i++) free(queue[i].detail);
    queue_len = 0;
    memset(slots, 0, sizeof slots);
    pthread_mutex_unlock(&mu);
}
