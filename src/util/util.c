/* Implementation of util.h: clock, ids, tokens, strings, buffers, arenas. */
#include "util/util.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t clock_offset;

int64_t gh_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec + atomic_load(&clock_offset);
}

void gh_clock_advance(int64_t seconds) { atomic_fetch_add(&clock_offset, seconds); }

double gh_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void gh_time_fmt(int64_t t, char buf[static 32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        gh_strlcpy(buf, "1970-01-01T00:00:00Z", 32);
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool gh_time_parse(const char *s, int64_t *out)
{
    int Y, M, D, h, m, sec;
    if (!s || strlen(s) < 20) return false;
    if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60) return false;
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M == 2 && D == 29 && !leap) return false; /* "2025-02-30" is no day at all */
    const char *p = s + 19;
    if (*p == '.') { p++; if (*p < '0' || *p > '9') return false; while (*p >= '0' && *p <= '9') p++; }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59) return false;
        off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p) return false;
    /* days from civil (Howard Hinnant's algorithm), valid for all years here */
    int y = Y - (M <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    *out = days * 86400 + h * 3600 + m * 60 + sec - off;
    return true;
}

int gh_random_init(void) { return sodium_init() < 0 ? -1 : 0; }

void gh_id_new(const char *prefix, char out[static GH_ID_MAX])
{
    static const char b32[] = "abcdefghijkmnpqrstuvwxyz23456789"; /* no l, o, 0, 1 */
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    size_t plen = strlen(prefix);
    if (plen > 8) plen = 8;
    memcpy(out, prefix, plen);
    out[plen] = '_';
    size_t o = plen + 1;
    /* 128 bits -> 26 base32 characters */
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) { out[o++] = b32[(acc >> (bits - 5)) & 31]; bits -= 5; }
    }
    if (bits > 0) out[o++] = b32[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    sodium_memzero(raw, sizeof raw);
}

void gh_token_new(char out[static GH_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, GH_TOKEN_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void gh_token_hash(const char *token, char out[static GH_HASH_HEX_LEN + 1])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, GH_HASH_HEX_LEN + 1, h, sizeof h);
}

bool gh_secret_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return false;
    return sodium_memcmp(a, b, la) == 0;
}

uint32_t gh_random_below(uint32_t bound) { return randombytes_uniform(bound); }

bool gh_strlcpy(char *dst, const char *src, size_t cap)
{
    if (cap == 0) return false;
    size_t n = strlen(src);
    bool fits = n < cap;
    if (!fits) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

bool gh_ascii_lower(char *dst, const char *src, size_t cap)
{
    if (!gh_strlcpy(dst, src, cap)) return false;
    for (char *p = dst; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    return true;
}

bool gh_str_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

size_t gh_strnlen_max(const char *s, size_t max)
{
    const char *z = memchr(s, '\0', max + 1);
    return z ? (size_t)(z - s) : max + 1;
}

bool gh_email_valid(const char *s)
{
    size_t n = gh_strnlen_max(s, 254);
    if (n < 3 || n > 254) return false;
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@')) return false;
    const char *dom = at + 1;
    const char *dot = strrchr(dom, '.');
    if (!dot || dot == dom || dot[1] == '\0') return false;
    if ((size_t)(at - s) > 64) return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' ||
            c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
            return false;
    }
    if (strstr(dom, "..") || dom[0] == '.' || dom[0] == '-') return false;
    return true;
}

bool gh_text_valid(const char *s, size_t min, size_t max)
{
    size_t n = gh_strnlen_max(s, max);
    if (n < min || n > max) return false;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) return false;
        size_t len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0) return false;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80) return false;
        p += len;
    }
    return true;
}

bool gh_size_add(size_t a, size_t b, size_t *out) { return !__builtin_add_overflow(a, b, out); }
bool gh_size_mul(size_t a, size_t b, size_t *out) { return !__builtin_mul_overflow(a, b, out); }

bool gh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s) return false;
    bool neg = false;
    const char *p = s;
    if (*p == '-') { neg = true; p++; }
    if (!*p) return false;
    int64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v)) return false;
    }
    if (neg) v = -v;
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

void gh_buf_init(gh_buf *b, size_t max) { *b = (gh_buf){.max = max}; }

void gh_buf_append(gh_buf *b, const void *p, size_t n)
{
    if (b->failed) return;
    size_t need;
    if (!gh_size_add(b->len, n, &need) || !gh_size_add(need, 1, &need) || need - 1 > b->max) {
        b->failed = true;
        return;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
            if (!gh_size_mul(cap, 2, &cap)) { b->failed = true; return; }
        }
        char *d;
        if (b->wipe) {
            /* realloc could leave a copy of the secret behind in freed memory */
            d = malloc(cap);
            if (!d) { b->failed = true; return; }
            if (b->data) {
                memcpy(d, b->data, b->len + 1);
                sodium_memzero(b->data, b->cap);
                free(b->data);
            }
        } else {
            d = realloc(b->data, cap);
            if (!d) { b->failed = true; return; }
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gh_buf_puts(gh_buf *b, const char *s) { gh_buf_append(b, s, strlen(s)); }

void gh_buf_printf(gh_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) { b->failed = true; return; }
    if ((size_t)n < sizeof small) { gh_buf_append(b, small, (size_t)n); return; }
    char *big = malloc((size_t)n + 1);
    if (!big) { b->failed = true; return; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gh_buf_append(b, big, (size_t)n);
    free(big);
}

bool gh_buf_ok(const gh_buf *b) { return !b->failed; }

char *gh_buf_take(gh_buf *b)
{
    char *d = b->data;
    if (!d) d = calloc(1, 1);
    *b = (gh_buf){.max = b->max};
    return d;
}

void gh_buf_release(gh_buf *b)
{
    if (b->wipe && b->data) sodium_memzero(b->data, b->cap);
    free(b->data);
    *b = (gh_buf){.max = b->max, .wipe = b->wipe};
}

/* ---- arena ---------------------------------------------------------------- */
struct chunk { struct chunk *next; size_t used, cap; max_align_t data[]; };
struct gh_arena { struct chunk *head; };

gh_arena *gh_arena_new(void) { return calloc(1, sizeof(gh_arena)); }

void *gh_arena_alloc(gh_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    size_t rounded;
    if (!gh_size_add(n, align - 1, &rounded)) return NULL;
    rounded &= ~(align - 1);
    struct chunk *c = a->head;
    if (!c || c->cap - c->used < rounded) {
        size_t cap = rounded > 16384 ? rounded : 16384, total;
        if (!gh_size_add(sizeof(struct chunk), cap, &total)) return NULL;
        c = malloc(total);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += rounded;
    memset(p, 0, n);
    return p;
}

char *gh_arena_strdup(gh_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *d = gh_arena_alloc(a, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

char *gh_arena_printf(gh_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *d = gh_arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void gh_arena_free(gh_arena *a)
{
    if (!a) return;
    struct chunk *c = a->head;
    while (c) { struct chunk *n = c->next; free(c); c = n; }
    free(a);
}
