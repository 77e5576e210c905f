/*
 * Kiosk PINs, PIN sign-in and kiosk devices. See kiosk.h for the rules.
 * Every change runs in one transaction with its audit events; failed
 * attempts are recorded in a transaction of their own (the attempt itself
 * changes nothing else).
 *
 * Over 600 lines: PINs, PIN sign-in and kiosk devices share the kiosk
 * throttle and the PIN rules.
 */
#include "core/ipallow.h"
#include "core/kiosk.h"
#include "core/accounts.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/secret.h"
#include "core/session.h"
#include "core/throttle.h"
#include "core/guard.h"
#include "core/mint.h"

#define WORKER_FREE_FAILURES 2   /* then 1 s, 2 s, 4 s ... before the next try */
#define ADDRESS_FREE_FAILURES 20 /* a shared kiosk serves many workers from one address */

/* ---- policy ------------------------------------------------------------------------ */
bool gh_badge_valid(const char *badge)
{
    size_t n = gh_strnlen_max(badge, GH_BADGE_MAX);
    if (n < 1 || n > GH_BADGE_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = badge[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool digits_only(const char *s, size_t *len)
{
    size_t n = gh_strnlen_max(s, GH_PIN_MAX);
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    *len = n;
    return true;
}

bool gh_pin_well_formed(const char *pin)
{
    size_t n;
    return pin && digits_only(pin, &n) && n >= GH_PIN_FLOOR && n <= GH_PIN_MAX;
}

/* Most-used PINs that the pattern rules below do not already catch
 * (keypad shapes, mirrored halves, well-known numbers). */
static const char *const common_pins[] = {
    "121212", "112233", "123123", "696969", "159753", "147258", "520520", "789456", "123321", "131313",
    "101010", "102030", "112211", "159357", "753951", "147369", "963852", "258456", "852456", "142536",
    "147852", "963258", "258369", "741852", "852963", "456123", "321654", "159951", "753159", "357159",
    "951753", "357951", "951357", "142857", "314159", "271828", "198410", "110110", "520131", "521521",
    "1004", "2580", "0852", "5683", "1313", "6969", "1379", "3197", "9731", "7913", "1793", "2684", "8462",
    "8520", "7410", "0147", "1470", "12344321", "11223344", "88888888", "147258369", "789456123",
    "1234567890", "0987654321", "123456789", "987654321",
};

bool gh_pin_trivial(const char *pin)
{
    size_t n = strlen(pin);
    if (n < 2) return true;
    /* one repeated block: 111111, 121212, 123123, 12121 */
    for (size_t p = 1; p <= n / 2; p++) {
        size_t i = p;
        while (i < n && pin[i] == pin[i - p]) i++;
        if (i == n) return true;
    }
    /* a constant step modulo 10: 123456, 654321, 890123, 135791, 2468 */
    int step = (pin[1] - pin[0] + 10) % 10;
    size_t i = 2;
    while (i < n && (pin[i] - pin[i - 1] + 10) % 10 == step) i++;
    if (i == n) return true;
    /* doubled digits in a run: 112233, 998877 */
    if (n % 2 == 0 && n >= 4) {
        bool doubled = true;
        for (size_t k = 0; k < n && doubled; k += 2) doubled = pin[k] == pin[k + 1];
        if (doubled) {
            int st = (pin[2] - pin[0] + 10) % 10;
            size_t k = 4;
            while (k < n && (pin[k] - pin[k - 2] + 10) % 10 == st) k += 2;
            if (k >= n) return true;
        }
    }
    /* a year */
    if (n == 4 && ((pin[0] == '1' && pin[1] == '9') || (pin[0] == '2' && pin[1] == '0'))) return true;
    for (size_t k = 0; k < sizeof common_pins / sizeof common_pins[0]; k++)
        if (strcmp(pin, common_pins[k]) == 0) return true;
    return false;
}

gh_status gh_pin_check(const char *pin, int64_t org_min, const char *previous, const char *badge,
                       const char *field, gh_err *err)
{
    int64_t min = org_min < GH_PIN_POLICY_FLOOR ? GH_PIN_POLICY_FLOOR : org_min > GH_PIN_MAX ? GH_PIN_MAX : org_min;
    size_t n;
    if (!pin || !digits_only(pin, &n) || n < (size_t)min || n > GH_PIN_MAX) {
        gh_fail_field(err, GH_E_INVALID, "pin_invalid", field, "a PIN is %lld to %d digits (0-9 only)",
                      (long long)min, GH_PIN_MAX);
        gh_err_extra(err, "min_length", json_integer(min));
        gh_err_extra(err, "max_length", json_integer(GH_PIN_MAX));
        return GH_E_INVALID;
    }
    if (gh_pin_trivial(pin))
        return gh_fail_field(err, GH_E_INVALID, "pin_too_weak", field,
                             "this PIN is too easy to guess (repeated or sequential digits, or a common PIN)");
    if (previous && strcmp(pin, previous) == 0)
        return gh_fail_field(err, GH_E_INVALID, "pin_too_weak", field, "the new PIN must differ from the current one");
    if (badge && strcmp(pin, badge) == 0)
        return gh_fail_field(err, GH_E_INVALID, "pin_too_weak", field, "the PIN must not be the badge number");
    return GH_OK;
}

void gh_pin_generate(int len, const char *badge, char out[GH_PIN_MAX + 1])
{
    if (len < GH_PIN_POLICY_FLOOR) len = GH_PIN_POLICY_FLOOR;
    if (len > GH_PIN_MAX) len = GH_PIN_MAX;
    do {
        for (int i = 0; i < len; i++) out[i] = (char)('0' + gh_random_below(10));
        out[len] = '\0';
    } while (gh_pin_trivial(out) || (badge && strcmp(out, badge) == 0));
}

/* ---- helpers --------------------------------------------------------------------------- */
static void worker_key(char *out, size_t cap, const char *org_id, const char *badge)
{
    char norm[GH_BADGE_MAX + 1] = "";
    gh_ascii_lower(norm, badge ? badge : "", sizeof norm);
    snprintf(out, cap, "kiosk:%s:%s", org_id && *org_id ? org_id : "-", norm);
}

void gh_kiosk_throttle_forget(const char *org_id, const char *badge)
{
    char key[320];
    worker_key(key, sizeof key, org_id, badge);
    gh_throttle_forget(key, gh_now());
}

/* Counts a failed PIN attempt for the worker and blocks the PIN at the
 * limit (ending their kiosk sessions); *blocked tells whether the PIN is
 * blocked now. */
static gh_status count_failure(gh_ctx *ctx, const char *org_id, const char *user_id, const char *action,
                               const char *reason, bool may_block, bool *blocked)
{
    gh_ctx c = *ctx;
    c.err = (gh_err){0};
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    *blocked = false;
    if (!u) return GH_E_INTERNAL;
    /* Not gh_tx_run: counted on a copy of the context whose errors never reach the answer. */
    if ((st = gh_db_begin(c.db, &c.err)) != GH_OK) goto out;
    if ((st = gh_store_user_get(c.db, org_id, user_id, u, &c.err)) != GH_OK) {
        if (st == GH_E_NOT_FOUND) st = GH_OK; /* deleted meanwhile: nothing to count */
        goto fail;
    }
    if (u->pin_blocked) {
        *blocked = true;
        gh_db_rollback(c.db);
        goto out;
    }
    if (u->pin_failures < INT32_MAX) u->pin_failures++;
    *blocked = may_block && u->pin_failures >= GH_PIN_MAX_FAILURES;
    u->pin_blocked = *blocked;
    u->updated_at = gh_now();
    int64_t ended = 0;
    if ((st = gh_store_user_update(c.db, u, &c.err)) != GH_OK) goto fail;
    if ((st = gh_audit(&c, org_id, action, "user", u->id,
                       json_pack("{s:s, s:I}", "reason", reason, "failures", (json_int_t)u->pin_failures))) != GH_OK)
        goto fail;
    if (*blocked) {
        if ((st = gh_store_session_delete_kiosk(c.db, org_id, u->id, NULL, NULL, &ended, &c.err)) != GH_OK) goto fail;
        if ((st = gh_audit(&c, org_id, "kiosk.pin_blocked", "user", u->id,
                           json_pack("{s:I, s:I}", "failures", (json_int_t)u->pin_failures, "sessions_ended",
                                     (json_int_t)ended))) != GH_OK)
            goto fail;
    }
    st = gh_db_commit(c.db, &c.err);
    goto out;
fail:
    gh_db_rollback(c.db);
out:
    gh_err_clear(&c.err);
    free(u);
    return st;
}

static gh_status blocked_answer(gh_ctx *ctx)
{
    return gh_fail(&ctx->err, GH_E_FORBIDDEN, "pin_blocked",
                   "this PIN is blocked after too many failed attempts; ask an administrator for a new one");
}

/* ---- administration ------------------------------------------------------------------------ */
static gh_status pin_eligible(gh_ctx *ctx, const gh_user *u)
{
    if (!u->factory_access)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "no_factory_access",
                       "this staff member has no factory access; grant it before setting a kiosk PIN");
    if (!u->badge[0])
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "badge_required", "badge",
                             "the staff member needs a badge (employee code) to sign in at the kiosk");
    return GH_OK;
}

gh_status gh_kiosk_pin_issue_prepare(gh_ctx *ctx, const char *user_id, gh_pin_issue *pi)
{
    memset(pi, 0, sizeof *pi);
    gh_status st = gh_store_org_get(ctx->db, ctx->actor.org_id, &pi->org, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, user_id, &pi->user, &ctx->err)) != GH_OK) return st;
    /* Early answer before any hashing; _finish decides on the fresh rows. */
    if ((st = gh_guard_target(ctx, &pi->org, &pi->user)) != GH_OK) return st;
    if ((st = pin_eligible(ctx, &pi->user)) != GH_OK) return st;
    gh_pin_generate((int)pi->org.kiosk_pin_min, pi->user.badge, pi->pin);
    snprintf(pi->kiosk_url, sizeof pi->kiosk_url, "%s/kiosk/%s/", gh_cfg()->base_url, pi->org.slug);
    /* The personal link names the worker by badge, never by PIN. */
    snprintf(pi->personal_url, sizeof pi->personal_url, "%s?badge=%s", pi->kiosk_url, pi->user.badge);
    return GH_OK;
}

