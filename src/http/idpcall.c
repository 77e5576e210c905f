/* IdP-call threads: see idpcall.h (to be replaced by core/outbound.h). */
#include "http/idpcall.h"

#include <pthread.h>
#include <stddef.h>

#define THREADS 2
#define QUEUE_MAX 16

typedef struct call {
    gh_idpcall_fn fn, done;
    void *arg, *done_arg;
} call;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static call queue[QUEUE_MAX];
static unsigned head, len, started;
static bool stopping;
static pthread_t threads[THREADS];

static void *worker(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (len == 0 && !stopping) pthread_cond_wait(&cv, &mu);
        if (len == 0) { pthread_mutex_unlock(&mu); return NULL; }
        call c = queue[head];
        head = (head + 1) % QUEUE_MAX;
        len--;
        pthread_mutex_unlock(&mu);
        c.fn(c.arg);
        if (c.done) c.done(c.done_arg);
    }
}

int gh_idpcall_start(void)
{
    stopping = false;
    for (started = 0; started < THREADS; started++)
        if (pthread_create(&threads[started], NULL, worker, NULL) != 0) break;
    return started == THREADS ? 0 : -1;
}

bool gh_idpcall_submit(gh_idpcall_fn fn, void *arg, gh_idpcall_fn done, void *done_arg)
{
    bool ok = false;
    pthread_mutex_lock(&mu);
    if (!stopping && started > 0 && len < QUEUE_MAX) {
        queue[(head + len) % QUEUE_MAX] = (call){fn, done, arg, done_arg};
        len++;
        ok = true;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

void gh_idpcall_stop(void)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (unsigned i = 0; i < started; i++) pthread_join(threads[i], NULL);
    started = 0;
}
