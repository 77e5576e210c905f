/*
 * SCIM 2.0 over the core's people and groups (see scim.h): errors as SCIM
 * Error messages, the helpers every SCIM file shares (scim_int.h), and the
 * User resource. PATCH, lists, Groups, Bulk and discovery have files of
 * their own (scim_int.h lists them).
 */
#include "core/scim_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/groups.h"
#include "core/sso.h"
#include "store/scim.h"
#include "util/json.h"

/* ---- errors --------------------------------------------------------------------- */
gh_status gh_scim_fail(gh_ctx *ctx, gh_status st, const char *code, const char *scim_type, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gh_err_clear(&ctx->err);
    gh_fail(&ctx->err, st, code, "%s", msg);
    if (scim_type) gh_err_extra(&ctx->err, "scimType", json_string(scim_type));
    return st;
}

static const struct { const char *code, *scim_type; bool permanent; } code_map[] = {
    {"email_taken", "uniqueness", true},     {"badge_taken", "uniqueness", true},
    {"group_name_taken", "uniqueness", true}, {"already_invited", "uniqueness", true},
    {"invalid_json", "invalidSyntax", false}, {"invalid_body", "invalidSyntax", false},
    {"seat_limit_reached", NULL, true},      {"last_admin", NULL, true},
    {"escalation", NULL, true},              {"self_lockout", NULL, true},
    {"permission_denied", NULL, true},       {"scope_missing", NULL, true},
    {"unknown_role", "invalidValue", true},  {"profile_owner_only", "mutability", true},
};

unsigned gh_scim_http_of(gh_status st)
{
    static const unsigned map[GH_STATUS_COUNT] = {
        [GH_OK] = 200, [GH_E_INVALID] = 400, [GH_E_UNAUTHENTICATED] = 401, [GH_E_FORBIDDEN] = 403,
        [GH_E_NOT_FOUND] = 404, [GH_E_METHOD] = 405, [GH_E_CONFLICT] = 409, [GH_E_GONE] = 410,
        [GH_E_TOO_LARGE] = 413, [GH_E_UNSUPPORTED_TYPE] = 415, [GH_E_PRECONDITION] = 428, [GH_E_STALE] = 412,
        [GH_E_THROTTLED] = 429, [GH_E_INTERNAL] = 500, [GH_E_BUSY] = 503,
    };
    return st >= 0 && st < GH_STATUS_COUNT && map[st] ? map[st] : 500;
}

json_t *gh_scim_error_json(const gh_err *e, unsigned http_status)
{
    const char *code = e->code[0] ? e->code : "error";
    const char *scim_type = e->extra ? json_string_value(json_object_get(e->extra, "scimType")) : NULL;
    bool permanent = false;
    for (size_t i = 0; i < sizeof code_map / sizeof code_map[0]; i++)
        if (strcmp(code_map[i].code, code) == 0) {
            if (!scim_type) scim_type = code_map[i].scim_type;
            permanent = code_map[i].permanent;
        }
    if (!scim_type && http_status == 400) scim_type = "invalidValue";
    char status[8];
    snprintf(status, sizeof status, "%u", http_status);
    char detail[400];
    snprintf(detail, sizeof detail, "%s%s", e->detail[0] ? e->detail : code,
             permanent ? " (permanent: retrying the same request will not succeed)" : "");
    json_t *o = json_pack("{s:[s], s:s, s:s, s:s}", "schemas", GH_SCIM_ERROR_URN, "status", status, "detail", detail,
                          "code", code);
    if (!o) return NULL;
    if (e->extra) json_object_update_missing(o, e->extra);
    if (scim_type) json_object_set_new(o, "scimType", json_string(scim_type));
    else json_object_del(o, "scimType");
    if (e->field[0]) json_object_set_new(o, "field", json_string(e->field));
    if (permanent) json_object_set_new(o, "permanent", json_true());
    return o;
}

/* ---- small helpers ---------------------------------------------------------------- */

void gh_scim_location(char *out, size_t cap, const char *kind, const char *id)
{
    snprintf(out, cap, "%s/scim/v2/%s/%s", gh_cfg()->base_url, kind, id);
}

/* A weak ETag over the resource without its meta. */
void gh_scim_etag_of(json_t *res, char out[40])
{
    json_t *meta = json_incref(json_object_get(res, "meta"));
    json_object_del(res, "meta");
    char *text = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
    if (meta) json_object_set_new(res, "meta", meta);
    unsigned char h[12];
    crypto_generichash(h, sizeof h, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0, NULL, 0);
    free(text);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, 40, "W/\"%s\"", hex);
}

