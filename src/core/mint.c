/* Minting a bearer credential (core/mint.h). */
#include "core/mint.h"

#include <sodium.h>
#include <stdio.h>

#include "core/audit.h"

gh_status gh_mint_token(gh_ctx *ctx, const gh_mint *m, void *row, json_t **out)
{
    char secret[GH_TOKEN_LEN + 1] = "", token[GH_TOKEN_LEN + 8] = "", hash[GH_HASH_HEX_LEN + 1] = "";
    gh_tx tx = {0};
    gh_token_new(secret);
    snprintf(token, sizeof token, "%s%s", m->prefix, secret);
    gh_token_hash(token, hash);
    m->keep(row, token, hash);
    gh_status st = gh_tx_begin(ctx);
    if (st != GH_OK) goto done;
    if ((st = m->insert(ctx, &tx, row)) != GH_OK) goto fail;
    st = gh_audit(ctx, NULL, tx.action, tx.target_type, tx.target_id, tx.detail);
    tx.detail = NULL; /* stolen */
    if (st != GH_OK) goto fail;
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) goto done;
    *out = m->view(row);
    json_object_set_new(*out, m->shown_as, json_string(token));
    goto done;
fail:
    gh_ctx_rollback(ctx, st);
done:
    json_decref(tx.detail);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(token, sizeof token);
    return st;
}
