/* Minting a bearer credential (core/mint.h). */
#include "core/mint.h"

#include <sodium.h>
#include <stdio.h>

#include "core/guard.h"

gh_status gh_mint_token(gh_ctx *ctx, const gh_mint *m, void *row, json_t **out)
{
    char secret[GH_TOKEN_LEN + 1] = "", token[GH_TOKEN_LEN + 8] = "", hash[GH_HASH_HEX_LEN + 1] = "";
    gh_token_new(secret);
    snprintf(token, sizeof token, "%s%s", m->prefix, secret);
    gh_token_hash(token, hash);
    m->keep(row, token, hash);
    /* The insert names its audit event; neither keys nor devices are in
     * the authorization snapshot. */
    gh_status st = gh_tx_run_no_refresh(ctx, m->insert, row);
    if (st == GH_OK) {
        *out = m->view(row);
        json_object_set_new(*out, m->shown_as, json_string(token));
    }
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(token, sizeof token);
    return st;
}