static void set_meta(json_t *res, const char *type, const char *id, int64_t created, int64_t modified)
{
    char loc[700], tag[40];
    gh_scim_location(loc, sizeof loc, strcmp(type, "User") == 0 ? "Users" : "Groups", id);
    gh_scim_etag_of(res, tag);
    json_object_set_new(res, "meta", json_pack("{s:s, s:o, s:o, s:s, s:s}", "resourceType", type, "created",
                                               gh_json_time(created), "lastModified", gh_json_time(modified),
                                               "location", loc, "version", tag));
}

const char *gh_scim_version_of(const json_t *res)
{
    return json_string_value(json_object_get(json_object_get(res, "meta"), "version"));
}

/* If-Match: absent or "*" passes; otherwise one of its tags must be the
 * current one (weak comparison: W/ is ignored on both sides). */
gh_status gh_scim_check_match(gh_ctx *ctx, const json_t *res, const char *if_match)
{
    if (!if_match || !*if_match) return GH_OK;
    const char *cur = gh_scim_version_of(res);
    if (!cur) return GH_OK;
    if (strncmp(cur, "W/", 2) == 0) cur += 2;
    const char *p = if_match;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == '*') return GH_OK;
        if (strncmp(p, "W/", 2) == 0) p += 2;
        size_t n = strcspn(p, ",");
        while (n > 0 && p[n - 1] == ' ') n--;
        if (n == strlen(cur) && strncmp(p, cur, n) == 0) return GH_OK;
        p += strcspn(p, ",");
    }
    return gh_scim_fail(ctx, GH_E_STALE, "version_mismatch", NULL,
                     "the resource changed since that version (If-Match does not match meta.version)");
}

/* "true"/"false" as JSON or as a string in any case (Entra ID sends
 * "False"). */
static bool scim_bool(const json_t *v, bool *out)
{
    if (json_is_boolean(v)) { *out = json_is_true(v); return true; }
    const char *s = json_string_value(v);
    if (s && strcasecmp(s, "true") == 0) { *out = true; return true; }
    if (s && strcasecmp(s, "false") == 0) { *out = false; return true; }
    return false;
}

gh_status gh_scim_bad_value(gh_ctx *ctx, const char *attr, const char *what)
{
    gh_status st = gh_scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "'%s' %s", attr, what);
    gh_strlcpy(ctx->err.field, attr, sizeof ctx->err.field);
    return st;
}

/* Optional string attribute: NULL when absent or null. */
gh_status gh_scim_opt_str(gh_ctx *ctx, const json_t *o, const char *k, const char *label, size_t max, const char **out)
{
    json_t *v = gh_scim_get_ci(o, k);
    *out = NULL;
    if (!v || json_is_null(v)) return GH_OK;
    if (!json_is_string(v)) return gh_scim_bad_value(ctx, label, "must be a string");
    if (json_string_length(v) > max) return gh_scim_bad_value(ctx, label, "is too long");
    *out = json_string_value(v);
    return GH_OK;
}

