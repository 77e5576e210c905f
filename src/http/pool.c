/* Fixed-size worker pool with a bounded queue shared fairly (pool.h). The
 * queue is small (16 per thread), so admission counts a source's jobs by
 * scanning it and the running slots under the one mutex. */
#include "http/pool.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"
#include "util/util.h"

typedef struct job {
    gh_pool_fn fn;
    void *arg;
    gh_pool_fn done;
    void *done_arg;
    uint64_t keys[GH_POOL_KEYS];  /* keyed hashes of the sources; 0 = none */
    bool priority;
    double queued_ms; /* gh_mono_ms() when queued */
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static job *queue;      /* FIFO in [0, qlen) */
static job *running;    /* one slot per thread; fn == NULL when idle */
static unsigned qmax, qlen, nthreads, share, open_max;
static bool stopping;
static pthread_t *threads;
static unsigned char hkey[crypto_shorthash_KEYBYTES];

static uint64_t key_hash(const char *k)
{
    if (!k || !*k) return 0;
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)k, strlen(k), hkey);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h ? h : 1;
}

/* Jobs (queued and running) that name source h. Called with mu held. */
static unsigned held_by(uint64_t h)
{
    unsigned n = 0;
    for (unsigned i = 0; i < qlen; i++)
        for (unsigned k = 0; k < GH_POOL_KEYS; k++) n += queue[i].keys[k] == h;
    for (unsigned t = 0; t < nthreads; t++)
        if (running[t].fn)
            for (unsigned k = 0; k < GH_POOL_KEYS; k++) n += running[t].keys[k] == h;
    return n;
}

static gh_metric *wait_metric;

static double queue_depth(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&mu);
    unsigned n = qlen;
    pthread_mutex_unlock(&mu);
    return n;
}

static void *worker(void *slot)
{
    job *mine = slot;
    for (;;) {
        pthread_mutex_lock(&mu);
        mine->fn = NULL;
        while (qlen == 0 && !stopping) pthread_cond_wait(&cv, &mu);
        if (qlen == 0 && stopping) { pthread_mutex_unlock(&mu); return NULL; }
        /* Priority jobs first, otherwise the oldest. */
        unsigned pick = 0;
        for (unsigned i = 0; i < qlen; i++)
            if (queue[i].priority) { pick = i; break; }
        *mine = queue[pick];
        memmove(&queue[pick], &queue[pick + 1], (qlen - pick - 1) * sizeof *queue);
        qlen--;
        job j = *mine;
        pthread_mutex_unlock(&mu);
        gh_metric_observe(wait_metric, NULL, (gh_mono_ms() - j.queued_ms) / 1000.0);
        j.fn(j.arg);
        if (j.done) j.done(j.done_arg);
    }
}

int gh_pool_start(unsigned n, unsigned queue_max)
{
    if (n == 0 || queue_max < 4) return -1;
    randombytes_buf(hkey, sizeof hkey);
    gh_metric_gauge_fn("gatehouse_hash_queue_depth", "password hashes waiting for a hashing thread", queue_depth, NULL);
    wait_metric = gh_metric_histogram("gatehouse_hash_queue_wait_seconds",
                                      "time a password hash waited in the queue before a thread took it", NULL, NULL, 0);
    queue = calloc(queue_max, sizeof *queue);
    running = calloc(n, sizeof *running);
    threads = calloc(n, sizeof *threads);
    if (!queue || !running || !threads) goto fail;
    qmax = queue_max;
    open_max = queue_max - queue_max / 4;
    share = queue_max / 8 > 2 ? queue_max / 8 : 2;
    stopping = false;
    for (nthreads = 0; nthreads < n; nthreads++)
        if (pthread_create(&threads[nthreads], NULL, worker, &running[nthreads]) != 0) goto fail;
    return 0;
fail:
    gh_pool_stop();
    return -1;
}

unsigned gh_pool_share(void) { return share; }

gh_pool_result gh_pool_submit_tagged(gh_pool_fn fn, void *arg, gh_pool_fn done, void *done_arg,
                                     const gh_pool_tag *tag)
{
    job j = {.fn = fn, .arg = arg, .done = done, .done_arg = done_arg};
    if (tag) {
        for (unsigned k = 0; k < GH_POOL_KEYS; k++) j.keys[k] = key_hash(tag->keys[k]);
        j.priority = tag->priority;
    }
    gh_pool_result res = GH_POOL_FULL;
    pthread_mutex_lock(&mu);
    if (stopping || nthreads == 0 || qlen >= (j.priority ? qmax : open_max)) goto out;
    for (unsigned k = 0; k < GH_POOL_KEYS; k++)
        if (j.keys[k] && held_by(j.keys[k]) >= share) { res = GH_POOL_SOURCE_FULL; goto out; }
    j.queued_ms = gh_mono_ms();
    queue[qlen++] = j;
    res = GH_POOL_OK;
    pthread_cond_signal(&cv);
out:
    pthread_mutex_unlock(&mu);
    return res;
}

bool gh_pool_submit(gh_pool_fn fn, void *arg, gh_pool_fn done, void *done_arg)
{
    return gh_pool_submit_tagged(fn, arg, done, done_arg, NULL) == GH_POOL_OK;
}

void gh_pool_stop(void)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (unsigned i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
    free(threads);
    free(running);
    free(queue);
    threads = NULL;
    running = NULL;
    queue = NULL;
    nthreads = qlen = 0;
}
