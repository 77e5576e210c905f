/*
 * Authentication of requests: session tokens (office and kiosk) and API keys.
 * Tokens are looked up by their hash; the database never holds a token.
 */
#ifndef GH_SESSION_H
#define GH_SESSION_H
#include "core/accounts.h"
#include "core/ctx.h"

/* Fills ctx->actor from a session token; csrf_hash gets the session's CSRF
 * token hash. GH_E_UNAUTHENTICATED for unknown, expired or idle sessions. */
gh_status gh_session_authenticate(gh_ctx *ctx, const char *token, char csrf_hash[GH_HASH_HEX_LEN + 1]);
/* Writes the queued "last used" times and expired-session removals in one
 * transaction, without waiting for the write lock: 0 written (or nothing to
 * do), 1 skipped because the database is busy (kept for the next round),
 * -1 failed (logged). Called by the background loop, never by a request. */
int gh_session_touches_flush(gh_db *db);
/* Forgets cached API keys (after a revocation). */
void gh_apikey_cache_clear(void);
/* Fills ctx->actor from an API key. */
gh_status gh_apikey_authenticate(gh_ctx *ctx, const char *key);
/* Creates a session for u in the open transaction; token and csrf get the
 * secrets. kind is "office" or "kiosk". */
gh_status gh_session_open(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind,
                          char token[GH_TOKEN_LEN + 1], char csrf[GH_TOKEN_LEN + 1], gh_session *out);
/* The same for a sign-in whose second step is due (core/mfa.h): an office
 * session marked pending ("verify" or "enrol"), ten minutes at most. */
gh_status gh_session_open_pending(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *pending,
                                  char token[GH_TOKEN_LEN + 1], char csrf[GH_TOKEN_LEN + 1], gh_session *out);

#endif
