/*
 * The one hash function for in-memory tables (authorization snapshot,
 * catalog, metrics series, denial counters, import duplicates, the common
 * password set): SipHash-2-4 (libsodium crypto_shorthash) under a key drawn
 * at random once per process. Several of these tables are filled from input
 * an attacker chooses (emails in an import, passwords, actor keys); a keyed
 * hash keeps them from choosing colliding inputs. Not for anything stored
 * or compared across processes: the key changes on every start.
 */
#ifndef GH_HASH_H
#define GH_HASH_H
#include <stddef.h>
#include <stdint.h>

/* The hash of n bytes at p. Thread-safe; the key is drawn on first use. */
uint64_t gh_hash(const void *p, size_t n);
/* The hash of a NUL-terminated string. */
uint64_t gh_hash_str(const char *s);
/* The hash of the pair (a, b): distinct pairs whose concatenations are equal
 * ("ab", "c" and "a", "bc") hash differently. */
uint64_t gh_hash_pair(const char *a, const char *b);

#endif