typedef struct {
    gh_pin_issue *pi;
    const char *pin_hash;
} pin_issue_op;

static gh_status pin_issue_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    pin_issue_op *op = arg;
    gh_pin_issue *pi = op->pi;
    gh_user *u = &pi->user;
    gh_status st;
    /* Re-read: the account may have changed while the PIN was hashed. */
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, u->id, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &pi->org, &ctx->err)) != GH_OK) return st;
    if ((st = gh_guard_target(ctx, &pi->org, u)) != GH_OK) return st;
    if ((st = pin_eligible(ctx, u)) != GH_OK) return st;
    bool was_blocked = u->pin_blocked;
    gh_strlcpy(u->pin_hash, op->pin_hash, sizeof u->pin_hash);
    u->pin_temporary = true;
    u->pin_failures = 0;
    u->pin_blocked = false;
    u->updated_at = gh_now();
    int64_t ended = 0;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete_kiosk(ctx->db, u->org_id, u->id, NULL, NULL, &ended, &ctx->err)) != GH_OK)
        return st;
    gh_tx_event(tx, "kiosk.pin_set", "user", u->id,
                json_pack("{s:b, s:b, s:I}", "temporary", 1, "unblocked", was_blocked, "sessions_ended",
                          (json_int_t)ended));
    return GH_OK;
}

