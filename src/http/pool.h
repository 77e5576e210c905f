/*
 * The hashing pool: a few threads (one per core) that run slow work such as
 * argon2id off the HTTP threads. Its queue is bounded, which bounds how many
 * hashes can be in flight (a CPU-exhaustion defence): when full, submit
 * fails and the caller answers 503.
 */
#ifndef GH_POOL_H
#define GH_POOL_H
#include <stdbool.h>

typedef void (*gh_pool_fn)(void *arg);

int gh_pool_start(unsigned threads, unsigned queue_max);
/* Runs fn(arg) then done(done_arg) on a pool thread. false if the queue is full. */
bool gh_pool_submit(gh_pool_fn fn, void *arg, gh_pool_fn done, void *done_arg);
/* Finishes queued work and joins the threads. */
void gh_pool_stop(void);

#endif