/* ---- users: gatehouse -> SCIM ---------------------------------------------------- */
static json_t *user_to_scim(const gh_user *u, const gh_user_scim *x)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_t *schemas = json_pack("[s, s, s]", GH_SCIM_USER_URN, GH_SCIM_ENTERPRISE_URN, GH_SCIM_GATEHOUSE_URN);
    json_object_set_new(o, "schemas", schemas);
    json_object_set_new(o, "id", json_string(u->id));
    if (x->external_id[0]) json_object_set_new(o, "externalId", json_string(x->external_id));
    json_object_set_new(o, "userName", json_string(u->email[0] ? u->email : u->badge));
    json_t *name = json_pack("{s:s}", "formatted", u->name);
    if (name && x->given_name[0]) json_object_set_new(name, "givenName", json_string(x->given_name));
    if (name && x->family_name[0]) json_object_set_new(name, "familyName", json_string(x->family_name));
    json_object_set_new(o, "name", name);
    json_object_set_new(o, "displayName", json_string(u->name));
    if (x->title[0]) json_object_set_new(o, "title", json_string(x->title));
    json_object_set_new(o, "active", json_boolean(strcmp(u->status, "active") == 0));
    if (u->email[0])
        json_object_set_new(o, "emails", json_pack("[{s:s, s:s, s:b}]", "value", u->email, "type", "work", "primary", 1));
    if (u->mobile[0])
        json_object_set_new(o, "phoneNumbers", json_pack("[{s:s, s:s}]", "value", u->mobile, "type", "mobile"));
    json_t *ent = json_object();
    if (ent) {
        if (x->employee_number[0]) json_object_set_new(ent, "employeeNumber", json_string(x->employee_number));
        if (x->department[0]) json_object_set_new(ent, "department", json_string(x->department));
        if (x->manager_id[0]) {
            char loc[700];
            gh_scim_location(loc, sizeof loc, "Users", x->manager_id);
            json_object_set_new(ent, "manager", json_pack("{s:s, s:s}", "value", x->manager_id, "$ref", loc));
        }
        json_object_set_new(o, GH_SCIM_ENTERPRISE_URN, ent);
    }
    json_object_set_new(o, GH_SCIM_GATEHOUSE_URN,
                        json_pack("{s:s, s:o, s:o, s:b, s:b}", "role", u->role_key, "modules",
                                  u->modules_all ? json_null() : gh_json_keylist(u->modules), "badge",
                                  u->badge[0] ? json_string(u->badge) : json_null(), "officeAccess", u->office_access,
                                  "factoryAccess", u->factory_access));
    set_meta(o, "User", u->id, u->created_at, u->updated_at);
    return o;
}

static gh_status user_load(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_user_scim x;
    gh_status st;
    *out = NULL;
    if (!u) return gh_ctx_oom(ctx);
    st = gh_store_user_get(ctx->db, ctx->actor.org_id, id, u, &ctx->err);
    if (st == GH_OK) st = gh_store_user_scim_get(ctx->db, ctx->actor.org_id, id, &x, &ctx->err);
    if (st == GH_OK && !(*out = user_to_scim(u, &x))) st = gh_ctx_oom(ctx);
    free(u);
    return st;
}

gh_status gh_scim_user_get(gh_ctx *ctx, const char *id, json_t **out) { return user_load(ctx, id, out); }


static gh_status match_in_tx(gh_ctx *ctx, void *arg)
{
    const gh_scim_match_guard *g = arg;
    json_t *now = NULL;
    gh_status st = g->load(ctx, g->id, &now);
    if (st == GH_OK) st = gh_scim_check_match(ctx, now, g->if_match);
    json_decref(now);
    return st;
}

void gh_scim_match_arm(gh_ctx *ctx, gh_scim_match_guard *g)
{
    if (!g->if_match || !*g->if_match) return;
    ctx->tx_precondition = match_in_tx;
    ctx->tx_precondition_arg = g;
}

void gh_scim_match_disarm(gh_ctx *ctx)
{
    ctx->tx_precondition = NULL;
    ctx->tx_precondition_arg = NULL;
}

/* ---- users: SCIM -> gatehouse ----------------------------------------------------- */
typedef struct user_in {
    const char *email, *name, *mobile, *role, *badge;
    bool badge_set, office, office_set, factory, factory_set, active, active_set;
    const json_t *modules;
    bool modules_set;
    gh_user_scim x;
    char name_buf[GH_NAME_MAX + 1];
} user_in;

static gh_status copy_attr(gh_ctx *ctx, const json_t *o, const char *k, const char *label, char *dst, size_t cap)
{
    const char *s;
    gh_status st = gh_scim_opt_str(ctx, o, k, label, cap - 1, &s);
    if (st == GH_OK && s) gh_strlcpy(dst, s, cap);
    return st;
}