gh_status gh_kiosk_pin_issue_finish(gh_ctx *ctx, gh_pin_issue *pi, const char *pin_hash)
{
    pin_issue_op op = {.pi = pi, .pin_hash = pin_hash};
    gh_status st = gh_tx_run(ctx, pin_issue_change, &op);
    if (st != GH_OK) return st;
    char key[320];
    worker_key(key, sizeof key, pi->user.org_id, pi->user.badge);
    gh_throttle_reset(key);
    return GH_OK;
}

typedef struct {
    const char *user_id;
    gh_user *u;
} pin_revoke_op;

static gh_status pin_revoke_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    pin_revoke_op *op = arg;
    gh_user *u = op->u;
    gh_org o;
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, op->user_id, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_guard_target(ctx, &o, u)) != GH_OK) return st;
    bool had_pin = u->pin_hash[0] != '\0';
    u->pin_hash[0] = '\0';
    u->pin_temporary = false;
    u->pin_failures = 0;
    u->pin_blocked = false;
    u->updated_at = gh_now();
    int64_t ended = 0;
    if (had_pin && (st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete_kiosk(ctx->db, u->org_id, u->id, NULL, NULL, &ended, &ctx->err)) != GH_OK)
        return st;
    if (had_pin || ended)
        gh_tx_event(tx, "kiosk.pin_revoked", "user", u->id,
                    json_pack("{s:b, s:I}", "had_pin", had_pin, "sessions_ended", (json_int_t)ended));
    return GH_OK;
}

gh_status gh_kiosk_pin_revoke(gh_ctx *ctx, const char *user_id, gh_user *out)
{
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    pin_revoke_op op = {.user_id = user_id, .u = u};
    gh_status st = gh_tx_run(ctx, pin_revoke_change, &op);
    if (st == GH_OK && out) *out = *u;
    free(u);
    return st;
}

