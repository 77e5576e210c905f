/* POST /v1/users/import: bulk import of staff members from CSV (users.manage). */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/import.h"

/* The value of the charset parameter of a media type, or NULL. */
static const char *charset_of(const char *t)
{
    for (const char *p = strchr(t, ';'); p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ') q++;
        if (strncasecmp(q, "charset=", 8) == 0) return q + 8;
    }
    return NULL;
}

/* text/csv (or application/csv), optionally with charset=utf-8. */
static bool csv_type_or_reply(gh_req *r)
{
    const char *t = gh_req_header(r, "Content-Type");
    size_t n = 0;
    if (t) {
        while (t[n] && t[n] != ';' && t[n] != ' ') n++;
    }
    bool ok = t && ((n == 8 && strncasecmp(t, "text/csv", 8) == 0) || (n == 15 && strncasecmp(t, "application/csv", 15) == 0));
    const char *cs = ok ? charset_of(t) : NULL;
    if (cs) {
        if (*cs == '"') cs++;
        ok = strncasecmp(cs, "utf-8", 5) == 0 && (cs[5] == '\0' || cs[5] == ';' || cs[5] == '"' || cs[5] == ' ');
    }
    if (ok) return true;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail(&ctx->err, GH_E_UNSUPPORTED_TYPE, "unsupported_media_type",
            "send the file as Content-Type: text/csv (UTF-8)");
    gh_reply_ctx_err(r);
    return false;
}

/* A boolean query flag: absent/0/false or 1/true. */
static bool flag_or_reply(gh_req *r, const char *name, bool *out)
{
    const char *v = gh_req_query(r, name);
    *out = false;
    if (!v || strcmp(v, "0") == 0 || strcmp(v, "false") == 0) return true;
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || *v == '\0') { *out = true; return true; }
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_query", name, "%s is 1/true or 0/false", name);
    gh_reply_ctx_err(r);
    return false;
}

static void import_users(gh_req *r)
{
    gh_import_opts o;
    if (!csv_type_or_reply(r) || !flag_or_reply(r, "dry_run", &o.dry_run) ||
        !flag_or_reply(r, "all_or_nothing", &o.all_or_nothing))
        return;
    size_t len;
    const char *body = gh_req_body(r, &len);
    json_t *report;
    if (gh_api_failed(r, gh_users_import(gh_req_ctx(r), body, len, &o, &report))) return;
    gh_reply_json(r, 200, report);
}

const gh_route gh_api_routes_import[] = {
    {"POST", "/v1/users/import", import_users, GH_AUTH_USER, GH_R_BIG_BODY | GH_R_RAW_BODY, "users.manage"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
