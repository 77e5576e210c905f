/*
 * The authorization change log (migration 20): the generation triggers on
 * users and roles write one row (generation, kind, org, id) per change, in
 * the changing transaction. A snapshot holder reads the rows past its
 * generation and applies only those (core/access.c).
 */
#ifndef GH_STORE_CHANGES_H
#define GH_STORE_CHANGES_H
#include <stdint.h>

#include "store/db.h"

typedef enum { GH_CHANGE_USER, GH_CHANGE_ROLE } gh_change_kind;

/* Calls fn per row with from < gen <= to, in generation order, and sets
 * *gens to how many distinct generations had rows: fewer than to - from
 * means some change was not logged (an org or allowlist change, a pruned
 * log) and the caller must rebuild everything. */
gh_status gh_store_changes_since(gh_db *db, int64_t from, int64_t to,
                                 void (*fn)(gh_change_kind kind, const char *org_id, const char *id,
                                            void *arg),
                                 void *arg, int64_t *gens, gh_err *err);
/* Deletes the rows of generations up to `upto`. */
gh_status gh_store_changes_prune(gh_db *db, int64_t upto, gh_err *err);

#endif