/* ---- kiosk sign-in ----------------------------------------------------------------------------- */
static gh_status device_not_enrolled(gh_ctx *ctx, gh_kiosk_login *l)
{
    gh_audit_alone(ctx, l->org.id, "kiosk.login_failed", NULL, NULL, json_pack("{s:s}", "reason", "device_not_enrolled"));
    return gh_fail(&ctx->err, GH_E_FORBIDDEN, "device_not_enrolled",
                   "this organization accepts PIN sign-in only from enrolled kiosk devices");
}

gh_status gh_kiosk_login_prepare(gh_ctx *ctx, const char *org_slug, const char *badge, const char *pin,
                                 const char *device_token, gh_kiosk_login *l)
{
    memset(l, 0, sizeof *l);
    if (!badge || !gh_badge_valid(badge))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_badge", "badge",
                             "a badge is 1 to %d letters, digits, '-', '_' or '.'", GH_BADGE_MAX);
    if (!gh_pin_well_formed(pin))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "pin_invalid", "pin", "a PIN is %d to %d digits",
                             GH_PIN_FLOOR, GH_PIN_MAX);
    gh_err ignored = {0};
    gh_status st = gh_store_org_get_by_slug(ctx->db, org_slug ? org_slug : "", &l->org, &ignored);
    gh_err_clear(&ignored);
    if (st != GH_OK && st != GH_E_NOT_FOUND) return gh_fail(&ctx->err, st, "internal", "internal error");
    l->org_found = st == GH_OK;
    if (l->org_found && device_token && *device_token) {
        char h[GH_HASH_HEX_LEN + 1];
        gh_kiosk_device d;
        gh_token_hash(device_token, h);
        st = gh_store_device_get_by_hash(ctx->db, l->org.id, h, &d, &ignored);
        gh_err_clear(&ignored);
        if (st == GH_OK) {
            gh_strlcpy(l->device_id, d.id, sizeof l->device_id);
            gh_strlcpy(l->device_language, d.language, sizeof l->device_language);
        }
        else if (st != GH_E_NOT_FOUND) return gh_fail(&ctx->err, st, "internal", "internal error");
    }
    /* Two throttles: the badge (one attempt in flight at a time, growing
     * pauses), and the source, an enrolled kiosk device or else the address
     * (generous: a shared kiosk serves a whole shift). Neither blocks for
     * good, so nobody can shut a worker out by typing their badge. */
    worker_key(l->throttle_worker, sizeof l->throttle_worker, l->org_found ? l->org.id : NULL, badge);
    if (l->device_id[0]) snprintf(l->throttle_ip, sizeof l->throttle_ip, "kiosk-dev:%s", l->device_id);
    else snprintf(l->throttle_ip, sizeof l->throttle_ip, "kiosk-ip:%s", ctx->ip ? ctx->ip : "");
    int wait_w = 0, wait_i = 0;
    bool ok_i = gh_throttle_allowed(l->throttle_ip, gh_now(), &wait_i);
    bool ok_w = ok_i && gh_throttle_reserve(l->throttle_worker, gh_now(), &wait_w);
    if (!ok_w || !ok_i) {
        ctx->err.retry_after = wait_w > wait_i ? wait_w : wait_i;
        return gh_fail(&ctx->err, GH_E_THROTTLED, "too_many_attempts",
                       "too many failed PIN attempts; wait before trying again");
    }
    l->held_worker = true;
    if (l->org_found && !gh_access_ip_allowed(l->org.id, ctx->ip)) {
        gh_kiosk_login_abandon(l, false, false);
        gh_throttle_fail(l->throttle_ip, gh_now(), ADDRESS_FREE_FAILURES);
        gh_audit_alone(ctx, l->org.id, "kiosk.login_failed", NULL, NULL, json_pack("{s:s}", "reason", "ip_not_allowed"));
        return gh_ip_refused(ctx);
    }
    if (l->org_found && l->org.kiosk_enrolled_devices_only && !l->device_id[0]) {
        gh_kiosk_login_abandon(l, false, false);
        return device_not_enrolled(ctx, l);
    }
    if (l->org_found) {
        st = gh_store_audit_last_seq(ctx->db, &l->audit_mark, &ignored);
        if (st == GH_OK) st = gh_store_user_get_by_badge(ctx->db, l->org.id, badge, &l->user, &ignored);
        gh_err_clear(&ignored);
        if (st == GH_OK) l->user_found = true;
        else if (st != GH_E_NOT_FOUND) {
            gh_kiosk_login_abandon(l, false, false);
            return gh_fail(&ctx->err, st, "internal", "internal error");
        }
    }
    gh_strlcpy(l->hash, l->user_found && l->user.pin_hash[0] ? l->user.pin_hash : gh_pin_dummy_hash(),
               sizeof l->hash);
    return GH_OK;
}

