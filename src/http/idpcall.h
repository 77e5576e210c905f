/*
 * IdP calls (discovery, JWKS, token endpoint, SAML metadata) for requests
 * suspended while they run (issue 16), used only through gh_req_defer_idp()
 * (http.h). They run on the shared outbound workers (core/outbound.h, built
 * for mail), never on an HTTP thread or the argon2id pool, with a bound of
 * their own on calls in flight (beyond it the request is answered 503), so
 * a slow identity provider cannot starve mail delivery or sign-ins.
 */
#ifndef GH_IDPCALL_H
#define GH_IDPCALL_H
#include <stdbool.h>

typedef void (*gh_idpcall_fn)(void *arg);

int gh_idpcall_start(void);
/* Runs fn(arg) then done(done_arg) on an outbound worker; false when too
 * many IdP calls are in flight or the workers are not running (the caller
 * answers 503). */
bool gh_idpcall_submit(gh_idpcall_fn fn, void *arg, gh_idpcall_fn done, void *done_arg);
/* Stops taking calls and waits for those in flight (each bounded by its
 * timeouts), so no continuation resumes a connection after the daemon
 * stops. */
void gh_idpcall_stop(void);
#endif
