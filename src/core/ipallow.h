/*
 * An organization's IP allowlist: the space-separated CIDR list kept on the
 * org (at most GH_IP_ALLOWLIST_MAX networks), whether an address lies in
 * it, and the one refusal people see when it does not. The snapshot holder
 * (core/access.h, gh_access_ip_allowed) keeps each org's parsed list in
 * memory; sign-in, kiosk and the org settings use these.
 */
#ifndef GH_IPALLOW_H
#define GH_IPALLOW_H
#include <stdbool.h>

#include "core/ctx.h"
#include "util/net.h"

/* Parses a space-separated list of CIDRs into nets (at most
 * GH_IP_ALLOWLIST_MAX); the number parsed, or -1 if any is malformed. */
int gh_ip_allowlist_parse(const char *list, gh_cidr *nets);
/* Whether ip lies in any of n nets. */
bool gh_ip_allowlist_contains(const gh_cidr *nets, int n, const char *ip);
/* 403 ip_not_allowed for the client address (ctx->ip), with `address`. */
gh_status gh_ip_refused(gh_ctx *ctx);

#endif