void gh_kiosk_login_abandon(gh_kiosk_login *l, bool verified, bool pin_ok)
{
    if (!l->held_worker) return;
    l->held_worker = false;
    gh_throttle_release(l->throttle_worker, gh_now(), verified && !pin_ok, WORKER_FREE_FAILURES);
}

typedef struct {
    gh_kiosk_login *l;
    gh_user *u;
    const char *new_pin_hash;
} login_op;

/* The kiosk sign-in's write: re-reads the worker, opens the session (and
 * signs out the device's previous worker), audited kiosk.login. Sessions
 * are not in the authorization snapshot: run without a refresh. */
static gh_status login_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    login_op *op = arg;
    gh_kiosk_login *l = op->l;
    gh_user *u = op->u;
    gh_status st = gh_store_user_get(ctx->db, l->org.id, l->user.id, u, &ctx->err);
    bool ended = false;
    if (st == GH_OK)
        st = gh_store_audit_signin_ended_since(ctx->db, l->org.id, l->user.id, l->audit_mark, &ended, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the badge or PIN is not correct");
    }
    if (st != GH_OK) return st;
    /* Changed while the PIN was checked (new PIN, revoked, blocked, locked,
     * sessions revoked)? */
    if (ended || strcmp(u->pin_hash, l->user.pin_hash) != 0 || !u->factory_access || !gh_user_usable(u, gh_now()))
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the badge or PIN is not correct");
    if (u->pin_blocked) return blocked_answer(ctx);
    /* A right PIN under a stale hash (before the pepper, an older key):
     * stored again under the current one, in this transaction. */
    bool rehashed = op->new_pin_hash && *op->new_pin_hash;
    if (u->pin_failures || rehashed) {
        u->pin_failures = 0;
        if (rehashed) gh_strlcpy(u->pin_hash, op->new_pin_hash, sizeof u->pin_hash);
        if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    }
    if ((st = gh_session_open(ctx, &l->org, u, "kiosk", l->token, l->csrf, &l->session)) != GH_OK) return st;
    gh_strlcpy(ctx->actor.session_id, l->session.id, sizeof ctx->actor.session_id);
    int64_t replaced = 0;
    if (l->device_id[0]) {
        /* Quick switching: the device's previous worker is signed out. */
        gh_strlcpy(l->session.device_id, l->device_id, sizeof l->session.device_id);
        if ((st = gh_store_session_set_device(ctx->db, l->session.id, l->device_id, &ctx->err)) != GH_OK) return st;
        if ((st = gh_store_session_delete_kiosk(ctx->db, l->org.id, NULL, l->device_id, l->session.id, &replaced,
                                                &ctx->err)) != GH_OK)
            return st;
        if ((st = gh_store_device_touch(ctx->db, l->device_id, gh_now(), &ctx->err)) != GH_OK) return st;
    }
    u->last_login_at = gh_now();
    if ((st = gh_store_user_touch_login(ctx->db, u->id, u->last_login_at, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "kiosk.login", "session", l->session.id,
                json_pack("{s:s, s:s, s:o, s:b, s:I, s:b}", "method", "pin", "user_id", u->id, "device_id",
                          l->device_id[0] ? json_string(l->device_id) : json_null(), "pin_change_required",
                          l->session.pin_change_required, "device_sessions_ended", (json_int_t)replaced,
                          "pin_rehashed", rehashed));
    return GH_OK;
}

gh_status gh_kiosk_login_finish(gh_ctx *ctx, gh_kiosk_login *l, bool pin_ok, const char *new_pin_hash)
{
    /* Only a worker with factory access and a PIN can sign in here; every
     * other case reads exactly like a wrong PIN, and so does a blocked PIN
     * unless the PIN typed is right (which only its owner knows). */
    bool eligible = l->user_found && l->user.pin_hash[0] && l->user.factory_access;
    gh_status st;
    if (!pin_ok || !eligible) {
        gh_kiosk_login_abandon(l, true, false);
        gh_throttle_fail(l->throttle_ip, gh_now(), ADDRESS_FREE_FAILURES);
        bool blocked = false;
        if (eligible) {
            if (count_failure(ctx, l->org.id, l->user.id, "kiosk.login_failed", "invalid_credentials", false, &blocked) != GH_OK)
                return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "internal error");
        } else if (l->org_found) {
            gh_audit_alone(ctx, l->org.id, "kiosk.login_failed", l->user_found ? "user" : NULL,
                        l->user_found ? l->user.id : NULL, json_pack("{s:s}", "reason", "invalid_credentials"));
        }
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the badge or PIN is not correct");
    }
    gh_kiosk_login_abandon(l, true, true);
    if (l->user.pin_blocked) {
        gh_audit_alone(ctx, l->org.id, "kiosk.login_failed", "user", l->user.id, json_pack("{s:s}", "reason", "pin_blocked"));
        return blocked_answer(ctx);
    }
    if (strcmp(l->user.status, "active") != 0) {
        gh_audit_alone(ctx, l->org.id, "kiosk.login_failed", "user", l->user.id, json_pack("{s:s}", "reason", "account_locked"));
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "account_locked", "this account is locked; ask an administrator");
    }
    if (gh_user_expired(&l->user, gh_now())) {
        gh_audit_alone(ctx, l->org.id, "kiosk.login_failed", "user", l->user.id, json_pack("{s:s}", "reason", "account_expired"));
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "account_expired", "This account has expired; ask an administrator.");
    }
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, l->org.id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, l->user.id, sizeof ctx->actor.id);
    ctx->actor.kiosk = true;
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    login_op op = {.l = l, .u = u, .new_pin_hash = new_pin_hash};
    if ((st = gh_tx_run_no_refresh(ctx, login_change, &op)) == GH_OK) {
        /* A shared kiosk serves a whole shift from one address: a success
         * clears the address's count too, so a day's typos do not slow down
         * everyone. Each worker stays bounded by their own throttle and block. */
        gh_throttle_reset(l->throttle_worker);
        gh_throttle_reset(l->throttle_ip);
        ctx->actor.pin_change_required = l->session.pin_change_required;
        l->user = *u;
    }
    free(u);
    return st;
}

