/*
 * Network address ranges (CIDR) for the organization IP allowlist (001, 003:
 * IT Operations > IP addresses).
 */
#ifndef GH_NET_H
#define GH_NET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_CIDR_TEXT_MAX 50 /* "ffff:...:ffff/128" and a NUL */

typedef struct gh_cidr {
    uint8_t family;   /* 4 or 6 */
    uint8_t prefix;   /* 0..32 or 0..128 */
    uint8_t addr[16]; /* network address, host bits zero; IPv4 in the first 4 bytes */
} gh_cidr;

/* Parses "a.b.c.d", "a.b.c.d/n", an IPv6 address or "v6/n". Host bits are
 * cleared ("10.1.2.3/8" is 10.0.0.0/8). False on anything else. */
bool gh_cidr_parse(const char *s, gh_cidr *out);
/* The canonical text ("10.0.0.0/8", "2001:db8::/32"); a single address
 * keeps its /32 or /128. */
void gh_cidr_format(const gh_cidr *c, char out[GH_CIDR_TEXT_MAX]);
/* Whether the textual address ip (IPv4, IPv6, or IPv4-mapped IPv6 as
 * "::ffff:a.b.c.d") lies in c. False for an unparsable ip. */
bool gh_cidr_contains(const gh_cidr *c, const char *ip);

#endif
