/*
 * The process's authorization state: one immutable gh_authz snapshot behind
 * a read-write lock. Readers hold the read lock only while they look at the
 * snapshot (a few hash lookups and bit tests); a rebuild compiles a new
 * snapshot outside the lock and swaps the pointer in under the write lock.
 *
 * A refresh reads the generation counter and, in the same read
 * transaction, either the change log past the snapshot's generation and the
 * users and roles it names (applied with gh_authz_apply: the incremental
 * path) or every org, role and user (a full rebuild), so the snapshot and its
 * generation always agree.
 *
 * Key lists, API key scopes, key validation and template roles: accesskeys.c.
 */
#include "core/ipallow.h"
#include "core/access.h"
#include "core/access_int.h"
#include "core/schedule.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/denials.h"
#include "core/authz.h"
#include "core/session.h"
#include "store/changes.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

static const gh_catalog *catalog;
static gh_authz *current;
static int64_t current_gen = -1;
static pthread_rwlock_t snap_lock = PTHREAD_RWLOCK_INITIALIZER;
/* The orgs that have an IP allowlist, parsed, swapped with the snapshot. */
typedef struct {
    char org_id[GH_ID_MAX];
    int n;
    gh_cidr nets[GH_IP_ALLOWLIST_MAX];
} org_nets;
static org_nets *nets_current;
static size_t nnets_current;
static pthread_mutex_t rebuild_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_t poller;
static bool poller_running;
static uint64_t updates_incremental, updates_full; /* under rebuild_mu */
static unsigned refresh_failures;   /* consecutive failed rebuilds (under rebuild_mu) */
static pthread_mutex_t poll_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t poll_cv = PTHREAD_COND_INITIALIZER;
static bool poll_stop;

int gh_access_init(const gh_catalog *cat)
{
    catalog = cat;
    return 0;
}

const gh_catalog *gh_access_catalog(void) { return catalog; }

void gh_access_shutdown(void)
{
    pthread_rwlock_wrlock(&snap_lock);
    gh_authz_free(current);
    current = NULL;
    current_gen = -1;
    free(nets_current);
    nets_current = NULL;
    nnets_current = 0;
    pthread_rwlock_unlock(&snap_lock);
}

bool gh_access_ip_allowed(const char *org_id, const char *ip)
{
    bool ok = true;
    pthread_rwlock_rdlock(&snap_lock);
    for (size_t i = 0; i < nnets_current; i++) {
        if (strcmp(nets_current[i].org_id, org_id) != 0) continue;
        ok = gh_ip_allowlist_contains(nets_current[i].nets, nets_current[i].n, ip);
        break;
    }
    pthread_rwlock_unlock(&snap_lock);
    return ok;
}

/* ---- rebuild -------------------------------------------------------------------- */
typedef struct {
    gh_authz_org_in *orgs; size_t norgs, corgs;
    gh_authz_role_in *roles; size_t nroles, croles;
    gh_authz_user_in *users; size_t nusers, cusers;
    org_nets *nets; size_t nnets, cnets;
    gh_authz_user_ref *gone; size_t ngone, cgone;
    gh_db *db;        /* incremental path: where changed rows are read */
    bool full;        /* incremental path: give up, rebuild everything */
    gh_arena *strings;
    bool oom;
} build_in;

#define PUSH(arr, n, cap, item, b) do { \
    if ((n) == (cap)) { size_t _c = (cap) ? (cap) * 2 : 64; void *_p = realloc((arr), _c * sizeof *(arr)); \
        if (!_p) { (b)->oom = true; return; } (arr) = _p; (cap) = _c; } \
    (arr)[(n)++] = (item); } while (0)

static const char *keep(build_in *b, const char *s)
{
    const char *c = gh_arena_strdup(b->strings, s);
    if (!c) b->oom = true;
    return c ? c : "";
}

static void org_in(const gh_org *o, void *arg)
{
    build_in *b = arg;
    gh_authz_org_in x = {keep(b, o->id), gh_access_modules_in(o->modules), gh_access_addons_in(o->addons), *gh_access_org_open(o)};
    PUSH(b->orgs, b->norgs, b->corgs, x, b);
    if (!o->ip_allowlist[0]) return;
    org_nets nets = {.n = 0};
    gh_strlcpy(nets.org_id, o->id, sizeof nets.org_id);
    nets.n = gh_ip_allowlist_parse(o->ip_allowlist, nets.nets);
    /* Only valid lists are ever stored; should one not parse, nobody gets
     * in from anywhere rather than everybody from everywhere. */
    if (nets.n < 0) {
        gh_logf(GH_LOG_ERROR, "org %s: unreadable IP allowlist; refusing every address", o->id);
        nets.n = 0;
    }
    PUSH(b->nets, b->nnets, b->cnets, nets, b);
}

