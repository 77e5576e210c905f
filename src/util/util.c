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
static _Atomic int64_t clock_frozen_at; /* 0: the clock runs */

static int64_t real_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t gh_now(void)
{
    int64_t frozen = atomic_load(&clock_frozen_at);
    return (frozen ? frozen : real_seconds()) + atomic_load(&clock_offset);
}

void gh_clock_advance(int64_t seconds) { atomic_fetch_add(&clock_offset, seconds); }

void gh_clock_freeze(bool frozen)
{
    int64_t at = atomic_load(&clock_frozen_at);
    if (frozen && !at) atomic_store(&clock_frozen_at, real_seconds());
    else if (!frozen && at) {
        /* Runs on from the time it showed: the seconds it stood still are
         * taken off the offset. */
        atomic_fetch_add(&clock_offset, at - real_seconds());
        atomic_store(&clock_frozen_at, 0);
    }
}

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
    /* Four-digit years always (strftime's %Y writes "226" for 226, which
     * is no RFC 3339 time: found by fuzz/fuzz_time.c). */
    if (!gmtime_r(&tt, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
        snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec) >= 32)
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

/* Decodes one UTF-8 sequence at p (strict: no overlongs, surrogates or
 * values over U+10FFFF); returns its length, 0 when invalid. */
static size_t utf8_decode(const unsigned char *p, uint32_t *out)
{
    uint32_t c;
    size_t len;
    if (p[0] < 0x80) { *out = p[0]; return 1; }
    if ((p[0] & 0xE0) == 0xC0) { c = p[0] & 0x1F; len = 2; }
    else if ((p[0] & 0xF0) == 0xE0) { c = p[0] & 0x0F; len = 3; }
    else if ((p[0] & 0xF8) == 0xF0) { c = p[0] & 0x07; len = 4; }
    else return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *out = c;
    return len;
}

static bool is_bidi_control(uint32_t c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

static bool is_space(uint32_t c)
{
    return c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF || c == 0x2060 || c == 0x180E;
}

gh_text_fault gh_text_check(const char *s, size_t min, size_t max, uint32_t *cp)
{
    if (!s) return GH_TEXT_MISSING;
    size_t n = gh_strnlen_max(s, max);
    const unsigned char *p = (const unsigned char *)s;
    bool blank = true;
    /* Characters first (within the first max+1 bytes), so a long text with
     * a control character is reported for the character. */
    for (size_t i = 0; i < n && p[i];) {
        uint32_t c;
        size_t len = utf8_decode(p + i, &c);
        if (len == 0) return GH_TEXT_BAD_UTF8;
        if (i + len > n) break; /* a sequence cut by the max+1 scan window: the length decides */
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) { if (cp) *cp = c; return GH_TEXT_CONTROL; }
        if (is_bidi_control(c)) { if (cp) *cp = c; return GH_TEXT_BIDI; }
        if (!is_space(c)) blank = false;
        i += len;
    }
    if (n > max) return GH_TEXT_TOO_LONG;
    if (n < min) return GH_TEXT_TOO_SHORT;
    if (min > 0 && blank) return GH_TEXT_BLANK;
    return GH_TEXT_OK;
}

bool gh_text_valid(const char *s, size_t min, size_t max) { return gh_text_check(s, min, max, NULL) == GH_TEXT_OK; }

/* Simple lower-case mapping for the scripts plant staff lists mostly hold;
 * everything else compares by its code point. */
static uint32_t fold_case(uint32_t c)
{
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE) return c == 0xD7 ? c : c + 32;                       /* Latin-1 */
    if (c >= 0x100 && c <= 0x137) return c | 1;                         /* Latin Extended-A pairs */
    if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177) return c | 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;          /* Greek */
    if (c >= 0x400 && c <= 0x40F) return c + 80;                         /* Cyrillic */
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    return c;
}

/* The base letter of an accented Latin letter (already folded to lower
 * case), or c. Latin-1 and Latin Extended-A; ligatures and letters without
 * a base (æ, ß, þ, œ) stay as they are. */
