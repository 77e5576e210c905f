/*
 * Connections from accept to close (conn_slot), so that a reaper can close
 * those still sending headers or body after an absolute deadline
 * (libmicrohttpd's own timeout restarts with every byte).
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "http/server_int.h"
#include "util/log.h"

/* A connection from accept to close. */
typedef struct conn_slot {
    struct conn_slot *prev, *next;
    int fd;
    double since_ms;   /* start of the current request (or of the connection) */
    conn_phase phase;
    bool reaped;
} conn_slot;

static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static conn_slot *conns;                 /* every open connection */

static conn_slot *conn_slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void gh_conn_phase_set(struct MHD_Connection *c, conn_phase ph, bool restart)
{
    conn_slot *s = conn_slot_of(c);
    if (!s) return;
    pthread_mutex_lock(&conns_mu);
    s->phase = ph;
    if (restart) s->since_ms = gh_mono_ms();
    pthread_mutex_unlock(&conns_mu);
}

/* Registers connections from accept to close (libmicrohttpd calls CLOSED
 * before it closes the socket, so a slot's fd is open while listed). */
void gh_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_slot *s = calloc(1, sizeof *s);
        if (!s) return; /* untracked: only MHD's idle timeout applies */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->fd = ci ? ci->connect_fd : -1;
        s->since_ms = gh_mono_ms();
        s->phase = PH_RECEIVING;
        pthread_mutex_lock(&conns_mu);
        s->next = conns;
        if (conns) conns->prev = s;
        conns = s;
        pthread_mutex_unlock(&conns_mu);
        *socket_context = s;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_slot *s = *socket_context;
        if (!s) return;
        pthread_mutex_lock(&conns_mu);
        if (s->prev) s->prev->next = s->next;
        else conns = s->next;
        if (s->next) s->next->prev = s->prev;
        pthread_mutex_unlock(&conns_mu);
        free(s);
        *socket_context = NULL;
    }
}

/* ---- the reaper: an absolute deadline for headers and body ------------------- */
static pthread_t reaper;
static bool reaper_running;
static pthread_mutex_t reaper_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cv = PTHREAD_COND_INITIALIZER;
static bool reaper_stop;
static unsigned deadline_s;

/* Shuts down (does not close: libmicrohttpd owns the descriptor) every
 * connection that has been sending one request's headers or body for longer
 * than the deadline; libmicrohttpd then sees the end of the stream and
 * closes it. */
static unsigned reap_once(void)
{
    unsigned n = 0;
    double now = gh_mono_ms(), limit = (double)deadline_s * 1000.0;
    pthread_mutex_lock(&conns_mu);
    for (conn_slot *s = conns; s; s = s->next) {
        if (s->reaped || s->fd < 0 || s->phase != PH_RECEIVING || now - s->since_ms < limit) continue;
        shutdown(s->fd, SHUT_RDWR);
        s->reaped = true;
        n++;
    }
    pthread_mutex_unlock(&conns_mu);
    return n;
}

static void *reaper_loop(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&reaper_mu);
    while (!reaper_stop) {
        pthread_mutex_unlock(&reaper_mu);
        unsigned n = reap_once();
        if (n) gh_log(GH_LOG_WARN, NULL, "closed connections past the request deadline",
                      json_pack("{s:i, s:i}", "connections", (int)n, "deadline_s", (int)deadline_s));
        pthread_mutex_lock(&reaper_mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        if (!reaper_stop) pthread_cond_timedwait(&reaper_cv, &reaper_mu, &ts);
    }
    pthread_mutex_unlock(&reaper_mu);
    return NULL;
}

void gh_reaper_stop(void)
{
    if (!reaper_running) return;
    pthread_mutex_lock(&reaper_mu);
    reaper_stop = true;
    pthread_cond_signal(&reaper_cv);
    pthread_mutex_unlock(&reaper_mu);
    pthread_join(reaper, NULL);
    reaper_running = false;
}

bool gh_reaper_start(unsigned deadline)
{
    deadline_s = deadline;
    reaper_stop = false;
    reaper_running = pthread_create(&reaper, NULL, reaper_loop, NULL) == 0;
    return reaper_running;
}
