/* Keyset cursors; see cursor.h. */
#include "util/cursor.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RAW_MAX ((GH_CURSOR_MAX - 1) / 2)

bool gh_cursor_encode(const char *name, const char *id, char out[static GH_CURSOR_MAX])
{
    char raw[RAW_MAX + 1];
    int n = snprintf(raw, sizeof raw, "%s\n%s", name, id);
    out[0] = '\0';
    if (n < 0 || (size_t)n > RAW_MAX) return false;
    sodium_bin2hex(out, GH_CURSOR_MAX, (const unsigned char *)raw, (size_t)n);
    return true;
}

bool gh_cursor_decode(const char *cursor, char *name, size_t ncap, char *id, size_t icap)
{
    unsigned char raw[RAW_MAX + 1];
    size_t len = 0;
    if (!cursor || strlen(cursor) > 2 * RAW_MAX) return false;
    if (sodium_hex2bin(raw, RAW_MAX, cursor, strlen(cursor), NULL, &len, NULL) != 0) return false;
    raw[len] = '\0';
    char *nl = memchr(raw, '\n', len);
    if (!nl || memchr(raw, '\0', len)) return false;
    *nl = '\0';
    return gh_strlcpy(name, (char *)raw, ncap) && gh_strlcpy(id, nl + 1, icap);
}

bool gh_cursor_encode_key(const char *key, char *out, size_t cap)
{
    size_t len = strlen(key);
    if (cap == 0) return false;
    out[0] = '\0';
    if (len > (cap - 1) / 2) return false;
    sodium_bin2hex(out, cap, (const unsigned char *)key, len);
    return true;
}

bool gh_cursor_decode_key(const char *cursor, char *key, size_t cap)
{
    size_t len = 0;
    if (!cursor || cap == 0 || strlen(cursor) > 2 * (cap - 1)) return false;
    if (sodium_hex2bin((unsigned char *)key, cap - 1, cursor, strlen(cursor), NULL, &len, NULL) != 0) return false;
    if (len == 0 || memchr(key, '\0', len)) return false;
    key[len] = '\0';
    return true;
}
