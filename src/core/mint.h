/*
 * Minting a bearer credential, written once: a prefixed random token is
 * made, only its hash is stored (with its row, in a write transaction,
 * audited), and the token itself is shown once, in the answer, then wiped.
 * Used by API keys (core/apikeys.c) and kiosk device enrolment
 * (core/kiosk.c).
 */
#ifndef GH_MINT_H
#define GH_MINT_H
#include <jansson.h>

#include "core/ctx.h"
#include "core/guard.h"
#include "util/util.h"

typedef struct gh_mint {
    const char *prefix;   /* e.g. GH_APIKEY_PREFIX */
    const char *shown_as; /* the answer's member holding the token once */
    /* Before the transaction: keeps the hash (and anything shown of the
     * token, such as its first characters) in the row. */
    void (*keep)(void *row, const char *token, const char *hash);
    /* Inside the write transaction: checks and inserts the row and names its
     * audit event in tx (written by gh_mint_token). */
    gh_status (*insert)(gh_ctx *ctx, gh_tx *tx, void *row);
    /* The row as answered (the token is added as shown_as). */
    json_t *(*view)(const void *row);
} gh_mint;

/* Mints per m into row; on success *out is the row's view with the token.
 * Commits with the store's plain commit: a credential row changes no
 * authorization snapshot. On failure nothing is kept; ctx->err says why. */
gh_status gh_mint_token(gh_ctx *ctx, const gh_mint *m, void *row, json_t **out);

#endif
