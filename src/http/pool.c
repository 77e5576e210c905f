/* Fixed-size worker pool with a bounded FIFO queue. */
#include "http/pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job { gh_pool_fn fn; void *arg; gh_pool_fn done; void *done_arg; } job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static job *queue;
static unsigned qmax, qhead, qlen, nthreads;
static bool stopping;
static pthread_t *threads;

static void *worker(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (qlen == 0 && !stopping) pthread_cond_wait(&cv, &mu);
        if (qlen == 0 && stopping) { pthread_mutex_unlock(&mu); return NULL; }
        job j = queue[qhead];
        qhead = (qhead + 1) % qmax;
        qlen--;
        pthread_mutex_unlock(&mu);
        j.fn(j.arg);
        if (j.done) j.done(j.done_arg);
    }
}

int gh_pool_start(unsigned n, unsigned queue_max)
{
    queue = calloc(queue_max, sizeof *queue);
    threads = calloc(n, sizeof *threads);
    if (!queue || !threads) goto fail;
    qmax = queue_max;
    stopping = false;
    for (nthreads = 0; nthreads < n; nthreads++)
        if (pthread_create(&threads[nthreads], NULL, worker, NULL) != 0) goto fail;
    return 0;
fail:
    gh_pool_stop();
    return -1;
}

bool gh_pool_submit(gh_pool_fn fn, void *arg, gh_pool_fn done, void *done_arg)
{
    bool ok = false;
    pthread_mutex_lock(&mu);
    if (!stopping && qlen < qmax && nthreads > 0) {
        queue[(qhead + qlen) % qmax] = (job){fn, arg, done, done_arg};
        qlen++;
        ok = true;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

void gh_pool_stop(void)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (unsigned i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
    free(threads);
    free(queue);
    threads = NULL;
    queue = NULL;
    nthreads = qlen = qhead = 0;
}