/* ---- badge and PIN as a signature's credentials ------------------------------------------------ */
/* A refused signing attempt, audited signature.failed in its own transaction. */
static void sign_refused(gh_ctx *ctx, gh_kiosk_login *l, const char *reason)
{
    if (!l->org_found) return;
    gh_audit_alone(ctx, l->org.id, "signature.failed", l->user_found ? "user" : NULL, l->user_found ? l->user.id : NULL,
                   json_pack("{s:s, s:s, s:s}", "reason", reason, "method", "badge+pin", "device_id", l->device_id));
}

gh_status gh_kiosk_prove_prepare(gh_ctx *ctx, const char *org_slug, const char *badge, const char *pin,
                                 const char *device_token, gh_kiosk_login *l)
{
    gh_status st = gh_kiosk_login_prepare(ctx, org_slug, badge, pin, device_token, l);
    if (st != GH_OK) return st;
    if (!l->device_id[0]) {
        gh_kiosk_login_abandon(l, false, false);
        sign_refused(ctx, l, "device_not_enrolled");
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "device_not_enrolled",
                       "badge and PIN sign only at an enrolled kiosk device");
    }
    return GH_OK;
}

gh_status gh_kiosk_prove_finish(gh_ctx *ctx, gh_kiosk_login *l, bool pin_ok)
{
    /* As at sign-in: every ineligible case reads like a wrong PIN. */
    bool eligible = l->user_found && l->user.pin_hash[0] && l->user.factory_access;
    if (!pin_ok || !eligible) {
        gh_kiosk_login_abandon(l, true, false);
        gh_throttle_fail(l->throttle_ip, gh_now(), ADDRESS_FREE_FAILURES);
        bool blocked = false;
        if (eligible) {
            if (count_failure(ctx, l->org.id, l->user.id, "signature.failed", "invalid_credentials", false, &blocked) !=
                GH_OK)
                return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "internal error");
        } else {
            sign_refused(ctx, l, "invalid_credentials");
        }
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the badge or PIN is not correct");
    }
    gh_kiosk_login_abandon(l, true, true);
    if (l->user.pin_blocked) {
        sign_refused(ctx, l, "pin_blocked");
        return blocked_answer(ctx);
    }
    if (strcmp(l->user.status, "active") != 0) {
        sign_refused(ctx, l, "account_locked");
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "account_locked", "this account is locked; ask an administrator");
    }
    if (l->user.pin_temporary) {
        /* An administrator knows a temporary PIN: it proves nobody. */
        sign_refused(ctx, l, "pin_change_required");
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "pin_change_required",
                       "choose your own PIN at the kiosk before signing");
    }
    ctx->actor = (gh_actor){.type = GH_ACTOR_USER, .kiosk = true};
    gh_strlcpy(ctx->actor.org_id, l->org.id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, l->user.id, sizeof ctx->actor.id);
    return GH_OK;
}

