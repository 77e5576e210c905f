/* Helpers shared by api/ files. */
#include <stdatomic.h>
#include <string.h>

#include "api/api.h"
#include "core/accounts.h" /* GH_NAME_MAX */

bool gh_api_failed(gh_req *r, gh_status st)
{
    if (st == GH_OK) return false;
    gh_ctx *ctx = gh_req_ctx(r);
    if (ctx->err.status == GH_OK) gh_fail(&ctx->err, st, "internal", "internal error");
    gh_reply_ctx_err(r);
    return true;
}

static void wipe_job(void *p)
{
    gh_hash_job *j = p;
    if (j->verify_secret) sodium_memzero(j->verify_secret, strlen(j->verify_secret));
    if (j->new_secret) sodium_memzero(j->new_secret, strlen(j->new_secret));
}

/* When the request ends: the job may never have run (503) or its answer
 * never been sent (client gone). */
static void job_request_done(void *p)
{
    gh_hash_job *j = p;
    wipe_job(j);
    sodium_memzero(j->new_hash, sizeof j->new_hash);
    if (j->cleanup) j->cleanup(j, j->cleanup_arg);
}

gh_hash_job *gh_api_hash_job_new(gh_req *r, const char *verify_hash, const char *verify_secret,
                                 const char *new_secret)
{
    gh_arena *a = gh_req_arena(r);
    gh_hash_job *j = gh_arena_alloc(a, sizeof *j);
    if (!j) return NULL;
    memset(j, 0, sizeof *j);
    gh_req_on_done(r, job_request_done, j);
    if (verify_hash) {
        j->verify_hash = gh_arena_strdup(a, verify_hash);
        j->verify_secret = gh_arena_strdup(a, verify_secret ? verify_secret : "");
        if (!j->verify_hash || !j->verify_secret) return NULL;
    }
    if (new_secret && !(j->new_secret = gh_arena_strdup(a, new_secret))) return NULL;
    return j;
}

void gh_api_hash_work(void *p)
{
    gh_hash_job *j = p;
    bool stale = false;
    if (j->verify_hash)
        j->verify_ok = j->pin ? gh_pin_verify(j->verify_hash, j->verify_secret, &stale)
                              : gh_secret_verify(j->verify_hash, j->verify_secret);
    if (j->new_secret) j->hash_rc = j->pin ? gh_pin_hash(j->new_secret, j->new_hash) : gh_secret_hash(j->new_secret, j->new_hash);
    else if (j->pin && j->upgrade && j->verify_ok && stale)
        j->upgraded = gh_pin_hash(j->verify_secret, j->new_hash) == 0;
    wipe_job(j);
    atomic_store(&j->ran, true);
}

bool gh_api_no_fields_or_reply(gh_req *r)
{
    static const gh_jfield none[] = {{NULL, 0, false}};
    return gh_json_check_or_reply(r, gh_req_json(r), none);
}

bool gh_api_q_or_reply(gh_req *r, const char *q)
{
    if (!q || gh_strnlen_max(q, GH_NAME_MAX) <= GH_NAME_MAX) return true;
    /* The store could not fold it and would drop the filter. */
    gh_err e = {0};
    gh_fail_field(&e, GH_E_INVALID, "invalid_filter", "q", "q is at most %d characters", GH_NAME_MAX);
    gh_reply_err(r, &e);
    return false;
}

bool gh_api_limit_or_reply(gh_req *r, int max, int *out)
{
    const char *s = gh_req_query(r, "limit");
    int64_t v = 0;
    *out = 0;
    if (!s) return true;
    if (!gh_parse_i64(s, 1, max, &v)) {
        gh_err e = {0};
        gh_fail_field(&e, GH_E_INVALID, "invalid_limit", "limit", "limit must be an integer from 1 to %d", max);
        gh_reply_err(r, &e);
        return false;
    }
    *out = (int)v;
    return true;
}
