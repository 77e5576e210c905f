/* Fixed-size worker pool with a bounded queue shared fairly (pool.h). The
 * queue is small (16 per thread), so admission counts a source's jobs by
 * scanning it and the running slots under the one mutex. */
#include "http/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/metrics.h"
#include "util/util.h"

typedef struct job {
    gh_pool_fn fn;
    void *arg;
    gh_pool_fn done;
    void *done_arg;
    uint64_t keys[GH_POOL_KEYS];  /* keyed hashes of the sources; 0 = none */
    bool priority;
    bool wait;
    double queued_ms; /* gh_mono_ms() when queued */
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static job *queue;      /* FIFO in [0, qlen) */
static job *running;    /* one slot per thread; fn == NULL when idle */
static unsigned qmax, qlen, nthreads, share, open_max;
static job *waiting;    /* jobs that wait for room, in arrival order, in [0, wlen) */
static unsigned wlen;
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

/* Jobs waiting that name source h. Called with mu held. */
static unsigned waiting_for(uint64_t h)
{
    unsigned n = 0;
    for (unsigned i = 0; i < wlen; i++)
        for (unsigned k = 0; k < GH_POOL_KEYS; k++) n += waiting[i].keys[k] == h;
    return n;
}

static bool fits(const job *j)
{
    if (qlen >= (j->priority ? qmax : open_max)) return false;
    for (unsigned k = 0; k < GH_POOL_KEYS; k++)
        if (j->keys[k] && held_by(j->keys[k]) >= share) return false;
    return true;
}

/* Moves waiting jobs into the queue, oldest first, each as soon as the
 * queue and its sources have room (a source at its share is passed over,
 * so one kiosk's backlog does not hold up another's). When stopping,
 * everything goes (the workers drain the queue). Called with mu held. */
static void admit_waiting(void)
{
    unsigned i = 0;
    while (i < wlen && qlen < qmax) {
        if (!stopping && !fits(&waiting[i])) { i++; continue; }
        queue[qlen++] = waiting[i];
        memmove(&waiting[i], &waiting[i + 1], (wlen - i - 1) * sizeof *waiting);
        wlen--;
        pthread_cond_signal(&cv);
    }
}

static gh_metric *wait_metric;

static double queue_depth(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&mu);
    unsigned n = qlen + wlen;
    pthread_mutex_unlock(&mu);
    return n;
}

/* Hashing threads run niced (issue 17): when sign-ins saturate them, the
 * HTTP threads (checks, pages) still get the cores first. Linux applies a
 * thread id's nice value to that thread alone; failure is harmless. */
#define GH_POOL_NICE 5

static void *worker(void *slot)
{
    job *mine = slot;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0) (void)setpriority(PRIO_PROCESS, (id_t)tid, prio + GH_POOL_NICE > 19 ? 19 : prio + GH_POOL_NICE);
    for (;;) {
        pthread_mutex_lock(&mu);
        mine->fn = NULL;
        admit_waiting(); /* this thread's job ended: its sources have room again */
        while (qlen == 0 && !stopping) pthread_cond_wait(&cv, &mu);
        if (stopping) admit_waiting();
        if (qlen == 0 && stopping) { pthread_mutex_unlock(&mu); return NULL; }
        /* Priority jobs first, otherwise the oldest. */
        unsigned pick = 0;
        for (unsigned i = 0; i < qlen; i++)
            if (queue[i].priority) { pick = i; break; }
        *mine = queue[pick];
        memmove(&queue[pick], &queue[pick + 1], (qlen - pick - 1) * sizeof *queue);
        qlen--;
        admit_waiting();
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
    waiting = calloc(GH_POOL_WAIT_MAX, sizeof *waiting);
    running = calloc(n, sizeof *running);
    threads = calloc(n, sizeof *threads);
    if (!queue || !running || !threads || !waiting) goto fail;
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
        j.wait = tag->wait;
    }
    gh_pool_result res = GH_POOL_FULL;
    pthread_mutex_lock(&mu);
    if (stopping || nthreads == 0) goto out;
    j.queued_ms = gh_mono_ms();
    bool room = qlen < (j.priority ? qmax : open_max), source_room = true;
    for (unsigned k = 0; k < GH_POOL_KEYS; k++)
        if (j.keys[k] && held_by(j.keys[k]) >= share) source_room = false;
    if (room && source_room && wlen == 0) {
        queue[qlen++] = j;
        res = GH_POOL_OK;
        pthread_cond_signal(&cv);
        goto out;
    }
    if (j.wait && wlen < GH_POOL_WAIT_MAX) {
        /* In line behind the others that wait; one source may not hold
         * more than GH_POOL_WAIT_SHARE places. */
        for (unsigned k = 0; k < GH_POOL_KEYS; k++)
            if (j.keys[k] && waiting_for(j.keys[k]) >= GH_POOL_WAIT_SHARE) { res = GH_POOL_SOURCE_FULL; goto out; }
        waiting[wlen++] = j;
        admit_waiting();
        res = GH_POOL_OK;
        goto out;
    }
    if (room && source_room) {
        queue[qlen++] = j; /* jobs that cannot wait pass those that do */
        res = GH_POOL_OK;
        pthread_cond_signal(&cv);
        goto out;
    }
    res = room ? GH_POOL_SOURCE_FULL : GH_POOL_FULL;
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
    free(waiting);
    waiting = NULL;
    wlen = 0;
    threads = NULL;
    running = NULL;
    queue = NULL;
    nthreads = qlen = 0;
}