/* ---- PIN change --------------------------------------------------------------------------------- */
gh_status gh_kiosk_pin_change_prepare(gh_ctx *ctx, const char *current_pin, const char *new_pin,
                                      gh_pin_change *pc)
{
    memset(pc, 0, sizeof *pc);
    if (!gh_pin_well_formed(current_pin))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "pin_invalid", "current_pin", "a PIN is %d to %d digits",
                             GH_PIN_FLOOR, GH_PIN_MAX);
    gh_org o;
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_pin_check(new_pin, o.kiosk_pin_min, current_pin, u->badge, "new_pin", &ctx->err)) != GH_OK) goto out;
    worker_key(pc->throttle_worker, sizeof pc->throttle_worker, o.id, u->badge);
    int wait = 0;
    if (u->pin_blocked) { st = blocked_answer(ctx); goto out; }
    if (!gh_throttle_reserve(pc->throttle_worker, gh_now(), &wait)) {
        ctx->err.retry_after = wait;
        st = gh_fail(&ctx->err, GH_E_THROTTLED, "too_many_attempts", "too many failed PIN attempts; wait before trying again");
        goto out;
    }
    pc->held_worker = true;
    gh_strlcpy(pc->hash, u->pin_hash[0] ? u->pin_hash : gh_pin_dummy_hash(), sizeof pc->hash);
out:
    free(u);
    return st;
}

void gh_kiosk_pin_change_abandon(gh_pin_change *pc, bool verified, bool current_ok)
{
    if (!pc->held_worker) return;
    pc->held_worker = false;
    gh_throttle_release(pc->throttle_worker, gh_now(), verified && !current_ok, WORKER_FREE_FAILURES);
}

typedef struct {
    const gh_pin_change *pc;
    const char *new_hash;
    gh_user *u;
} pin_change_op;

static gh_status pin_change_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    pin_change_op *op = arg;
    gh_user *u = op->u;
    gh_status st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err)) != GH_OK) return st;
    if (u->pin_blocked) return blocked_answer(ctx);
    if (strcmp(u->pin_hash, op->pc->hash) != 0)
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "pin_changed", "current_pin",
                             "the PIN was changed meanwhile; sign in again");
    bool was_temporary = u->pin_temporary;
    gh_strlcpy(u->pin_hash, op->new_hash, sizeof u->pin_hash);
    u->pin_temporary = false;
    u->pin_failures = 0;
    u->updated_at = gh_now();
    int64_t ended = 0;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_set_pin_change(ctx->db, ctx->actor.session_id, false, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete_kiosk(ctx->db, u->org_id, u->id, NULL, ctx->actor.session_id, &ended,
                                            &ctx->err)) != GH_OK)
        return st;
    gh_tx_event(tx, "kiosk.pin_changed", "user", u->id,
                json_pack("{s:b, s:I}", "was_temporary", was_temporary, "other_sessions_ended", (json_int_t)ended));
    return GH_OK;
}

gh_status gh_kiosk_pin_change_finish(gh_ctx *ctx, gh_pin_change *pc, bool current_ok, const char *new_hash)
{
    gh_status st;
    gh_kiosk_pin_change_abandon(pc, true, current_ok); /* counts a wrong current PIN */
    if (!current_ok) {
        bool blocked = false;
        if (count_failure(ctx, ctx->actor.org_id, ctx->actor.id, "kiosk.login_failed", "invalid_current_pin", true,
                          &blocked) != GH_OK)
            return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "internal error");
        if (blocked) return blocked_answer(ctx);
        return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "invalid_current_pin", "current_pin",
                             "the current PIN is not correct");
    }
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    pin_change_op op = {.pc = pc, .new_hash = new_hash, .u = u};
    /* The PIN and kiosk sessions are not in the authorization snapshot: no refresh (as before). */
    if ((st = gh_tx_run_no_refresh(ctx, pin_change_change, &op)) == GH_OK) {
        gh_throttle_reset(pc->throttle_worker);
        ctx->actor.pin_change_required = false;
    }
    free(u);
    return st;
}

