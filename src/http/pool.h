/*
 * The hashing pool: a few threads (one per core) that run slow work such as
 * argon2id off the HTTP threads. Its queue is bounded, which bounds how many
 * hashes can be in flight (a CPU-exhaustion defence): when full, submit
 * fails and the caller answers 503.
 *
 * The queue is shared fairly. A job may name up to GH_POOL_KEYS sources
 * (for a sign-in: the account and the client address; at a kiosk: the badge
 * and the enrolled device): no source may hold more than its share of the
 * queue (queued plus running), so one account, device or address cannot
 * take it all, and a kiosk that serves a whole shift from one address is
 * keyed by its device rather than by that address. A quarter of the queue is
 * kept for priority jobs (guesses from an address the account signed in
 * from before), which also run first: a flood of guesses from many
 * addresses fills the rest and gets 503, while the owner still gets in.
 * Jobs tagged `wait` (kiosk sign-ins) are not refused when the queue is
 * full: they wait in a bounded line and are queued in arrival order as
 * room frees up, each source limited to its share as before.
 */
#ifndef GH_POOL_H
#define GH_POOL_H
#include <stdbool.h>
#include <stdint.h>

typedef void (*gh_pool_fn)(void *arg);

#define GH_POOL_KEYS 2
/* Who a job is for. Zero-initialised: no source, no priority. */
typedef struct gh_pool_tag {
    const char *keys[GH_POOL_KEYS];  /* NULL or "" = unused; copied as hashes */
    bool priority;
    /* Wait in line when the queue or a source's share is full, instead of
     * failing (kiosk sign-ins at shift change, issue 22): the job is queued,
     * oldest first, as soon as there is room for it; a source at its share
     * is passed over. At most GH_POOL_WAIT_MAX jobs wait, GH_POOL_WAIT_SHARE
     * per source. */
    bool wait;
} gh_pool_tag;
#define GH_POOL_WAIT_MAX 1024
#define GH_POOL_WAIT_SHARE 128

typedef enum {
    GH_POOL_OK = 0,
    GH_POOL_FULL,          /* the queue (or its non-priority part) is full */
    GH_POOL_SOURCE_FULL,   /* one of the job's sources holds its share */
} gh_pool_result;

int gh_pool_start(unsigned threads, unsigned queue_max);
/* Runs fn(arg) then done(done_arg) on a pool thread. false if the queue is full. */
bool gh_pool_submit(gh_pool_fn fn, void *arg, gh_pool_fn done, void *done_arg);
/* The same, for the sources in tag (NULL: none). */
gh_pool_result gh_pool_submit_tagged(gh_pool_fn fn, void *arg, gh_pool_fn done, void *done_arg,
                                     const gh_pool_tag *tag);
/* Per-source share and priority reserve, for tests and the bench. */
unsigned gh_pool_share(void);
/* Finishes queued work and joins the threads. */
void gh_pool_stop(void);

#endif
