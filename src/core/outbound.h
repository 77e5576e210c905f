/*
 * The outbound I/O workers (DESIGN.md, "Mechanisms for the second stage"):
 * a few threads, separate from the argon2id pool and from the request
 * threads, that run jobs talking to slow network peers (SMTP today; webhooks,
 * IdP discovery/JWKS/token calls and SAML metadata later). A slow or dead
 * peer only ever occupies one of these threads; checks, sign-ins and the
 * generation poller never wait for it.
 *
 * Use:
 *   - gh_outbound_submit(fn, arg): fire and forget; fn(arg) runs on a worker
 *     and owns arg (free it there). For outbox-style work.
 *   - gh_outbound_run(fn, arg): runs fn(arg) on a worker and waits for it to
 *     finish; for a request that needs the answer (an IdP token call). Every
 *     libcurl job must bound its own time (gh_outbound_curl_setup does).
 *   - gh_outbound_curl_setup(h, timeout_s, ca_file): the common libcurl
 *     options: timeouts, TLS verification on, no signals, protocols limited
 *     to the URL's scheme family.
 * The workers are started once by `serve` (gh_outbound_start) and stopped at
 * shutdown (gh_outbound_stop, which interrupts the transfers in progress
 * (their sockets are shut down: libcurl returns an error at once), lets the
 * running jobs finish, and runs the queued ones' fn with
 * gh_outbound_cancelled() true so they can free arg).
 */
#ifndef GH_OUTBOUND_H
#define GH_OUTBOUND_H
#include <stdbool.h>
#include <stddef.h>

typedef void (*gh_outbound_fn)(void *arg);

/* Starts `threads` workers (1..16) with a queue of at most queue_max jobs.
 * Initialises libcurl globally. 0 on success. */
int gh_outbound_start(unsigned threads, size_t queue_max);
/* Stops the workers (see above). Safe to call when not started. */
void gh_outbound_stop(void);
/* Queues fn(arg). 0 when queued; -1 when the queue is full or the workers are
 * not running (arg stays the caller's). */
int gh_outbound_submit(gh_outbound_fn fn, void *arg);
/* Runs fn(arg) on a worker and waits for it. When the workers are not
 * running (CLI commands), runs it on the calling thread. 0 when it ran,
 * -1 when the queue was full (fn did not run). */
int gh_outbound_run(gh_outbound_fn fn, void *arg);
/* True inside fn when the job is being drained at shutdown and must not do
 * network I/O, only release what it owns. */
bool gh_outbound_cancelled(void);
/* Jobs waiting or running now (for metrics and tests). */
size_t gh_outbound_busy(void);

/* Common options for a libcurl easy handle (void * keeps curl.h out of the
 * callers that do not need it): total timeout, connect timeout, verified TLS
 * (ca_file NULL or "" = system store), CURLOPT_NOSIGNAL, and the socket
 * callbacks that let gh_outbound_stop interrupt the transfer. */
void gh_outbound_curl_setup(void *curl_easy, long timeout_s, const char *ca_file);

#endif
