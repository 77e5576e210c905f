/*
 * The one codec for opaque keyset cursors: for lists ordered by (name, id)
 * the hex of "name\nid", for lists ordered by a single key (a task's
 * reference) the hex of the key. Clients treat them as opaque strings;
 * decoding refuses bad hex, a cursor too long for its buffer and an
 * embedded NUL byte.
 */
#ifndef GH_CURSOR_H
#define GH_CURSOR_H
#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* Big enough for a cursor over a name of up to 200 bytes and an id. */
#define GH_CURSOR_MAX (2 * (200 + GH_ID_MAX + 2) + 1)

/* Writes the cursor into out (GH_CURSOR_MAX bytes); false when it does not fit. */
bool gh_cursor_encode(const char *name, const char *id, char out[static GH_CURSOR_MAX]);
/* Splits a cursor into name and id; false if malformed or too long. */
bool gh_cursor_decode(const char *cursor, char *name, size_t ncap, char *id, size_t icap);
/* The single-key form: the hex of key into out (cap >= 2 * strlen + 1);
 * false when it does not fit. */
bool gh_cursor_encode_key(const char *key, char *out, size_t cap);
/* Decodes into key (cap bytes, NUL included); false if malformed, empty,
 * too long or holding a NUL byte. */
bool gh_cursor_decode_key(const char *cursor, char *key, size_t cap);

#endif
