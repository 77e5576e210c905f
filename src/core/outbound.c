/* The outbound I/O workers: a fixed set of threads and a bounded FIFO. */
#include "core/outbound.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"

#define MAX_THREADS 16

typedef struct job {
    gh_outbound_fn fn;
    void *arg;
    struct job *next;
    /* For gh_outbound_run: the waiter's flag, guarded by mu. */
    bool *done;
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static pthread_t threads[MAX_THREADS];
static unsigned nthreads;
static job *head, *tail;
static size_t queued, running, qmax;
static bool stopping, started;
static _Thread_local bool tl_cancelled;

bool gh_outbound_cancelled(void) { return tl_cancelled; }

/* The sockets of transfers in progress, so that stopping can interrupt them
 * (libcurl's blocking waits, e.g. for the reply to an SMTP DATA, do not call
 * the progress callback). Guarded by mu. */
#define MAX_SOCKETS 64
static curl_socket_t sockets[MAX_SOCKETS];
static size_t nsockets;

static curl_socket_t open_socket(void *unused, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)unused;
    (void)purpose;
    pthread_mutex_lock(&mu);
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (!stopping && nsockets < MAX_SOCKETS) {
        fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
        if (fd >= 0) sockets[nsockets++] = fd;
        else fd = CURL_SOCKET_BAD;
    }
    pthread_mutex_unlock(&mu);
    return fd;
}

static int close_socket(void *unused, curl_socket_t fd)
{
    (void)unused;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nsockets; i++) {
        if (sockets[i] == fd) {
            sockets[i] = sockets[--nsockets];
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return close(fd);
}

static void *worker(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!head && !stopping) pthread_cond_wait(&work_cv, &mu);
        if (!head) break; /* stopping and nothing left */
        job *j = head;
        head = j->next;
        if (!head) tail = NULL;
        queued--;
        running++;
        bool cancel = stopping;
        pthread_mutex_unlock(&mu);
        tl_cancelled = cancel;
        j->fn(j->arg);
        tl_cancelled = false;
        pthread_mutex_lock(&mu);
        running--;
        if (j->done) {
            *j->done = true;
            pthread_cond_broadcast(&done_cv);
        }
        free(j);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int gh_outbound_start(unsigned n, size_t queue_max)
{
    if (n == 0 || n > MAX_THREADS || queue_max == 0) return -1;
    pthread_mutex_lock(&mu);
    bool already = started;
    pthread_mutex_unlock(&mu);
    if (already) return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
    pthread_mutex_lock(&mu);
    stopping = false;
    qmax = queue_max;
    nthreads = 0;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&threads[i], NULL, worker, NULL) != 0) break;
        nthreads++;
    }
    started = nthreads > 0;
    pthread_mutex_unlock(&mu);
    if (!started) {
        curl_global_cleanup();
        return -1;
    }
    return 0;
}

void gh_outbound_stop(void)
{
    pthread_mutex_lock(&mu);
    if (!started) {
        pthread_mutex_unlock(&mu);
        return;
    }
    stopping = true;
    pthread_cond_broadcast(&work_cv);
    /* Transfers in progress end now with an error instead of at their timeout. */
    for (size_t i = 0; i < nsockets; i++) shutdown(sockets[i], SHUT_RDWR);
    pthread_mutex_unlock(&mu);
    for (unsigned i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
    pthread_mutex_lock(&mu);
    started = false;
    nthreads = 0;
    pthread_mutex_unlock(&mu);
    curl_global_cleanup();
}

static int enqueue(gh_outbound_fn fn, void *arg, bool *done)
{
    job *j = calloc(1, sizeof *j);
    if (!j) return -1;
    j->fn = fn;
    j->arg = arg;
    j->done = done;
    /* caller holds mu */
    if (!started || stopping || queued >= qmax) {
        free(j);
        return -1;
    }
    if (tail) tail->next = j; else head = j;
    tail = j;
    queued++;
    pthread_cond_signal(&work_cv);
    return 0;
}

int gh_outbound_submit(gh_outbound_fn fn, void *arg)
{
    pthread_mutex_lock(&mu);
    int rc = enqueue(fn, arg, NULL);
    pthread_mutex_unlock(&mu);
    return rc;
}

int gh_outbound_run(gh_outbound_fn fn, void *arg)
{
    pthread_mutex_lock(&mu);
    if (!started) {
        pthread_mutex_unlock(&mu);
        /* CLI: no workers; the caller's thread is the only one. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
        fn(arg);
        curl_global_cleanup();
        return 0;
    }
    bool done = false;
    int rc = enqueue(fn, arg, &done);
    while (rc == 0 && !done) pthread_cond_wait(&done_cv, &mu);
    pthread_mutex_unlock(&mu);
    return rc;
}

size_t gh_outbound_busy(void)
{
    pthread_mutex_lock(&mu);
    size_t n = queued + running;
    pthread_mutex_unlock(&mu);
    return n;
}

void gh_outbound_curl_setup(void *curl_easy, long timeout_s, const char *ca_file)
{
    CURL *h = curl_easy;
    if (timeout_s < 1) timeout_s = 1;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca_file && *ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
}
