/* CIDR ranges (see net.h). */
#include "util/net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clear_host_bits(uint8_t *a, size_t len, unsigned prefix)
{
    for (size_t i = 0; i < len; i++) {
        unsigned bit0 = (unsigned)i * 8;
        if (prefix >= bit0 + 8) continue;
        a[i] = prefix <= bit0 ? 0 : (uint8_t)(a[i] & (0xFFu << (8 - (prefix - bit0))));
    }
}

bool gh_cidr_parse(const char *s, gh_cidr *out)
{
    char buf[GH_CIDR_TEXT_MAX];
    size_t n = s ? strnlen(s, sizeof buf) : sizeof buf;
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        *slash = '\0';
        const char *p = slash + 1;
        if (*p < '0' || *p > '9' || strlen(p) > 3) return false;
        char *end;
        prefix = strtol(p, &end, 10);
        if (*end || (p[0] == '0' && p[1])) return false;
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        if (prefix > 32) return false;
        out->family = 4;
        out->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
        clear_host_bits(out->addr, 4, out->prefix);
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        if (prefix > 128) return false;
        out->family = 6;
        out->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
        clear_host_bits(out->addr, 16, out->prefix);
        return true;
    }
    return false;
}

void gh_cidr_format(const gh_cidr *c, char out[GH_CIDR_TEXT_MAX])
{
    char a[INET6_ADDRSTRLEN] = "";
    inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof a);
    snprintf(out, GH_CIDR_TEXT_MAX, "%s/%u", a, (unsigned)c->prefix);
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
    size_t whole = prefix / 8;
    if (memcmp(a, b, whole) != 0) return false;
    unsigned rest = prefix % 8;
    if (!rest) return true;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool gh_cidr_contains(const gh_cidr *c, const char *ip)
{
    uint8_t a[16];
    if (!ip) return false;
    if (inet_pton(AF_INET, ip, a) == 1) return c->family == 4 && prefix_equal(a, c->addr, c->prefix);
    if (inet_pton(AF_INET6, ip, a) != 1) return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (c->family == 4) return memcmp(a, mapped, sizeof mapped) == 0 && prefix_equal(a + 12, c->addr, c->prefix);
    return prefix_equal(a, c->addr, c->prefix);
}
