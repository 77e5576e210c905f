/* The organization IP allowlist (see ipallow.h). */
#include "core/ipallow.h"

#include <string.h>

#include "store/store.h"

int gh_ip_allowlist_parse(const char *list, gh_cidr *nets)
{
    char one[GH_CIDR_TEXT_MAX];
    int n = 0;
    const char *p = list;
    while (p && *p) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t len = strcspn(p, " ");
        if (len >= sizeof one || n >= GH_IP_ALLOWLIST_MAX) return -1;
        memcpy(one, p, len);
        one[len] = '\0';
        if (!gh_cidr_parse(one, &nets[n])) return -1;
        n++;
        p += len;
    }
    return n;
}

bool gh_ip_allowlist_contains(const gh_cidr *nets, int n, const char *ip)
{
    for (int i = 0; i < n; i++)
        if (gh_cidr_contains(&nets[i], ip)) return true;
    return false;
}

gh_status gh_ip_refused(gh_ctx *ctx)
{
    gh_fail(&ctx->err, GH_E_FORBIDDEN, "ip_not_allowed",
            "this organization allows sign-in only from its own networks, and %s is not one of them",
            ctx->ip && *ctx->ip ? ctx->ip : "this address");
    gh_err_extra(&ctx->err, "address", json_string(ctx->ip ? ctx->ip : ""));
    return GH_E_FORBIDDEN;
}
