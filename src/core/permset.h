/*
 * A fixed-size set of permissions, one bit per catalog permission index.
 *
 * Permissions are not hierarchical, so a set is all we ever need: a role, a
 * user's grants and a user's effective permissions are each one gh_permset,
 * and combining them is word-wise OR / AND. The size is fixed at compile time
 * (GH_PERM_MAX) so sets can live by value in structs and arrays; the catalog
 * refuses to load more permissions than fit.
 */
#ifndef GH_PERMSET_H
#define GH_PERMSET_H
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_PERM_MAX 256
#define GH_PERMSET_WORDS (GH_PERM_MAX / 64)

typedef struct gh_permset {
    uint64_t w[GH_PERMSET_WORDS];
} gh_permset;

/* Empties s. */
static inline void gh_permset_clear(gh_permset *s)
{
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++)
        s->w[i] = 0;
}

/* Adds permission i (i < GH_PERM_MAX; larger indexes are ignored). */
static inline void gh_permset_set(gh_permset *s, size_t i)
{
    assert(i < GH_PERM_MAX);
    if (i < GH_PERM_MAX)
        s->w[i / 64] |= UINT64_C(1) << (i % 64);
}

/* Removes permission i. */
static inline void gh_permset_unset(gh_permset *s, size_t i)
{
    assert(i < GH_PERM_MAX);
    if (i < GH_PERM_MAX)
        s->w[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* True when s holds permission i; false for any i out of range. */
static inline bool gh_permset_test(const gh_permset *s, size_t i)
{
    return i < GH_PERM_MAX && ((s->w[i / 64] >> (i % 64)) & 1u);
}

/* d |= a */
static inline void gh_permset_or(gh_permset *d, const gh_permset *a)
{
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++)
        d->w[i] |= a->w[i];
}

/* d &= a */
static inline void gh_permset_and(gh_permset *d, const gh_permset *a)
{
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++)
        d->w[i] &= a->w[i];
}

/* d &= ~a */
static inline void gh_permset_andnot(gh_permset *d, const gh_permset *a)
{
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++)
        d->w[i] &= ~a->w[i];
}

/* True when s holds nothing. */
static inline bool gh_permset_is_empty(const gh_permset *s)
{
    uint64_t any = 0;
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++)
        any |= s->w[i];
    return any == 0;
}

/* True when a and b hold the same permissions. */
static inline bool gh_permset_equal(const gh_permset *a, const gh_permset *b)
{
    uint64_t diff = 0;
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++)
        diff |= a->w[i] ^ b->w[i];
    return diff == 0;
}

/* Number of permissions in s. */
static inline size_t gh_permset_count(const gh_permset *s)
{
    size_t n = 0;
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++) {
#if defined(__GNUC__)
        n += (size_t)__builtin_popcountll(s->w[i]);
#else
        for (uint64_t v = s->w[i]; v; v &= v - 1)
            n++;
#endif
    }
    return n;
}

/* True when s holds any permission at or above n (used to reject sets that
 * name indexes beyond a catalog's n permissions). */
static inline bool gh_permset_has_beyond(const gh_permset *s, size_t n)
{
    for (size_t i = 0; i < GH_PERMSET_WORDS; i++) {
        size_t lo = i * 64;
        uint64_t beyond;
        if (n <= lo)
            beyond = ~UINT64_C(0);
        else if (n >= lo + 64)
            beyond = 0;
        else
            beyond = ~UINT64_C(0) << (n - lo);
        if (s->w[i] & beyond)
            return true;
    }
    return false;
}

#endif
