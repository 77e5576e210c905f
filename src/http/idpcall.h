/*
 * IdP calls off the HTTP threads and off the hashing pool (issue 16).
 *
 * TEMPORARY, ISOLATED ON PURPOSE: DESIGN.md wants every outbound call (SMTP,
 * webhooks, IdP discovery/JWKS/token calls, SAML metadata) on the shared
 * outbound workers, which issue 15 is building in src/core/outbound.{c,h}
 * in parallel. Until that is merged, company sign-in runs its calls here:
 * two threads and a bounded queue of 16, used only through
 * gh_req_defer_idp() (http.h). Switching to the shared workers means
 * replacing gh_idpcall_submit's body (and start/stop) with the outbound
 * module's submit; nothing else calls this file.
 */
#ifndef GH_IDPCALL_H
#define GH_IDPCALL_H
#include <stdbool.h>

typedef void (*gh_idpcall_fn)(void *arg);

int gh_idpcall_start(void);
/* Runs fn(arg) then done(done_arg) on an IdP-call thread; false when the
 * queue is full (the caller answers 503). */
bool gh_idpcall_submit(gh_idpcall_fn fn, void *arg, gh_idpcall_fn done, void *done_arg);
/* Finishes queued calls and joins the threads. */
void gh_idpcall_stop(void);
#endif
