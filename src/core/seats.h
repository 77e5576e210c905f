/*
 * Subscription seats (002): an organization has a number of office seats and
 * of factory seats (unlimited when unset). Active users holding that access
 * count against them (for office seats, pending invitations count too).
 * Every path that would add to the count (create, invite, grant access,
 * unlock, import) calls gh_seats_require inside its transaction, after its
 * own change, so concurrent requests cannot both take the last seat.
 */
#ifndef GH_SEATS_H
#define GH_SEATS_H
#include <stdint.h>

#include "core/ctx.h"
#include "store/store.h"

typedef enum { GH_SEAT_OFFICE, GH_SEAT_FACTORY } gh_seat_kind;

/* Seats in use now (inside the caller's transaction, so it includes the
 * caller's own uncommitted change). */
int64_t gh_seats_used(gh_db *db, const char *org_id, gh_seat_kind kind);
/* GH_E_CONFLICT "seat_limit_reached" (with limit and used) when the count
 * now exceeds the org's limit. Call after applying the change. */
gh_status gh_seats_require(gh_ctx *ctx, const gh_org *o, gh_seat_kind kind);
/* Same, for a change that added `added` seats at once (bulk invitations):
 * "used" in the problem is the count before the change, "requested" is
 * `added`. */
gh_status gh_seats_require_n(gh_ctx *ctx, const gh_org *o, gh_seat_kind kind, int64_t added);

#endif