/* Reads a full User representation (POST, PUT, the result of a PATCH). */
static gh_status user_parse(gh_ctx *ctx, const json_t *in, user_in *u)
{
    gh_status st;
    memset(u, 0, sizeof *u);
    if (!json_is_object(in)) return gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "the body must be a User");
    if ((st = gh_scim_opt_str(ctx, in, "userName", "userName", GH_EMAIL_MAX, &u->email)) != GH_OK) return st;
    if (!u->email || !*u->email) {
        st = gh_scim_fail(ctx, GH_E_INVALID, "missing_field", "invalidValue", "'userName' (the e-mail address) is required");
        gh_strlcpy(ctx->err.field, "userName", sizeof ctx->err.field);
        return st;
    }
    const char *display, *formatted = NULL;
    if ((st = gh_scim_opt_str(ctx, in, "displayName", "displayName", GH_NAME_MAX, &display)) != GH_OK) return st;
    json_t *name = gh_scim_get_ci(in, "name");
    if (name && !json_is_null(name)) {
        if (!json_is_object(name)) return gh_scim_bad_value(ctx, "name", "must be an object");
        if ((st = gh_scim_opt_str(ctx, name, "formatted", "name.formatted", GH_NAME_MAX, &formatted)) != GH_OK) return st;
        if ((st = copy_attr(ctx, name, "givenName", "name.givenName", u->x.given_name, sizeof u->x.given_name)) != GH_OK ||
            (st = copy_attr(ctx, name, "familyName", "name.familyName", u->x.family_name, sizeof u->x.family_name)) != GH_OK)
            return st;
    }
    if (display && *display) u->name = display;
    else if (formatted && *formatted) u->name = formatted;
    else if (u->x.given_name[0] || u->x.family_name[0]) {
        gh_strlcpy(u->name_buf, u->x.given_name, sizeof u->name_buf);
        size_t used = strlen(u->name_buf);
        if (used && u->x.family_name[0] && used + 1 < sizeof u->name_buf) u->name_buf[used++] = ' ';
        gh_strlcpy(u->name_buf + used, u->x.family_name, sizeof u->name_buf - used);
        u->name = u->name_buf;
    } else {
        u->name = u->email;
    }
    if ((st = copy_attr(ctx, in, "externalId", "externalId", u->x.external_id, sizeof u->x.external_id)) != GH_OK ||
        (st = copy_attr(ctx, in, "title", "title", u->x.title, sizeof u->x.title)) != GH_OK)
        return st;
    json_t *active = gh_scim_get_ci(in, "active");
    if (active && !json_is_null(active)) {
        if (!scim_bool(active, &u->active)) return gh_scim_bad_value(ctx, "active", "must be true or false");
        u->active_set = true;
    }
    json_t *phones = gh_scim_get_ci(in, "phoneNumbers");
    if (phones && !json_is_null(phones)) {
        if (!json_is_array(phones)) return gh_scim_bad_value(ctx, "phoneNumbers", "must be an array");
        size_t i;
        json_t *e;
        const char *first = NULL;
        json_array_foreach(phones, i, e) {
            if (!json_is_object(e) || !json_is_string(gh_scim_get_ci(e, "value")))
                return gh_scim_bad_value(ctx, "phoneNumbers", "entries need a string 'value'");
            const char *type = json_string_value(gh_scim_get_ci(e, "type"));
            if (!first) first = json_string_value(gh_scim_get_ci(e, "value"));
            if (type && strcasecmp(type, "mobile") == 0) { u->mobile = json_string_value(gh_scim_get_ci(e, "value")); break; }
        }
        if (!u->mobile) u->mobile = first ? first : "";
    }
    json_t *ent = gh_scim_get_ci(in, GH_SCIM_ENTERPRISE_URN);
    if (ent && !json_is_null(ent)) {
        if (!json_is_object(ent)) return gh_scim_bad_value(ctx, GH_SCIM_ENTERPRISE_URN, "must be an object");
        if ((st = copy_attr(ctx, ent, "employeeNumber", "employeeNumber", u->x.employee_number,
                            sizeof u->x.employee_number)) != GH_OK ||
            (st = copy_attr(ctx, ent, "department", "department", u->x.department, sizeof u->x.department)) != GH_OK)
            return st;
        json_t *m = gh_scim_get_ci(ent, "manager");
        if (json_is_object(m)) m = gh_scim_get_ci(m, "value");
        if (m && !json_is_null(m)) {
            if (!json_is_string(m) || json_string_length(m) >= sizeof u->x.manager_id)
                return gh_scim_bad_value(ctx, "manager", "must be the id of a user");
            gh_strlcpy(u->x.manager_id, json_string_value(m), sizeof u->x.manager_id);
        }
    }
    json_t *gx = gh_scim_get_ci(in, GH_SCIM_GATEHOUSE_URN);
    if (gx && !json_is_null(gx)) {
        if (!json_is_object(gx)) return gh_scim_bad_value(ctx, GH_SCIM_GATEHOUSE_URN, "must be an object");
        if ((st = gh_scim_opt_str(ctx, gx, "role", "role", 64, &u->role)) != GH_OK) return st;
        json_t *b = gh_scim_get_ci(gx, "badge");
        if (b) {
            u->badge_set = true;
            if ((st = gh_scim_opt_str(ctx, gx, "badge", "badge", 64, &u->badge)) != GH_OK) return st;
        }
        json_t *m = gh_scim_get_ci(gx, "modules");
        if (m) {
            if (!json_is_null(m) && !json_is_array(m)) return gh_scim_bad_value(ctx, "modules", "must be an array or null");
            u->modules = m;
            u->modules_set = true;
        }
        json_t *v;
        if ((v = gh_scim_get_ci(gx, "officeAccess")) && !json_is_null(v)) {
            if (!scim_bool(v, &u->office)) return gh_scim_bad_value(ctx, "officeAccess", "must be true or false");
            u->office_set = true;
        }
        if ((v = gh_scim_get_ci(gx, "factoryAccess")) && !json_is_null(v)) {
            if (!scim_bool(v, &u->factory)) return gh_scim_bad_value(ctx, "factoryAccess", "must be true or false");
            u->factory_set = true;
        }
    }
    return GH_OK;
}

