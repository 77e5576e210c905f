/* IdP calls for suspended requests, run on the shared outbound workers
 * (core/outbound.h): see idpcall.h. */
#include "http/idpcall.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/outbound.h"

/* IdP calls in flight at once: a bound of their own, so a slow identity
 * provider can hold at most this many of the shared workers' queue places
 * (mail keeps the rest), and each beyond it is answered 503 at once. */
#define IN_FLIGHT_MAX 16

typedef struct call {
    gh_idpcall_fn fn, done;
    void *arg, *done_arg;
} call;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static unsigned in_flight;
static bool accepting;

/* On an outbound worker. The call runs even while the workers drain at
 * shutdown: each is bounded by its own timeouts, and its continuation must
 * resume the suspended connection in any case. */
static void run_call(void *arg)
{
    call *c = arg;
    c->fn(c->arg);
    if (c->done) c->done(c->done_arg);
    free(c);
    pthread_mutex_lock(&mu);
    if (--in_flight == 0) pthread_cond_broadcast(&idle_cv);
    pthread_mutex_unlock(&mu);
}

int gh_idpcall_start(void)
{
    pthread_mutex_lock(&mu);
    accepting = true;
    pthread_mutex_unlock(&mu);
    return 0;
}

bool gh_idpcall_submit(gh_idpcall_fn fn, void *arg, gh_idpcall_fn done, void *done_arg)
{
    call *c = malloc(sizeof *c);
    if (!c) return false;
    *c = (call){fn, done, arg, done_arg};
    pthread_mutex_lock(&mu);
    bool ok = accepting && in_flight < IN_FLIGHT_MAX;
    if (ok) in_flight++;
    pthread_mutex_unlock(&mu);
    if (ok && gh_outbound_submit(run_call, c) != 0) {
        pthread_mutex_lock(&mu);
        if (--in_flight == 0) pthread_cond_broadcast(&idle_cv);
        pthread_mutex_unlock(&mu);
        ok = false;
    }
    if (!ok) free(c);
    return ok;
}

void gh_idpcall_stop(void)
{
    pthread_mutex_lock(&mu);
    accepting = false;
    while (in_flight > 0) pthread_cond_wait(&idle_cv, &mu);
    pthread_mutex_unlock(&mu);
}