static void role_in(const gh_role *r, void *arg)
{
    build_in *b = arg;
    gh_authz_role_in x = {keep(b, r->org_id), keep(b, r->key), gh_access_perms_in(r->permissions), r->device};
    PUSH(b->roles, b->nroles, b->croles, x, b);
}

static void user_in(const gh_user *u, void *arg)
{
    build_in *b = arg;
    gh_authz_user_in x = {keep(b, u->org_id), keep(b, u->id), keep(b, u->role_key),
                          u->modules_all ? GH_AUTHZ_ALL_MODULES : gh_access_modules_in(u->modules), gh_access_perms_in(u->grants),
                          strcmp(u->status, "active") == 0};
    PUSH(b->users, b->nusers, b->cusers, x, b);
}

/* One authz_changes row: read what the row names now, as the snapshot
 * needs it (inside the refresh's read transaction). */
static void change_in(gh_change_kind kind, const char *org_id, const char *id, void *arg)
{
    build_in *b = arg;
    gh_err err = {0};
    if (b->full || b->oom) return;
    if (kind == GH_CHANGE_ROLE) {
        gh_role r;
        if (gh_store_role_get(b->db, org_id, id, &r, &err) == GH_OK) role_in(&r, b);
        else b->full = true; /* a deleted or renamed role: its holders changed too */
    } else {
        gh_user *u = malloc(sizeof *u); /* a few KB: not on the stack */
        gh_status st = u ? gh_store_user_get(b->db, org_id, id, u, &err) : GH_E_INTERNAL;
        if (st == GH_OK) user_in(u, b);
        free(u);
        if (st == GH_E_NOT_FOUND) {
            gh_authz_user_ref ref = {keep(b, org_id), keep(b, id)};
            PUSH(b->gone, b->ngone, b->cgone, ref, b);
        } else if (st != GH_OK) b->full = true;
    }
    gh_err_clear(&err);
}

/* The incremental path: applies the logged changes past the snapshot's
 * generation to it. 1 = done (*fresh set), 0 = rebuild everything (a
 * generation without a logged change: an org, allowlist or catalog change,
 * or a pruned log), -1 = the database failed. Runs inside the read
 * transaction, under rebuild_mu. */
static int refresh_incremental(gh_db *db, const gh_authz *base, int64_t from, int64_t to,
                               build_in *b, gh_authz **fresh, gh_err *err)
{
    int64_t gens = 0;
    b->db = db;
    if (gh_store_changes_since(db, from, to, change_in, b, &gens, err) != GH_OK) return -1;
    if (b->oom) return -1;
    if (b->full || gens != to - from) return 0;
    gh_authz_change ch = {b->roles, b->nroles, b->gone, b->ngone, b->users, b->nusers};
    return gh_authz_apply(base, &ch, fresh) == GH_AUTHZ_OK ? 1 : 0;
}

