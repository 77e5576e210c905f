/* Query ranges for the shop-floor reports (timesheets, activity): `from`
 * and `to` are a UTC date (YYYY-MM-DD; a date `to` includes that whole
 * day) or an RFC 3339 time (`to` exclusive). Private to api/. */
#ifndef GH_API_RANGE_H
#define GH_API_RANGE_H
#include <stdio.h>
#include <string.h>

/* (api/api.h must be included first: it has no include guard around its tail) */
#include "http/http.h"

#define GH_API_DAY 86400

/* Parses query parameter `name` into *out (unchanged when absent); answers
 * 400 invalid_time and returns false when malformed. */
static inline bool gh_api_time_param_or_reply(gh_req *r, const char *name, bool is_to, int64_t *out)
{
    const char *s = gh_req_query(r, name);
    if (!s) return true;
    char buf[32];
    int64_t t;
    if (strlen(s) == 10 && snprintf(buf, sizeof buf, "%sT00:00:00Z", s) > 0 && gh_time_parse(buf, &t)) {
        *out = is_to ? t + GH_API_DAY : t;
        return true;
    }
    if (gh_time_parse(s, &t)) {
        *out = t;
        return true;
    }
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", name,
                  "'%s' must be a date (YYYY-MM-DD) or an RFC 3339 time", name);
    gh_reply_ctx_err(r);
    return false;
}

/* from/to with defaults: `to` the end of today (UTC), `from` default_days
 * before `to`. */
static inline bool gh_api_range_or_reply(gh_req *r, int default_days, int64_t *from, int64_t *to)
{
    int64_t now = gh_now();
    *to = now - now % GH_API_DAY + GH_API_DAY;
    *from = -1;
    if (!gh_api_time_param_or_reply(r, "to", true, to) || !gh_api_time_param_or_reply(r, "from", false, from))
        return false;
    if (*from == -1) *from = *to - (int64_t)default_days * GH_API_DAY;
    return true;
}

#endif