static gh_status manager_check(gh_ctx *ctx, const user_in *u, const char *self_id)
{
    if (!u->x.manager_id[0]) return GH_OK;
    if (self_id && strcmp(self_id, u->x.manager_id) == 0) return gh_scim_bad_value(ctx, "manager", "cannot be the user");
    gh_user *m = calloc(1, sizeof *m);
    if (!m) return gh_ctx_oom(ctx);
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, u->x.manager_id, m, &ctx->err);
    free(m);
    if (st == GH_E_NOT_FOUND) return gh_scim_bad_value(ctx, "manager", "is not a user of this organization");
    return st;
}

gh_status gh_scim_user_create(gh_ctx *ctx, const json_t *in, json_t **out)
{
    user_in *u = calloc(1, sizeof *u);
    gh_user *made = calloc(1, sizeof *made);
    gh_status st;
    *out = NULL;
    if (!u || !made) { st = gh_ctx_oom(ctx); goto done; }
    if ((st = user_parse(ctx, in, u)) != GH_OK) goto done;
    if ((st = manager_check(ctx, u, NULL)) != GH_OK) goto done;
    /* Provisioned people have no password. Where the organization requires
     * company sign-in, the identity provider vouches for the address and no
     * invitation to choose a password is sent; elsewhere the usual mail
     * lets the person choose one. */
    bool sso_required = false;
    char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX];
    if ((st = gh_sso_policy(ctx, ctx->actor.org_id, &sso_required, break_glass, sizeof break_glass)) != GH_OK) goto done;
    gh_user_new n = {
        .email = u->email, .name = u->name, .mobile = u->mobile && *u->mobile ? u->mobile : NULL,
        .role = u->role ? u->role : "user", .badge = u->badge && *u->badge ? u->badge : NULL,
        .office_access = u->office_set ? u->office : true, .factory_access = u->factory_set && u->factory,
        .modules = u->modules_set && json_is_array(u->modules) ? u->modules : NULL, .scim = &u->x,
        .email_verified = sso_required,
    };
    if ((st = gh_user_create(ctx, &n, made)) != GH_OK) goto done;
    if (u->active_set && !u->active && (st = gh_user_lock(ctx, made->id, true, NULL)) != GH_OK) goto done;
    st = user_load(ctx, made->id, out);
done:
    free(made);
    free(u);
    return st;
}

/* Makes user id look like `in` (a full representation): what differs is
 * changed through gh_user_update, then active through gh_user_lock. */