int gh_access_refresh(gh_db *db, bool force)
{
    int rc = -1;
    build_in b = {0};
    gh_err err = {0};
    gh_authz *fresh = NULL;
    pthread_mutex_lock(&rebuild_mu);
    int64_t gen = gh_db_generation(db);
    if (gen < 0) goto out;
    if (!force && gen == current_gen) { rc = 0; goto out; }
    double t0 = gh_mono_ms();
    if (gh_db_begin_read(db, &err) != GH_OK) goto out;
    gen = gh_db_generation(db);
    b.strings = gh_arena_new();
    if (!b.strings) { gh_db_end_read(db); goto out; }
    pthread_rwlock_rdlock(&snap_lock);
    const gh_authz *base = current; /* only this thread (under rebuild_mu) replaces it */
    pthread_rwlock_unlock(&snap_lock);
    if (!force && base && current_gen >= 0 && gen > current_gen && !gh_authz_worn(base)) {
        int inc = refresh_incremental(db, base, current_gen, gen, &b, &fresh, &err);
        if (inc < 0) { gh_db_end_read(db); goto out; }
        if (inc > 0) {
            gh_db_end_read(db);
            pthread_rwlock_wrlock(&snap_lock);
            gh_authz *old = current;
            current = fresh;
            current_gen = gen;
            pthread_rwlock_unlock(&snap_lock);
            gh_authz_free(old);
            fresh = NULL;
            updates_incremental++;
            gh_metric_inc(gh_metric_counter("gatehouse_snapshot_updates_total",
                                            "authorization snapshot updates, by kind (incremental, full)", "kind"),
                          (const char *const[]){"incremental"});
            gh_metric_observe(gh_metric_histogram("gatehouse_snapshot_update_seconds",
                                                  "time to read and apply changed users and roles to the snapshot", NULL, NULL, 0),
                              NULL, (gh_mono_ms() - t0) / 1000.0);
            rc = 0;
            goto set_gen;
        }
        /* Start over with everything. */
        gh_arena_free(b.strings);
        free(b.roles); free(b.users); free(b.gone);
        memset(&b, 0, sizeof b);
        if (!(b.strings = gh_arena_new())) { gh_db_end_read(db); goto out; }
    }
    if (gh_store_org_each(db, org_in, &b, &err) != GH_OK ||
        gh_store_role_each(db, NULL, role_in, &b, &err) != GH_OK ||
        gh_store_user_each(db, NULL, user_in, &b, &err) != GH_OK || b.oom) {
        gh_db_end_read(db);
        goto out;
    }
    gh_db_end_read(db);
    int brc = gh_authz_build(catalog, b.orgs, b.norgs, b.roles, b.nroles, b.users, b.nusers, &fresh);
    if (brc != GH_AUTHZ_OK) {
        gh_logf(GH_LOG_ERROR, "cannot compile authorization state (error %d)", brc);
        goto out;
    }
    pthread_rwlock_wrlock(&snap_lock);
    gh_authz *old = current;
    org_nets *old_nets = nets_current;
    current = fresh;
    current_gen = gen;
    nets_current = b.nets;
    nnets_current = b.nnets;
    b.nets = NULL;
    pthread_rwlock_unlock(&snap_lock);
    gh_authz_free(old);
    free(old_nets);
    fresh = NULL;
    updates_full++;
    gh_metric_inc(gh_metric_counter("gatehouse_snapshot_updates_total",
                                    "authorization snapshot updates, by kind (incremental, full)", "kind"),
                  (const char *const[]){"full"});
    gh_metric_observe(gh_metric_histogram("gatehouse_snapshot_rebuild_seconds",
                                          "time to read and compile the authorization snapshot", NULL, NULL, 0),
                      NULL, (gh_mono_ms() - t0) / 1000.0);
    rc = 0;
set_gen:
    gh_metric_set(gh_metric_gauge("gatehouse_snapshot_generation", "generation of the authorization snapshot in use", NULL),
                  NULL, gen);
out:
    /* A failed rebuild leaves the old snapshot and its generation in place,
     * so the poller retries on its next tick; the first failure of a streak
     * and the recovery are logged. */
    if (rc != 0 && refresh_failures++ == 0)
        gh_logf(GH_LOG_ERROR, "cannot rebuild the authorization state (%s); checks use the previous one until a retry succeeds",
                err.detail[0] ? err.detail : "database read failed");
    else if (rc == 0 && refresh_failures > 0) {
        gh_logf(GH_LOG_INFO, "authorization state rebuilt after %u failed attempts", refresh_failures);
        refresh_failures = 0;
    }
    pthread_mutex_unlock(&rebuild_mu);
    gh_authz_free(fresh);
    gh_err_clear(&err);
    gh_arena_free(b.strings);
    free(b.orgs);
    free(b.roles);
    free(b.users);
    free(b.gone);
    free(b.nets);
    return rc;
}

/* The change log keeps the last CHANGES_KEPT generations: a process further
 * behind (a node back from a long pause) rebuilds everything instead. */
#define CHANGES_KEPT 10000

static void prune_changes(gh_db *db)
{
    gh_err err = {0};
    int64_t gen = gh_db_generation(db);
    if (gen > CHANGES_KEPT && gh_store_changes_prune(db, gen - CHANGES_KEPT, &err) != GH_OK)
        gh_logf(GH_LOG_WARN, "cannot prune the authorization change log: %s", err.detail);
    gh_err_clear(&err);
}

void gh_access_update_counts(uint64_t *incremental, uint64_t *full)
{
    pthread_mutex_lock(&rebuild_mu);
    *incremental = updates_incremental;
    *full = updates_full;
    pthread_mutex_unlock(&rebuild_mu);
}

size_t gh_access_snapshot_memory(size_t *users)
{
    pthread_rwlock_rdlock(&snap_lock);
    size_t n = gh_authz_memory(current);
    *users = current ? gh_authz_user_count(current) : 0;
    pthread_rwlock_unlock(&snap_lock);
    return n;
}

