/* Seat counting and enforcement. */
#include "core/seats.h"

int64_t gh_seats_used(gh_db *db, const char *org_id, gh_seat_kind kind)
{
    return kind == GH_SEAT_OFFICE ? gh_store_office_seats_used(db, org_id, gh_now())
                                  : gh_store_factory_seats_used(db, org_id, gh_now());
}

gh_status gh_seats_require_n(gh_ctx *ctx, const gh_org *o, gh_seat_kind kind, int64_t added)
{
    int64_t limit = kind == GH_SEAT_OFFICE ? o->seats_office : o->seats_factory;
    if (limit < 0 || added <= 0) return GH_OK;
    int64_t used = gh_seats_used(ctx->db, o->id, kind);
    if (used < 0) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot count seats");
    if (used <= limit) return GH_OK;
    const char *name = kind == GH_SEAT_OFFICE ? "office" : "factory";
    int64_t before = used - added;
    gh_fail(&ctx->err, GH_E_CONFLICT, "seat_limit_reached",
            "all %lld %s seats of the subscription are in use (%lld used, %lld more needed)", (long long)limit,
            name, (long long)before, (long long)added);
    gh_err_extra(&ctx->err, "seat_kind", json_string(name));
    gh_err_extra(&ctx->err, "limit", json_integer(limit));
    gh_err_extra(&ctx->err, "used", json_integer(before));
    gh_err_extra(&ctx->err, "requested", json_integer(added));
    return GH_E_CONFLICT;
}

gh_status gh_seats_require(gh_ctx *ctx, const gh_org *o, gh_seat_kind kind)
{
    return gh_seats_require_n(ctx, o, kind, 1);
}