static gh_status user_apply(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    user_in *u = calloc(1, sizeof *u);
    gh_user *cur = calloc(1, sizeof *cur);
    json_t *now = NULL;
    gh_status st;
    *out = NULL;
    if (!u || !cur) { st = gh_ctx_oom(ctx); goto done; }
    if ((st = user_load(ctx, id, &now)) != GH_OK) goto done;
    if ((st = gh_scim_check_match(ctx, now, if_match)) != GH_OK) goto done;
    if ((st = user_parse(ctx, in, u)) != GH_OK) goto done;
    if ((st = manager_check(ctx, u, id)) != GH_OK) goto done;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, id, cur, &ctx->err)) != GH_OK) goto done;
    gh_user_patch p = {.scim = &u->x};
    bool badge_name = !cur->email[0] && strcmp(u->email, cur->badge) == 0; /* factory worker: userName is the badge */
    if (!badge_name && strcasecmp(u->email, cur->email) != 0) p.email = u->email;
    if (strcmp(u->name, cur->name) != 0) p.name = u->name;
    if (u->mobile && strcmp(u->mobile, cur->mobile) != 0) p.mobile = u->mobile;
    if (u->role && strcmp(u->role, cur->role_key) != 0) p.role = u->role;
    if (u->modules_set) { p.modules_set = true; p.modules = u->modules; }
    if (u->badge_set) { p.badge_set = true; p.badge = u->badge; }
    if (u->office_set) { p.office_access_set = true; p.office_access = u->office; }
    if (u->factory_set) { p.factory_access_set = true; p.factory_access = u->factory; }
    if (u->active_set) { p.status_set = true; p.locked = !u->active; }
    gh_scim_match_guard mg = {.id = id, .if_match = if_match, .load = user_load};
    gh_scim_match_arm(ctx, &mg);
    st = gh_user_update(ctx, id, &p, NULL);
    gh_scim_match_disarm(ctx);
    if (st != GH_OK) goto done;
    st = user_load(ctx, id, out);
done:
    json_decref(now);
    free(cur);
    free(u);
    return st;
}

gh_status gh_scim_user_put(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return user_apply(ctx, id, in, if_match, out);
}

gh_status gh_scim_user_patch(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return gh_scim_patch_common(ctx, id, in, if_match, out, user_load, user_apply);
}

gh_status gh_scim_delete_common(gh_ctx *ctx, const char *id, const char *if_match,
                                gh_status (*load)(gh_ctx *, const char *, json_t **),
                                gh_status (*del)(gh_ctx *, const char *))
{
    json_t *now = NULL;
    gh_status st = load(ctx, id, &now);
    if (st == GH_OK) st = gh_scim_check_match(ctx, now, if_match);
    json_decref(now);
    gh_scim_match_guard mg = {.id = id, .if_match = if_match, .load = load};
    if (st == GH_OK) {
        gh_scim_match_arm(ctx, &mg);
        st = del(ctx, id);
        gh_scim_match_disarm(ctx);
    }
    return st;
}

gh_status gh_scim_user_delete(gh_ctx *ctx, const char *id, const char *if_match)
{
    return gh_scim_delete_common(ctx, id, if_match, user_load, gh_user_delete);
}


typedef struct users_acc {
    json_t *all, *index;     /* index: user id -> position in rows */
    gh_user_scim *rows;
    size_t n, cap;
    bool oom;
} users_acc;

static void ext_visit(const char *uid, const gh_user_scim *s, void *arg)
{
    users_acc *a = arg;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        gh_user_scim *r = cap <= SIZE_MAX / sizeof *r ? realloc(a->rows, cap * sizeof *r) : NULL;
        if (!r) { a->oom = true; return; }
        a->rows = r;
        a->cap = cap;
    }
    a->rows[a->n] = *s;
    if (json_object_set_new(a->index, uid, json_integer((json_int_t)a->n)) != 0) { a->oom = true; return; }
    a->n++;
}

static void user_visit(const gh_user *u, void *arg)
{
    users_acc *a = arg;
    json_t *at = json_object_get(a->index, u->id);
    gh_user_scim none;
    memset(&none, 0, sizeof none);
    const gh_user_scim *x = at ? &a->rows[json_integer_value(at)] : &none;
    json_t *r = user_to_scim(u, x);
    if (!r || json_array_append_new(a->all, r) != 0) a->oom = true;
}

gh_status gh_scim_users_list(gh_ctx *ctx, const gh_scim_query *q, json_t **out)
{
    users_acc a = {.all = json_array(), .index = json_object()};
    gh_status st = GH_OK;
    *out = NULL;
    if (!a.all || !a.index) { st = gh_ctx_oom(ctx); goto done; }
    if ((st = gh_store_user_scim_each(ctx->db, ctx->actor.org_id, ext_visit, &a, &ctx->err)) != GH_OK) goto done;
    if (!a.oom && (st = gh_store_user_each(ctx->db, ctx->actor.org_id, user_visit, &a, &ctx->err)) != GH_OK) goto done;
    if (a.oom) { st = gh_ctx_oom(ctx); goto done; }
    st = gh_scim_list_answer(ctx, a.all, q, out);
    a.all = NULL;
done:
    free(a.rows);
    json_decref(a.index);
    json_decref(a.all);
    return st;
}

