/* Seat counting and enforcement. */
#include "core/seats.h"

int64_t gh_seats_used(gh_db *db, const char *org_id, gh_seat_kind kind)
{
    /* An office seat is held by an active user with office access or by a
     * pending invitation that has not expired (accepting one turns it into
     * the user in the same transaction, so nothing is counted twice). */
    const char *sql = kind == GH_SEAT_OFFICE
                          ? "SELECT (SELECT count(*) FROM users WHERE org_id = ?1 AND status = 'active' AND office_access = 1)"
                            " + (SELECT count(*) FROM invites WHERE org_id = ?1 AND status = 'pending' AND expires_at > ?2)"
                          : "SELECT count(*) FROM users WHERE org_id = ?1 AND status = 'active' AND factory_access = 1";
    sqlite3_stmt *st = gh_db_stmt(db, sql);
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    if (kind == GH_SEAT_OFFICE) gh_bind_i64(st, 2, gh_now());
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
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