static uint32_t strip_accent(uint32_t c)
{
    static const char latin1[] = "aaaaaa.ceeeeiiiidnooooo.ouuuuy..";                    /* U+00E0..U+00FF */
    static const char exta[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkkk"
                               "llllllllllnnnnnnnnnoooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"; /* U+0100..U+017F */
    _Static_assert(sizeof latin1 == 33 && sizeof exta == 129, "one letter per code point");
    char b = '.';
    if (c >= 0xE0 && c <= 0xFF) b = latin1[c - 0xE0];
    else if (c >= 0x100 && c <= 0x17F) b = exta[c - 0x100];
    if (c == 0xFF) b = 'y';
    return b == '.' ? c : (uint32_t)(unsigned char)b;
}

/* Combining diacritical marks (a decomposed accent): dropped by the keys. */
static bool is_combining(uint32_t c) { return c >= 0x300 && c <= 0x36F; }

static size_t utf8_encode(uint32_t c, char *o)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

size_t gh_name_sort_key(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    if (cap == 0) return 0;
#define PUT(b) do { if (n + 1 < cap) out[n++] = (char)(b); } while (0)
    while (*p) {
        if (*p >= '0' && *p <= '9') {
            /* A digit run: '0', a length byte, the digits without leading
             * zeros, so shorter numbers sort first and equal lengths by
             * digit. Runs longer than 64 digits continue as a new run. */
            while (*p == '0' && p[1] >= '0' && p[1] <= '9') p++;
            size_t len = 0;
            while (p[len] >= '0' && p[len] <= '9' && len < 64) len++;
            PUT('0');
            PUT(0x21 + len);
            for (size_t i = 0; i < len; i++) PUT(p[i]);
            p += len;
            continue;
        }
        uint32_t c;
        size_t len = utf8_decode(p, &c);
        if (len == 0) { PUT(*p); p++; continue; }
        p += len;
        if (is_combining(c)) continue;
        char enc[4];
        size_t el = utf8_encode(strip_accent(fold_case(c)), enc);
        for (size_t i = 0; i < el; i++) PUT(enc[i]);
    }
#undef PUT
    out[n] = '\0';
    return n;
}

size_t gh_search_fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (cap == 0) return 0;
    while (*p) {
        uint32_t c;
        size_t len = utf8_decode(p, &c);
        if (len == 0) { c = *p; len = 1; }
        p += len;
        if (is_combining(c)) continue;
        char enc[4];
        size_t el = utf8_encode(strip_accent(fold_case(c)), enc);
        if (n + el >= cap) break; /* never a cut character */
        memcpy(out + n, enc, el);
        n += el;
    }
    out[n] = '\0';
    return n;
}

size_t gh_search_key(const char *name, const char *email, const char *badge, char *out, size_t cap)
{
    if (cap == 0) return 0;
    size_t n = gh_search_fold(name, out, cap);
    const char *parts[] = {email, badge};
    for (size_t i = 0; i < 2; i++) {
        if (!parts[i] || !*parts[i] || n + 2 >= cap) continue;
        out[n++] = '\x1f';
        n += gh_search_fold(parts[i], out + n, cap - n);
    }
    out[n] = '\0';
    return n;
}

size_t gh_search_chars(const char *key)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) n += (*p & 0xC0) != 0x80;
    return n;
}

int gh_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    char ka[GH_NAME_KEY_MAX], kb[GH_NAME_KEY_MAX], ta[GH_NAME_KEY_MAX], tb[GH_NAME_KEY_MAX];
    /* The inputs need not be NUL-terminated (SQLite collations). */
    size_t la = alen < sizeof ta - 1 ? alen : sizeof ta - 1, lb = blen < sizeof tb - 1 ? blen : sizeof tb - 1;
    if (la) memcpy(ta, a, la);
    ta[la] = '\0';
    if (lb) memcpy(tb, b, lb);
    tb[lb] = '\0';
    size_t na = gh_name_sort_key(ta, ka, sizeof ka), nb = gh_name_sort_key(tb, kb, sizeof kb);
    int c = memcmp(ka, kb, na < nb ? na : nb);
    if (c == 0 && na != nb) c = na < nb ? -1 : 1;
    if (c == 0) {
        size_t common = alen < blen ? alen : blen;
        c = common ? memcmp(a, b, common) : 0;
        if (c == 0 && alen != blen) c = alen < blen ? -1 : 1;
    }
    return c;
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

bool gh_keylist_has(const char *list, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = list; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n == kl && n > 0 && strncmp(p, key, kl) == 0) return true;
        p += n;
    }
    return false;
}