static void *poll_loop(void *unused)
{
    (void)unused;
    gh_db *db = NULL;
    char err[256];
    if (gh_db_open(gh_db_path(), &db, err, sizeof err) != 0) {
        gh_logf(GH_LOG_ERROR, "poller: %s", err);
        return NULL;
    }
    unsigned ticks = 0;
    int64_t swept_at = 0;
    pthread_mutex_lock(&poll_mu);
    while (!poll_stop) {
        pthread_mutex_unlock(&poll_mu);
        gh_access_refresh(db, false);
        if (++ticks % 240 == 0) prune_changes(db); /* about once a minute */
        /* Expiry dates and scheduled locks (core/schedule.h): once per second
         * of the clock (which tests move), a batch at a time. */
        int64_t now = gh_now();
        if (now != swept_at && gh_schedule_sweep(db) < 100) swept_at = now;
        gh_session_touches_flush(db);
        gh_denials_flush(db);
        pthread_mutex_lock(&poll_mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        if (!poll_stop) pthread_cond_timedwait(&poll_cv, &poll_mu, &ts);
    }
    pthread_mutex_unlock(&poll_mu);
    gh_denials_flush(db); /* what the last requests refused */
    gh_session_touches_flush(db); /* what the last requests queued */
    gh_db_close(db);
    return NULL;
}

bool gh_access_ready(void)
{
    pthread_rwlock_rdlock(&snap_lock);
    bool ok = current != NULL;
    pthread_rwlock_unlock(&snap_lock);
    return ok;
}

void gh_access_refresh_soon(void)
{
    pthread_mutex_lock(&poll_mu);
    pthread_cond_signal(&poll_cv);
    pthread_mutex_unlock(&poll_mu);
}

int gh_access_start_poller(void)
{
    poll_stop = false;
    if (pthread_create(&poller, NULL, poll_loop, NULL) != 0) return -1;
    poller_running = true;
    return 0;
}

void gh_access_stop_poller(void)
{
    if (!poller_running) return;
    pthread_mutex_lock(&poll_mu);
    poll_stop = true;
    pthread_cond_signal(&poll_cv);
    pthread_mutex_unlock(&poll_mu);
    pthread_join(poller, NULL);
    poller_running = false;
}

/* ---- questions ---------------------------------------------------------------------- */
bool gh_access_allowed(gh_ctx *ctx, const char *perm)
{
    if (ctx->actor.type == GH_ACTOR_SYSTEM) return true;
    if (ctx->actor.type == GH_ACTOR_API_KEY)
        return gh_access_key_holds(&ctx->actor, perm) ||
               (perm && strcmp(perm, "tasks.assign") == 0 && (ctx->actor.key_services & GH_SCOPE_TASKS_WRITE));
    if (ctx->actor.type != GH_ACTOR_USER) return false;
    pthread_rwlock_rdlock(&snap_lock);
    bool ok = gh_authz_check(current, ctx->actor.org_id, ctx->actor.id, perm, NULL);
    pthread_rwlock_unlock(&snap_lock);
    return ok;
}

bool gh_access_is_device(gh_ctx *ctx)
{
    if (ctx->actor.type != GH_ACTOR_USER) return false;
    pthread_rwlock_rdlock(&snap_lock);
    int u = gh_authz_user_index(current, ctx->actor.org_id, ctx->actor.id);
    bool dev = u >= 0 && gh_authz_user_device(current, u);
    pthread_rwlock_unlock(&snap_lock);
    return dev;
}

bool gh_access_user_active(const char *org_id, const char *user_id)
{
    pthread_rwlock_rdlock(&snap_lock);
    int u = gh_authz_user_index(current, org_id, user_id);
    bool ok = u >= 0 && gh_authz_user_active(current, u);
    pthread_rwlock_unlock(&snap_lock);
    return ok;
}

bool gh_access_check(const char *org_id, const char *user_id, const char *perm, const char **reason)
{
    gh_authz_reason why = GH_AUTHZ_UNKNOWN_USER;
    pthread_rwlock_rdlock(&snap_lock);
    bool ok = gh_authz_check(current, org_id, user_id, perm, &why);
    pthread_rwlock_unlock(&snap_lock);
    /* Unknown, locked and deleted users read the same: nothing leaks. */
    *reason = (why == GH_AUTHZ_UNKNOWN_USER || why == GH_AUTHZ_USER_INACTIVE) ? "denied" : gh_authz_reason_str(why);
    return ok;
}

json_t *gh_access_summary(const char *org_id, const char *user_id)
{
    json_t *o = NULL;
    pthread_rwlock_rdlock(&snap_lock);
    int u = gh_authz_user_index(current, org_id, user_id);
    if (u >= 0) {
        o = gh_authz_effective_json(current, u);
        const char *role = gh_authz_user_role(current, u);
        if (o) {
            json_object_set_new(o, "role", role ? json_string(role) : json_null());
            json_object_set_new(o, "device", json_boolean(gh_authz_user_device(current, u)));
        }
    }
    pthread_rwlock_unlock(&snap_lock);
    return o;
}

json_t *gh_access_explain(const char *org_id, const char *user_id)
{
    json_t *o = NULL;
    pthread_rwlock_rdlock(&snap_lock);
    int u = gh_authz_user_index(current, org_id, user_id);
    if (u >= 0) o = gh_authz_explain(current, catalog, u);
    pthread_rwlock_unlock(&snap_lock);
    return o;
}