/* ---- devices -------------------------------------------------------------------------------------- */
static json_t *device_json(const gh_kiosk_device *d)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "id", d->id, "name", d->name, "created_by",
                     d->created_by[0] ? json_string(d->created_by) : json_null(), "created_at",
                     gh_json_time(d->created_at), "last_used_at", gh_json_time(d->last_used_at), "language",
                     d->language[0] ? json_string(d->language) : json_null());
}

static void device_keep(void *row, const char *token, const char *hash)
{
    (void)token;
    gh_kiosk_device *d = row;
    gh_strlcpy(d->token_hash, hash, sizeof d->token_hash);
}

static gh_status device_insert(gh_ctx *ctx, gh_tx *tx, void *row)
{
    gh_kiosk_device *d = row;
    gh_status st = gh_store_device_insert(ctx->db, d, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "device.enrolled", "kiosk_device", d->id,
                json_pack("{s:s, s:s}", "name", d->name, "language", d->language));
    return GH_OK;
}

static json_t *device_view(const void *row) { return device_json(row); }

static const gh_mint DEVICE_MINT = {GH_DEVICE_TOKEN_PREFIX, "token", device_keep, device_insert, device_view};

gh_status gh_kiosk_device_enrol(gh_ctx *ctx, const char *name, const char *language, json_t **out)
{
    gh_err all = {0};
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) gh_err_merge(&all, &ctx->err);
    if (gh_language_check(&ctx->err, language, "language") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (all.status != GH_OK) {
        gh_err_clear(&ctx->err);
        ctx->err = all;
        return all.status;
    }
    gh_kiosk_device d = {0};
    gh_strlcpy(d.language, language ? language : "", sizeof d.language);
    gh_id_new("kdv", d.id);
    gh_strlcpy(d.org_id, ctx->actor.org_id, sizeof d.org_id);
    gh_strlcpy(d.name, name, sizeof d.name);
    if (ctx->actor.type == GH_ACTOR_USER) gh_strlcpy(d.created_by, ctx->actor.id, sizeof d.created_by);
    d.created_at = gh_now();
    return gh_mint_token(ctx, &DEVICE_MINT, &d, out);
}

static void device_visit(const gh_kiosk_device *d, void *arg) { json_array_append_new(arg, device_json(d)); }

gh_status gh_kiosk_device_list(gh_ctx *ctx, json_t **items)
{
    json_t *a = json_array();
    if (!a) return gh_ctx_oom(ctx);
    gh_status st = gh_store_device_list(ctx->db, ctx->actor.org_id, device_visit, a, &ctx->err);
    if (st != GH_OK) { json_decref(a); return st; }
    *items = a;
    return GH_OK;
}

typedef struct {
    const char *id;
    const char *language;
    gh_kiosk_device d;
} device_language_op;

static gh_status device_language_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    device_language_op *op = arg;
    gh_status st;
    if ((st = gh_store_device_set_language(ctx->db, ctx->actor.org_id, op->id, op->language, &ctx->err)) != GH_OK ||
        (st = gh_store_device_get(ctx->db, ctx->actor.org_id, op->id, &op->d, &ctx->err)) != GH_OK)
        return st;
    gh_tx_event(tx, "device.updated", "kiosk_device", op->id, json_pack("{s:s}", "language", op->d.language));
    return GH_OK;
}

gh_status gh_kiosk_device_set_language(gh_ctx *ctx, const char *id, const char *language, json_t **out)
{
    if (gh_language_check(&ctx->err, language, "language") != GH_OK) return GH_E_INVALID;
    device_language_op op = {.id = id, .language = language};
    /* Devices are not in the authorization snapshot: no refresh. */
    gh_status st = gh_tx_run_no_refresh(ctx, device_language_change, &op);
    if (st != GH_OK) return st;
    *out = device_json(&op.d);
    return *out ? GH_OK : gh_ctx_oom(ctx);
}

static gh_status device_revoke_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *id = arg;
    int64_t ended = 0;
    gh_status st;
    if ((st = gh_store_device_delete(ctx->db, ctx->actor.org_id, id, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete_kiosk(ctx->db, ctx->actor.org_id, NULL, id, NULL, &ended, &ctx->err)) != GH_OK)
        return st;
    gh_tx_event(tx, "device.revoked", "kiosk_device", id, json_pack("{s:I}", "sessions_ended", (json_int_t)ended));
    return GH_OK;
}

gh_status gh_kiosk_device_revoke(gh_ctx *ctx, const char *id)
{
    /* Devices and kiosk sessions are not in the authorization snapshot. */
    return gh_tx_run_no_refresh(ctx, device_revoke_change, (void *)id);
}
