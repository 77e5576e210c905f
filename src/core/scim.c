/* SCIM 2.0 resources over the core's people and groups; see scim.h. */
#include "core/scim.h"

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
#include "core/scimfilter.h"
#include "core/sso.h"
#include "store/scim.h"
#include "util/json.h"

/* ---- errors --------------------------------------------------------------------- */
static gh_status scim_fail(gh_ctx *ctx, gh_status st, const char *code, const char *scim_type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static gh_status scim_fail(gh_ctx *ctx, gh_status st, const char *code, const char *scim_type, const char *fmt, ...)
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

static unsigned http_of(gh_status st)
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
static json_t *get(const json_t *o, const char *k) { return gh_scim_get_ci(o, k); }

static void location(char *out, size_t cap, const char *kind, const char *id)
{
    snprintf(out, cap, "%s/scim/v2/%s/%s", gh_cfg()->base_url, kind, id);
}

/* A weak ETag over the resource without its meta. */
static void etag_of(json_t *res, char out[40])
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
    location(loc, sizeof loc, strcmp(type, "User") == 0 ? "Users" : "Groups", id);
    etag_of(res, tag);
    json_object_set_new(res, "meta", json_pack("{s:s, s:o, s:o, s:s, s:s}", "resourceType", type, "created",
                                               gh_json_time(created), "lastModified", gh_json_time(modified),
                                               "location", loc, "version", tag));
}

static const char *version_of(const json_t *res)
{
    return json_string_value(json_object_get(json_object_get(res, "meta"), "version"));
}

/* If-Match: absent or "*" passes; otherwise one of its tags must be the
 * current one (weak comparison: W/ is ignored on both sides). */
static gh_status check_match(gh_ctx *ctx, const json_t *res, const char *if_match)
{
    if (!if_match || !*if_match) return GH_OK;
    const char *cur = version_of(res);
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
    return scim_fail(ctx, GH_E_STALE, "version_mismatch", NULL,
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

static gh_status bad_value(gh_ctx *ctx, const char *attr, const char *what)
{
    gh_status st = scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "'%s' %s", attr, what);
    gh_strlcpy(ctx->err.field, attr, sizeof ctx->err.field);
    return st;
}

/* Optional string attribute: NULL when absent or null. */
static gh_status opt_str(gh_ctx *ctx, const json_t *o, const char *k, const char *label, size_t max, const char **out)
{
    json_t *v = get(o, k);
    *out = NULL;
    if (!v || json_is_null(v)) return GH_OK;
    if (!json_is_string(v)) return bad_value(ctx, label, "must be a string");
    if (json_string_length(v) > max) return bad_value(ctx, label, "is too long");
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
            location(loc, sizeof loc, "Users", x->manager_id);
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


/* If-Match is checked twice: before the change is computed (a stale tag
 * answers 412 at once) and again by the write guard inside the write
 * transaction (gh_ctx.tx_precondition), so that of two concurrent writes
 * carrying the same tag only the first can succeed. */
typedef struct match_guard {
    const char *id, *if_match;
    gh_status (*load)(gh_ctx *, const char *, json_t **);
} match_guard;

static gh_status match_in_tx(gh_ctx *ctx, void *arg)
{
    const match_guard *g = arg;
    json_t *now = NULL;
    gh_status st = g->load(ctx, g->id, &now);
    if (st == GH_OK) st = check_match(ctx, now, g->if_match);
    json_decref(now);
    return st;
}

static void match_arm(gh_ctx *ctx, match_guard *g)
{
    if (!g->if_match || !*g->if_match) return;
    ctx->tx_precondition = match_in_tx;
    ctx->tx_precondition_arg = g;
}

static void match_disarm(gh_ctx *ctx)
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
    gh_status st = opt_str(ctx, o, k, label, cap - 1, &s);
    if (st == GH_OK && s) gh_strlcpy(dst, s, cap);
    return st;
}

/* Reads a full User representation (POST, PUT, the result of a PATCH). */
static gh_status user_parse(gh_ctx *ctx, const json_t *in, user_in *u)
{
    gh_status st;
    memset(u, 0, sizeof *u);
    if (!json_is_object(in)) return scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "the body must be a User");
    if ((st = opt_str(ctx, in, "userName", "userName", GH_EMAIL_MAX, &u->email)) != GH_OK) return st;
    if (!u->email || !*u->email) {
        st = scim_fail(ctx, GH_E_INVALID, "missing_field", "invalidValue", "'userName' (the e-mail address) is required");
        gh_strlcpy(ctx->err.field, "userName", sizeof ctx->err.field);
        return st;
    }
    const char *display, *formatted = NULL;
    if ((st = opt_str(ctx, in, "displayName", "displayName", GH_NAME_MAX, &display)) != GH_OK) return st;
    json_t *name = get(in, "name");
    if (name && !json_is_null(name)) {
        if (!json_is_object(name)) return bad_value(ctx, "name", "must be an object");
        if ((st = opt_str(ctx, name, "formatted", "name.formatted", GH_NAME_MAX, &formatted)) != GH_OK) return st;
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
    json_t *active = get(in, "active");
    if (active && !json_is_null(active)) {
        if (!scim_bool(active, &u->active)) return bad_value(ctx, "active", "must be true or false");
        u->active_set = true;
    }
    json_t *phones = get(in, "phoneNumbers");
    if (phones && !json_is_null(phones)) {
        if (!json_is_array(phones)) return bad_value(ctx, "phoneNumbers", "must be an array");
        size_t i;
        json_t *e;
        const char *first = NULL;
        json_array_foreach(phones, i, e) {
            if (!json_is_object(e) || !json_is_string(get(e, "value")))
                return bad_value(ctx, "phoneNumbers", "entries need a string 'value'");
            const char *type = json_string_value(get(e, "type"));
            if (!first) first = json_string_value(get(e, "value"));
            if (type && strcasecmp(type, "mobile") == 0) { u->mobile = json_string_value(get(e, "value")); break; }
        }
        if (!u->mobile) u->mobile = first ? first : "";
    }
    json_t *ent = get(in, GH_SCIM_ENTERPRISE_URN);
    if (ent && !json_is_null(ent)) {
        if (!json_is_object(ent)) return bad_value(ctx, GH_SCIM_ENTERPRISE_URN, "must be an object");
        if ((st = copy_attr(ctx, ent, "employeeNumber", "employeeNumber", u->x.employee_number,
                            sizeof u->x.employee_number)) != GH_OK ||
            (st = copy_attr(ctx, ent, "department", "department", u->x.department, sizeof u->x.department)) != GH_OK)
            return st;
        json_t *m = get(ent, "manager");
        if (json_is_object(m)) m = get(m, "value");
        if (m && !json_is_null(m)) {
            if (!json_is_string(m) || json_string_length(m) >= sizeof u->x.manager_id)
                return bad_value(ctx, "manager", "must be the id of a user");
            gh_strlcpy(u->x.manager_id, json_string_value(m), sizeof u->x.manager_id);
        }
    }
    json_t *gx = get(in, GH_SCIM_GATEHOUSE_URN);
    if (gx && !json_is_null(gx)) {
        if (!json_is_object(gx)) return bad_value(ctx, GH_SCIM_GATEHOUSE_URN, "must be an object");
        if ((st = opt_str(ctx, gx, "role", "role", 64, &u->role)) != GH_OK) return st;
        json_t *b = get(gx, "badge");
        if (b) {
            u->badge_set = true;
            if ((st = opt_str(ctx, gx, "badge", "badge", 64, &u->badge)) != GH_OK) return st;
        }
        json_t *m = get(gx, "modules");
        if (m) {
            if (!json_is_null(m) && !json_is_array(m)) return bad_value(ctx, "modules", "must be an array or null");
            u->modules = m;
            u->modules_set = true;
        }
        json_t *v;
        if ((v = get(gx, "officeAccess")) && !json_is_null(v)) {
            if (!scim_bool(v, &u->office)) return bad_value(ctx, "officeAccess", "must be true or false");
            u->office_set = true;
        }
        if ((v = get(gx, "factoryAccess")) && !json_is_null(v)) {
            if (!scim_bool(v, &u->factory)) return bad_value(ctx, "factoryAccess", "must be true or false");
            u->factory_set = true;
        }
    }
    return GH_OK;
}

static gh_status manager_check(gh_ctx *ctx, const user_in *u, const char *self_id)
{
    if (!u->x.manager_id[0]) return GH_OK;
    if (self_id && strcmp(self_id, u->x.manager_id) == 0) return bad_value(ctx, "manager", "cannot be the user");
    gh_user *m = calloc(1, sizeof *m);
    if (!m) return gh_ctx_oom(ctx);
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, u->x.manager_id, m, &ctx->err);
    free(m);
    if (st == GH_E_NOT_FOUND) return bad_value(ctx, "manager", "is not a user of this organization");
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
    if ((st = check_match(ctx, now, if_match)) != GH_OK) goto done;
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
    match_guard mg = {.id = id, .if_match = if_match, .load = user_load};
    match_arm(ctx, &mg);
    st = gh_user_update(ctx, id, &p, NULL);
    match_disarm(ctx);
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

/* ---- PATCH (RFC 7644 §3.5.2) on a resource as JSON ------------------------------------- */
static bool is_ext_urn(const char *s)
{
    return strcasecmp(s, GH_SCIM_ENTERPRISE_URN) == 0 || strcasecmp(s, GH_SCIM_GATEHOUSE_URN) == 0;
}

static const char *ext_key(const char *s)
{
    return strcasecmp(s, GH_SCIM_ENTERPRISE_URN) == 0 ? GH_SCIM_ENTERPRISE_URN : GH_SCIM_GATEHOUSE_URN;
}

/* The member of o named k in any case, created as `make` when absent
 * (make NULL: not created). Returns a borrowed reference. */
static json_t *member(json_t *o, const char *k, json_t *(*make)(void), const char **key_out)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
        if (strcasecmp(key, k) == 0) { if (key_out) *key_out = key; return v; }
    if (key_out) *key_out = k;
    if (!make) return NULL;
    v = make();
    if (!v || json_object_set_new(o, k, v) != 0) return NULL;
    return v;
}

static json_t *mk_object(void) { return json_object(); }

/* Whether two multi-valued entries are the same (by "value" when both have one). */
static bool same_entry(const json_t *a, const json_t *b)
{
    json_t *va = json_is_object(a) ? get(a, "value") : NULL, *vb = json_is_object(b) ? get(b, "value") : NULL;
    if (va && vb) return json_equal(va, vb);
    return json_equal((json_t *)a, (json_t *)b);
}

static gh_status patch_at(gh_ctx *ctx, json_t *res, bool add, bool remove, const char *path, json_t *value);

/* add/replace of an object value without a path: each member as a path. */
static gh_status patch_members(gh_ctx *ctx, json_t *res, bool add, json_t *value)
{
    if (!json_is_object(value))
        return scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "an operation without a path needs an object value");
    const char *k;
    json_t *v;
    json_object_foreach(value, k, v) {
        gh_status st;
        if (is_ext_urn(k) && json_is_object(v)) {
            json_t *ext = member(res, ext_key(k), mk_object, NULL);
            if (!ext) return gh_ctx_oom(ctx);
            const char *sk;
            json_t *sv;
            json_object_foreach(v, sk, sv) if ((st = patch_at(ctx, ext, add, false, sk, sv)) != GH_OK) return st;
            continue;
        }
        if (strcasecmp(k, "schemas") == 0 || strcasecmp(k, "id") == 0 || strcasecmp(k, "meta") == 0) continue;
        if ((st = patch_at(ctx, res, add, false, k, v)) != GH_OK) return st;
    }
    return GH_OK;
}

static gh_status patch_at(gh_ctx *ctx, json_t *res, bool add, bool remove, const char *path, json_t *value)
{
    gh_scim_path p;
    char perr[200];
    gh_status st = GH_OK;
    if (is_ext_urn(path)) {
        json_t *ext = member(res, ext_key(path), remove ? NULL : mk_object, NULL);
        if (remove) { json_object_del(res, ext_key(path)); return GH_OK; }
        if (!ext) return gh_ctx_oom(ctx);
        return patch_members(ctx, ext, add, value);
    }
    if (!gh_scim_path_parse(path, &p, perr, sizeof perr))
        return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "path '%.80s': %s", path, perr);
    json_t *base = res;
    if (p.urn && !strstr(p.urn, ":core:")) {
        if (!is_ext_urn(p.urn)) {
            st = scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "unknown schema '%.120s'", p.urn);
            goto done;
        }
        base = member(res, ext_key(p.urn), remove ? NULL : mk_object, NULL);
        if (!base) { if (!remove) st = gh_ctx_oom(ctx); goto done; }
    }
    if (strcasecmp(p.attr, "id") == 0 || strcasecmp(p.attr, "meta") == 0 || strcasecmp(p.attr, "schemas") == 0) {
        st = scim_fail(ctx, GH_E_INVALID, "mutability", "mutability", "'%s' is read-only", p.attr);
        goto done;
    }
    const char *found;
    char key[128];
    json_t *cur = member(base, p.attr, NULL, &found);
    gh_strlcpy(key, found, sizeof key);
    if (p.filter) {
        if (cur && !json_is_array(cur)) {
            st = scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "'%s' is not multi-valued", p.attr);
            goto done;
        }
        bool hit = false;
        for (size_t i = 0; cur && i < json_array_size(cur);) {
            json_t *e = json_array_get(cur, i);
            if (!json_is_object(e) || !gh_scim_filter_match(p.filter, e)) { i++; continue; }
            hit = true;
            if (remove) {
                if (p.sub) { json_object_del(e, p.sub); i++; }
                else json_array_remove(cur, i);
                continue;
            }
            if (p.sub) json_object_set(e, p.sub, value);
            else if (json_is_object(value)) {
                if (add) json_object_update(e, value);
                else json_array_set(cur, i, value);
            } else {
                st = scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "'%s' entries are objects", p.attr);
                goto done;
            }
            i++;
        }
        if (hit || remove) goto done;
        /* Nothing matched: a simple `attr eq "x"` filter makes the entry
         * (Entra ID replaces emails[type eq "work"].value on people who
         * have none yet). */
        if (p.filter->op != GH_SF_EQ || strchr(p.filter->attr, '.') || strchr(p.filter->attr, ':')) {
            st = scim_fail(ctx, GH_E_INVALID, "no_target", "noTarget", "no '%s' entry matches the filter", p.attr);
            goto done;
        }
        json_t *e = json_is_object(value) && !p.sub ? json_deep_copy(value) : json_object();
        if (!e) { st = gh_ctx_oom(ctx); goto done; }
        json_object_set(e, p.filter->attr, p.filter->value);
        if (p.sub) json_object_set(e, p.sub, value);
        if (!cur) {
            cur = json_array();
            if (!cur || json_object_set_new(base, key, cur) != 0) { json_decref(e); st = gh_ctx_oom(ctx); goto done; }
        }
        json_array_append_new(cur, e);
        goto done;
    }
    if (p.sub) {
        if (json_is_array(cur)) { /* every entry's sub-attribute */
            size_t i;
            json_t *e;
            json_array_foreach(cur, i, e) if (json_is_object(e)) {
                if (remove) json_object_del(e, p.sub);
                else json_object_set(e, p.sub, value);
            }
            goto done;
        }
        if (remove) { if (json_is_object(cur)) json_object_del(cur, p.sub); goto done; }
        if (!json_is_object(cur)) {
            cur = json_object();
            if (!cur || json_object_set_new(base, key, cur) != 0) { st = gh_ctx_oom(ctx); goto done; }
        }
        json_object_set(cur, p.sub, value);
        goto done;
    }
    if (remove) {
        if (json_is_array(cur) && json_is_array(value)) { /* remove the listed entries */
            size_t j;
            json_t *w;
            json_array_foreach(value, j, w)
                for (size_t i = 0; i < json_array_size(cur);)
                    if (same_entry(json_array_get(cur, i), w)) json_array_remove(cur, i);
                    else i++;
        } else {
            json_object_del(base, key);
        }
        goto done;
    }
    if (json_is_array(cur) && add) {
        if (json_is_array(value)) {
            size_t j;
            json_t *w;
            json_array_foreach(value, j, w) {
                bool dup = false;
                for (size_t i = 0; i < json_array_size(cur) && !dup; i++) dup = same_entry(json_array_get(cur, i), w);
                if (!dup) json_array_append(cur, w);
            }
        } else {
            json_array_append(cur, value);
        }
        goto done;
    }
    if (json_is_object(cur) && json_is_object(value)) {
        json_object_update(cur, value);
        goto done;
    }
    json_object_set(base, key, value);
done:
    gh_scim_path_free(&p);
    return st;
}

/* Applies a PatchOp message to res (a copy of the current resource). */
static gh_status patch_apply(gh_ctx *ctx, json_t *res, const json_t *in)
{
    json_t *ops = get(in, "Operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "a PatchOp needs 'Operations'");
    if (json_array_size(ops) > 1000)
        return scim_fail(ctx, GH_E_INVALID, "too_many", "tooMany", "at most 1000 operations");
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *name = json_string_value(get(op, "op"));
        json_t *pathv = get(op, "path");
        json_t *value = get(op, "value");
        if (!json_is_object(op) || !name)
            return scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "operation %zu has no 'op'", i);
        bool add = strcasecmp(name, "add") == 0, rep = strcasecmp(name, "replace") == 0,
             rem = strcasecmp(name, "remove") == 0;
        if (!add && !rep && !rem)
            return scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "operation %zu: op is add, replace or remove", i);
        if (pathv && !json_is_null(pathv) && !json_is_string(pathv))
            return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "operation %zu: path must be a string", i);
        const char *path = json_string_value(pathv);
        gh_status st;
        if (!path || !*path) {
            if (rem) return scim_fail(ctx, GH_E_INVALID, "no_target", "noTarget", "remove needs a path");
            st = patch_members(ctx, res, add, value);
        } else {
            if (!rem && !value)
                return scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "operation %zu needs a value", i);
            st = patch_at(ctx, res, add, rem, path, value);
        }
        if (st != GH_OK) return st;
    }
    return GH_OK;
}

static gh_status patch_common(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out,
                              gh_status (*load)(gh_ctx *, const char *, json_t **),
                              gh_status (*apply)(gh_ctx *, const char *, const json_t *, const char *, json_t **))
{
    json_t *now = NULL;
    *out = NULL;
    gh_status st = load(ctx, id, &now);
    if (st != GH_OK) return st;
    if ((st = check_match(ctx, now, if_match)) == GH_OK && (st = patch_apply(ctx, now, in)) == GH_OK) {
        match_guard mg = {.id = id, .if_match = if_match, .load = load};
        match_arm(ctx, &mg);
        st = apply(ctx, id, now, NULL, out);
        match_disarm(ctx);
    }
    json_decref(now);
    return st;
}

gh_status gh_scim_user_patch(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return patch_common(ctx, id, in, if_match, out, user_load, user_apply);
}

gh_status gh_scim_user_delete(gh_ctx *ctx, const char *id, const char *if_match)
{
    json_t *now = NULL;
    gh_status st = user_load(ctx, id, &now);
    if (st == GH_OK) st = check_match(ctx, now, if_match);
    json_decref(now);
    match_guard mg = {.id = id, .if_match = if_match, .load = user_load};
    if (st == GH_OK) {
        match_arm(ctx, &mg);
        st = gh_user_delete(ctx, id);
        match_disarm(ctx);
    }
    return st;
}

/* ---- lists ------------------------------------------------------------------------- */
gh_status gh_scim_query_parse(gh_ctx *ctx, const char *start, const char *count, const char *order, gh_scim_query *q)
{
    q->start_index = 1;
    q->count = 100;
    int64_t v;
    if (start) {
        if (!gh_parse_i64(start, INT64_MIN / 2, INT64_MAX / 2, &v)) return bad_value(ctx, "startIndex", "must be an integer");
        q->start_index = v < 1 ? 1 : v;
    }
    if (count) {
        if (!gh_parse_i64(count, INT64_MIN / 2, INT64_MAX / 2, &v)) return bad_value(ctx, "count", "must be an integer");
        q->count = v < 0 ? 0 : v > GH_SCIM_MAX_RESULTS ? GH_SCIM_MAX_RESULTS : v;
    }
    if (order) {
        if (strcasecmp(order, "descending") == 0) q->descending = true;
        else if (strcasecmp(order, "ascending") != 0) return bad_value(ctx, "sortOrder", "is ascending or descending");
    }
    return GH_OK;
}

typedef struct sort_item { json_t *res; const char *key; } sort_item;
static int sort_cmp(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (!x->key || !y->key) return (x->key == NULL) - (y->key == NULL); /* missing sorts last */
    return strcasecmp(x->key, y->key);
}

/* The sort key of res: the first value at path (a string), or NULL. */
static const char *sort_key(json_t *res, const char *path)
{
    char urn[256];
    const char *rest = gh_scim_attr_split(path, urn, sizeof urn);
    json_t *base = urn[0] && !strstr(urn, ":core:") ? get(res, urn) : res;
    char seg[128];
    while (base && *rest) {
        size_t n = strcspn(rest, ".");
        if (n >= sizeof seg) return NULL;
        memcpy(seg, rest, n);
        seg[n] = '\0';
        base = get(base, seg);
        if (json_is_array(base)) base = json_array_get(base, 0);
        if (json_is_object(base) && !rest[n] && get(base, "value")) base = get(base, "value");
        rest += n + (rest[n] == '.');
    }
    return json_string_value(base);
}

/* Filters, sorts, pages and projects `all` (stolen) into a ListResponse. */
static gh_status list_answer(gh_ctx *ctx, json_t *all, const gh_scim_query *q, json_t **out)
{
    gh_sf_node *f = NULL;
    gh_status st = GH_OK;
    sort_item *items = NULL;
    json_t *page = NULL;
    char ferr[200];
    *out = NULL;
    if (q->filter && !(f = gh_scim_filter_parse(q->filter, ferr, sizeof ferr))) {
        st = scim_fail(ctx, GH_E_INVALID, "invalid_filter", "invalidFilter", "filter: %s", ferr);
        goto done;
    }
    size_t n = json_array_size(all), kept = 0;
    items = calloc(n ? n : 1, sizeof *items);
    page = json_array();
    if (!items || !page) { st = gh_ctx_oom(ctx); goto done; }
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(all, i);
        if (f && !gh_scim_filter_match(f, r)) continue;
        items[kept].res = r;
        items[kept].key = q->sort_by ? sort_key(r, q->sort_by) : json_string_value(json_object_get(r, "id"));
        kept++;
    }
    qsort(items, kept, sizeof *items, sort_cmp);
    if (q->descending && q->sort_by)
        for (size_t i = 0, j = kept ? kept - 1 : 0; i < j; i++, j--) {
            sort_item t = items[i];
            items[i] = items[j];
            items[j] = t;
        }
    for (int64_t i = q->start_index - 1; i >= 0 && (size_t)i < kept && (int64_t)json_array_size(page) < q->count; i++) {
        json_t *r = items[i].res;
        gh_scim_project(r, q->attributes, q->excluded);
        json_array_append(page, r);
    }
    *out = json_pack("{s:[s], s:I, s:I, s:I, s:O}", "schemas", GH_SCIM_LIST_URN, "totalResults", (json_int_t)kept,
                     "startIndex", (json_int_t)q->start_index, "itemsPerPage", (json_int_t)json_array_size(page),
                     "Resources", page);
    if (!*out) st = gh_ctx_oom(ctx);
done:
    json_decref(page);
    free(items);
    gh_scim_filter_free(f);
    json_decref(all);
    return st;
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
    st = list_answer(ctx, a.all, q, out);
    a.all = NULL;
done:
    free(a.rows);
    json_decref(a.index);
    json_decref(a.all);
    return st;
}

/* ---- projection ---------------------------------------------------------------------- */
static bool listed(const char *list, const char *name, bool prefix_ok)
{
    /* name matches an entry (case-insensitive), or (prefix_ok) an entry
     * starts with "name." or "name:" */
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ') p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ') len--;
        char urn[256];
        char entry[300];
        if (len > 0 && len < sizeof entry) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            const char *rest = gh_scim_attr_split(entry, urn, sizeof urn);
            if (urn[0] && strstr(urn, ":core:")) memmove(entry, rest, strlen(rest) + 1);
            if (strcasecmp(entry, name) == 0) return true;
            if (prefix_ok && strlen(entry) > n && strncasecmp(entry, name, n) == 0 && (entry[n] == '.' || entry[n] == ':'))
                return true;
        }
        p += strcspn(p, ",");
    }
    return false;
}

void gh_scim_project(json_t *res, const char *attributes, const char *excluded)
{
    if (!json_is_object(res)) return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(res, tmp, k, v) {
        bool always = strcmp(k, "id") == 0 || strcmp(k, "schemas") == 0 || strcmp(k, "meta") == 0;
        if (always) continue;
        if (attributes && *attributes && !listed(attributes, k, true)) { json_object_del(res, k); continue; }
        if (excluded && *excluded && listed(excluded, k, false)) json_object_del(res, k);
    }
}

/* ---- groups ------------------------------------------------------------------------- */
static json_t *group_to_scim(const json_t *g)
{
    const char *id = json_string_value(json_object_get(g, "id"));
    json_t *o = json_pack("{s:[s], s:s, s:O}", "schemas", GH_SCIM_GROUP_URN, "id", id ? id : "", "displayName",
                          json_object_get(g, "name"));
    json_t *members = json_array();
    if (!o || !members) { json_decref(o); json_decref(members); return NULL; }
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(g, "members"), i, m) {
        char loc[700];
        const char *uid = json_string_value(json_object_get(m, "id"));
        location(loc, sizeof loc, "Users", uid ? uid : "");
        json_array_append_new(members, json_pack("{s:s, s:O, s:s, s:s}", "value", uid ? uid : "", "display",
                                                 json_object_get(m, "name"), "$ref", loc, "type", "User"));
    }
    json_object_set_new(o, "members", members);
    /* The group's times are in its JSON as text; meta carries them on. */
    json_t *tag_src = json_incref(o);
    char tag[40];
    etag_of(tag_src, tag);
    json_decref(tag_src);
    char loc[700];
    location(loc, sizeof loc, "Groups", id ? id : "");
    json_object_set_new(o, "meta", json_pack("{s:s, s:O, s:O, s:s, s:s}", "resourceType", "Group", "created",
                                             json_object_get(g, "created_at"), "lastModified",
                                             json_object_get(g, "updated_at"), "location", loc, "version", tag));
    return o;
}

static gh_status group_load(gh_ctx *ctx, const char *id, json_t **out)
{
    json_t *g = NULL;
    *out = NULL;
    gh_status st = gh_group_get(ctx, id, &g);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail(&ctx->err, GH_E_NOT_FOUND, "group_not_found", "no such group");
    }
    if (st != GH_OK) return st;
    if (!(*out = group_to_scim(g))) st = gh_ctx_oom(ctx);
    json_decref(g);
    return st;
}

gh_status gh_scim_group_get(gh_ctx *ctx, const char *id, json_t **out) { return group_load(ctx, id, out); }

gh_status gh_scim_groups_list(gh_ctx *ctx, const gh_scim_query *q, json_t **out)
{
    json_t *all = json_array();
    char *cursor = NULL;
    gh_status st = GH_OK;
    *out = NULL;
    if (!all) return gh_ctx_oom(ctx);
    for (;;) {
        json_t *items = NULL;
        char *next = NULL;
        st = gh_group_list(ctx, NULL, cursor, 200, &items, &next);
        free(cursor);
        cursor = next;
        if (st != GH_OK) break;
        size_t i;
        json_t *g;
        json_array_foreach(items, i, g) {
            json_t *r = NULL;
            if ((st = group_load(ctx, json_string_value(json_object_get(g, "id")), &r)) != GH_OK) break;
            json_array_append_new(all, r);
        }
        json_decref(items);
        if (st != GH_OK || !cursor) break;
    }
    free(cursor);
    if (st != GH_OK) { json_decref(all); return st; }
    return list_answer(ctx, all, q, out);
}

/* The member ids a Group representation names; NULL with ctx->err set. */
static json_t *member_ids(gh_ctx *ctx, const json_t *in)
{
    json_t *ids = json_array();
    json_t *ms = get(in, "members");
    if (!ids) { gh_ctx_oom(ctx); return NULL; }
    if (ms && !json_is_null(ms) && !json_is_array(ms)) {
        json_decref(ids);
        bad_value(ctx, "members", "must be an array");
        return NULL;
    }
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m) {
        json_t *v = json_is_object(m) ? get(m, "value") : NULL;
        if (!json_is_string(v)) {
            json_decref(ids);
            bad_value(ctx, "members", "entries need a string 'value' (a user id)");
            return NULL;
        }
        json_array_append(ids, v);
    }
    return ids;
}

static bool has_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), id) == 0) return true;
    return false;
}

/* Makes the group's members exactly `want` (ids); unknown users are 400. */
static gh_status members_sync(gh_ctx *ctx, const char *gid, const json_t *have, const json_t *want)
{
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v) {
        const char *uid = json_string_value(v);
        if (has_id(have, uid)) continue;
        gh_status st = gh_group_member_set(ctx, gid, uid, true);
        if (st == GH_E_NOT_FOUND) return bad_value(ctx, "members", "names a user that does not exist");
        if (st != GH_OK) return st;
    }
    json_array_foreach(have, i, v) {
        const char *uid = json_string_value(v);
        if (has_id(want, uid)) continue;
        gh_status st = gh_group_member_set(ctx, gid, uid, false);
        if (st != GH_OK && st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
    }
    return GH_OK;
}

static gh_status display_name(gh_ctx *ctx, const json_t *in, const char **out)
{
    gh_status st = opt_str(ctx, in, "displayName", "displayName", GH_NAME_MAX, out);
    if (st == GH_OK && (!*out || !**out)) {
        st = scim_fail(ctx, GH_E_INVALID, "missing_field", "invalidValue", "'displayName' is required");
        gh_strlcpy(ctx->err.field, "displayName", sizeof ctx->err.field);
    }
    return st;
}

gh_status gh_scim_group_create(gh_ctx *ctx, const json_t *in, json_t **out)
{
    const char *name;
    json_t *want = NULL, *g = NULL, *none = NULL;
    gh_status st;
    *out = NULL;
    if (!json_is_object(in)) return scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "the body must be a Group");
    if ((st = display_name(ctx, in, &name)) != GH_OK) return st;
    if (!(want = member_ids(ctx, in))) return ctx->err.status ? ctx->err.status : GH_E_INTERNAL;
    /* Unknown members are refused before the group is made. */
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v) {
        gh_user *u = calloc(1, sizeof *u);
        if (!u) { st = gh_ctx_oom(ctx); goto done; }
        st = gh_store_user_get(ctx->db, ctx->actor.org_id, json_string_value(v), u, &ctx->err);
        free(u);
        if (st == GH_E_NOT_FOUND) { st = bad_value(ctx, "members", "names a user that does not exist"); goto done; }
        if (st != GH_OK) goto done;
    }
    if ((st = gh_group_create(ctx, name, "", &g)) != GH_OK) goto done;
    const char *gid = json_string_value(json_object_get(g, "id"));
    if (!(none = json_array())) { st = gh_ctx_oom(ctx); goto done; }
    if ((st = members_sync(ctx, gid, none, want)) != GH_OK) goto done;
    st = group_load(ctx, gid, out);
done:
    json_decref(none);
    json_decref(g);
    json_decref(want);
    return st;
}

static gh_status group_apply(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    json_t *now = NULL, *want = NULL, *have = NULL;
    const char *name;
    gh_status st;
    *out = NULL;
    if ((st = group_load(ctx, id, &now)) != GH_OK) return st;
    if ((st = check_match(ctx, now, if_match)) != GH_OK) goto done;
    if (!json_is_object(in)) { st = scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "the body must be a Group"); goto done; }
    if ((st = display_name(ctx, in, &name)) != GH_OK) goto done;
    if (!(want = member_ids(ctx, in))) { st = ctx->err.status ? ctx->err.status : GH_E_INTERNAL; goto done; }
    if (!(have = member_ids(ctx, now))) { st = ctx->err.status ? ctx->err.status : GH_E_INTERNAL; goto done; }
    const char *cur = json_string_value(json_object_get(now, "displayName"));
    /* The first write of the two (name, then members) checks If-Match. */
    match_guard mg = {.id = id, .if_match = if_match, .load = group_load};
    match_arm(ctx, &mg);
    if (!cur || strcmp(cur, name) != 0) {
        json_t *g = NULL;
        if ((st = gh_group_update(ctx, id, name, NULL, &g)) != GH_OK) goto done;
        json_decref(g);
    }
    if ((st = members_sync(ctx, id, have, want)) != GH_OK) goto done;
    st = group_load(ctx, id, out);
done:
    match_disarm(ctx);
    json_decref(have);
    json_decref(want);
    json_decref(now);
    return st;
}

gh_status gh_scim_group_put(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return group_apply(ctx, id, in, if_match, out);
}

gh_status gh_scim_group_patch(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return patch_common(ctx, id, in, if_match, out, group_load, group_apply);
}

gh_status gh_scim_group_delete(gh_ctx *ctx, const char *id, const char *if_match)
{
    json_t *now = NULL;
    gh_status st = group_load(ctx, id, &now);
    if (st == GH_OK) st = check_match(ctx, now, if_match);
    json_decref(now);
    match_guard mg = {.id = id, .if_match = if_match, .load = group_load};
    if (st == GH_OK) {
        match_arm(ctx, &mg);
        st = gh_group_delete(ctx, id);
        match_disarm(ctx);
    }
    return st;
}

/* ---- bulk (RFC 7644 §3.7) ------------------------------------------------------------- */
/* Replaces "bulkId:X" strings in v (in place) by the ids made so far;
 * false when one names an unknown bulkId. */
static bool resolve_bulk_ids(json_t *v, const json_t *ids, char *missing, size_t cap)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (json_is_string(x) && strncmp(json_string_value(x), "bulkId:", 7) == 0) {
                const char *id = json_string_value(json_object_get(ids, json_string_value(x) + 7));
                if (!id) { gh_strlcpy(missing, json_string_value(x) + 7, cap); return false; }
                json_object_set_new(v, k, json_string(id));
            } else if (!resolve_bulk_ids(x, ids, missing, cap)) {
                return false;
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_string(x) && strncmp(json_string_value(x), "bulkId:", 7) == 0) {
                const char *id = json_string_value(json_object_get(ids, json_string_value(x) + 7));
                if (!id) { gh_strlcpy(missing, json_string_value(x) + 7, cap); return false; }
                json_array_set_new(v, i, json_string(id));
            } else if (!resolve_bulk_ids(x, ids, missing, cap)) {
                return false;
            }
        }
    }
    return true;
}

static gh_status bulk_one(gh_ctx *ctx, const char *method, const char *path, const json_t *data, const char *version,
                          json_t *ids, json_t **res, unsigned *ok_status)
{
    char kind[16] = "", id[GH_ID_MAX + 16] = "";
    *res = NULL;
    if (path[0] != '/') return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "path must start with '/'");
    const char *slash = strchr(path + 1, '/');
    size_t kl = slash ? (size_t)(slash - path - 1) : strlen(path + 1);
    if (kl >= sizeof kind) return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "unknown resource path");
    memcpy(kind, path + 1, kl);
    kind[kl] = '\0';
    if (slash) {
        const char *raw = slash + 1;
        if (strncmp(raw, "bulkId:", 7) == 0) {
            const char *real = json_string_value(json_object_get(ids, raw + 7));
            if (!real) return scim_fail(ctx, GH_E_CONFLICT, "invalid_bulk_id", "invalidValue", "unknown bulkId '%.60s'", raw + 7);
            raw = real;
        }
        if (strlen(raw) >= sizeof id || strchr(raw, '/') || !*raw)
            return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "unknown resource path");
        gh_strlcpy(id, raw, sizeof id);
    }
    bool users = strcmp(kind, "Users") == 0, groups = strcmp(kind, "Groups") == 0;
    if (!users && !groups) return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "path is /Users or /Groups");
    /* The key's permission for the resource, as the routes require it. */
    const char *perm = users ? "users.manage" : "groups.manage";
    if (!gh_access_allowed(ctx, perm)) {
        gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' permission", perm);
        gh_err_extra(&ctx->err, "permission", json_string(perm));
        return GH_E_FORBIDDEN;
    }
    *ok_status = 200;
    if (strcmp(method, "POST") == 0 && !id[0]) {
        *ok_status = 201;
        return users ? gh_scim_user_create(ctx, data, res) : gh_scim_group_create(ctx, data, res);
    }
    if (!id[0]) return scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "%s needs /%s/{id}", method, kind);
    if (strcmp(method, "PUT") == 0)
        return users ? gh_scim_user_put(ctx, id, data, version, res) : gh_scim_group_put(ctx, id, data, version, res);
    if (strcmp(method, "PATCH") == 0)
        return users ? gh_scim_user_patch(ctx, id, data, version, res) : gh_scim_group_patch(ctx, id, data, version, res);
    if (strcmp(method, "DELETE") == 0) {
        *ok_status = 204;
        return users ? gh_scim_user_delete(ctx, id, version) : gh_scim_group_delete(ctx, id, version);
    }
    return scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "method is POST, PUT, PATCH or DELETE");
}

gh_status gh_scim_bulk(gh_ctx *ctx, const json_t *in, json_t **out)
{
    *out = NULL;
    json_t *ops = get(in, "Operations");
    if (!json_is_array(ops))
        return scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "a BulkRequest needs 'Operations'");
    if (json_array_size(ops) > GH_SCIM_BULK_MAX_OPS)
        return scim_fail(ctx, GH_E_TOO_LARGE, "too_many_operations", "tooMany", "at most %d operations",
                         GH_SCIM_BULK_MAX_OPS);
    json_t *foe = get(in, "failOnErrors");
    if (foe && !json_is_null(foe) && (!json_is_integer(foe) || json_integer_value(foe) < 1))
        return bad_value(ctx, "failOnErrors", "must be a positive integer");
    int64_t fail_on = foe && json_is_integer(foe) ? json_integer_value(foe) : 0;
    json_t *results = json_array(), *ids = json_object();
    gh_status st = GH_OK;
    if (!results || !ids) { st = gh_ctx_oom(ctx); goto done; }
    int64_t errors = 0;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        if (fail_on && errors >= fail_on) break;
        const char *method = json_string_value(get(op, "method"));
        const char *path = json_string_value(get(op, "path"));
        const char *bulk_id = json_string_value(get(op, "bulkId"));
        const char *version = json_string_value(get(op, "version"));
        json_t *data = get(op, "data");
        json_t *copy = data ? json_deep_copy(data) : NULL;
        json_t *res = NULL, *entry = json_object();
        unsigned ok_status = 200;
        char missing[80];
        gh_status s;
        gh_err_clear(&ctx->err);
        if (!entry || (data && !copy)) s = gh_ctx_oom(ctx);
        else if (!json_is_object(op) || !method || !path)
            s = scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "operation %zu needs method and path", i);
        else if (strcmp(method, "POST") == 0 && !bulk_id)
            s = scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "POST operations need a bulkId");
        else if (copy && !resolve_bulk_ids(copy, ids, missing, sizeof missing))
            s = scim_fail(ctx, GH_E_CONFLICT, "invalid_bulk_id", "invalidValue", "unknown bulkId '%s'", missing);
        else
            s = bulk_one(ctx, method, path, copy, version, ids, &res, &ok_status);
        if (!entry) { json_decref(copy); json_decref(res); st = GH_E_INTERNAL; goto done; }
        if (method) json_object_set_new(entry, "method", json_string(method));
        if (bulk_id) json_object_set_new(entry, "bulkId", json_string(bulk_id));
        char status[12]; /* any unsigned: -O2 builds warn otherwise */
        if (s == GH_OK) {
            snprintf(status, sizeof status, "%u", ok_status);
            const char *rid = json_string_value(json_object_get(res, "id"));
            if (rid && bulk_id) json_object_set_new(ids, bulk_id, json_string(rid));
            const char *loc = json_string_value(json_object_get(json_object_get(res, "meta"), "location"));
            if (loc) json_object_set_new(entry, "location", json_string(loc));
            const char *ver = version_of(res);
            if (ver) json_object_set_new(entry, "version", json_string(ver));
        } else {
            errors++;
            unsigned h = http_of(s);
            snprintf(status, sizeof status, "%u", h);
            json_object_set_new(entry, "response", gh_scim_error_json(&ctx->err, h));
        }
        json_object_set_new(entry, "status", json_string(status));
        json_array_append_new(results, entry);
        json_decref(copy);
        json_decref(res);
    }
    gh_err_clear(&ctx->err);
    *out = json_pack("{s:[s], s:O}", "schemas", GH_SCIM_BULKRESP_URN, "Operations", results);
    if (!*out) st = gh_ctx_oom(ctx);
done:
    json_decref(results);
    json_decref(ids);
    return st;
}

/* ---- discovery ----------------------------------------------------------------------- */
json_t *gh_scim_service_provider_config(void)
{
    char doc[600];
    snprintf(doc, sizeof doc, "%s/docs/scim", gh_cfg()->base_url);
    return json_pack(
        "{s:[s], s:s, s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b},"
        " s:[{s:s, s:s, s:s, s:b}], s:{s:s}}",
        "schemas", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig", "documentationUri", doc,
        "patch", "supported", 1, "bulk", "supported", 1, "maxOperations", GH_SCIM_BULK_MAX_OPS, "maxPayloadSize",
        (int)GH_SCIM_BULK_MAX_BYTES, "filter", "supported", 1, "maxResults", GH_SCIM_MAX_RESULTS, "changePassword",
        "supported", 0, "sort", "supported", 1, "etag", "supported", 1, "authenticationSchemes", "type",
        "oauthbearertoken", "name", "API key", "description",
        "Authorization: Bearer with a gatehouse API key that carries the scim scope", "primary", 1, "meta",
        "resourceType", "ServiceProviderConfig");
}

static json_t *resource_type(const char *id, const char *endpoint, const char *schema, bool ext)
{
    json_t *o = json_pack("{s:[s], s:s, s:s, s:s, s:s, s:{s:s}}", "schemas",
                          "urn:ietf:params:scim:schemas:core:2.0:ResourceType", "id", id, "name", id, "endpoint",
                          endpoint, "schema", schema, "meta", "resourceType", "ResourceType");
    if (o && ext)
        json_object_set_new(o, "schemaExtensions",
                            json_pack("[{s:s, s:b}, {s:s, s:b}]", "schema", GH_SCIM_ENTERPRISE_URN, "required", 0,
                                      "schema", GH_SCIM_GATEHOUSE_URN, "required", 0));
    return o;
}

json_t *gh_scim_resource_type(const char *id)
{
    if (strcmp(id, "User") == 0) return resource_type("User", "/Users", GH_SCIM_USER_URN, true);
    if (strcmp(id, "Group") == 0) return resource_type("Group", "/Groups", GH_SCIM_GROUP_URN, false);
    return NULL;
}

json_t *gh_scim_resource_types(void)
{
    return json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas", GH_SCIM_LIST_URN, "totalResults", 2,
                     "startIndex", 1, "itemsPerPage", 2, "Resources", gh_scim_resource_type("User"),
                     gh_scim_resource_type("Group"));
}

/* An attribute definition (RFC 7643 §7). */
static json_t *attr(const char *name, const char *type, bool multi, bool required, bool exact, const char *mut,
                    const char *uniq, json_t *subs)
{
    json_t *a = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s}", "name", name, "type", type,
                          "multiValued", multi, "description", name, "required", required, "caseExact", exact,
                          "mutability", mut, "returned", "default", "uniqueness", uniq);
    if (a && subs) json_object_set_new(a, "subAttributes", subs);
    else json_decref(subs);
    return a;
}

static json_t *schema_doc(const char *id, const char *name, json_t *attrs)
{
    return json_pack("{s:[s], s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "schemas",
                     "urn:ietf:params:scim:schemas:core:2.0:Schema", "id", id, "name", name, "description", name,
                     "attributes", attrs, "meta", "resourceType", "Schema", "location", id);
}

json_t *gh_scim_schema(const char *id)
{
    if (strcmp(id, GH_SCIM_USER_URN) == 0)
        return schema_doc(id, "User", json_pack("[o, o, o, o, o, o, o, o, o]",
            attr("userName", "string", 0, 1, 0, "readWrite", "server", NULL),
            attr("externalId", "string", 0, 0, 1, "readWrite", "none", NULL),
            attr("name", "complex", 0, 0, 0, "readWrite", "none", json_pack("[o, o, o]",
                attr("formatted", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("givenName", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("familyName", "string", 0, 0, 0, "readWrite", "none", NULL))),
            attr("displayName", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("title", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("active", "boolean", 0, 0, 0, "readWrite", "none", NULL),
            attr("emails", "complex", 1, 0, 0, "readWrite", "none", json_pack("[o, o, o]",
                attr("value", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("type", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("primary", "boolean", 0, 0, 0, "readWrite", "none", NULL))),
            attr("phoneNumbers", "complex", 1, 0, 0, "readWrite", "none", json_pack("[o, o]",
                attr("value", "string", 0, 0, 0, "readWrite", "none", NULL),
                attr("type", "string", 0, 0, 0, "readWrite", "none", NULL))),
            attr("id", "string", 0, 0, 1, "readOnly", "server", NULL)));
    if (strcmp(id, GH_SCIM_GROUP_URN) == 0)
        return schema_doc(id, "Group", json_pack("[o, o]",
            attr("displayName", "string", 0, 1, 0, "readWrite", "server", NULL),
            attr("members", "complex", 1, 0, 0, "readWrite", "none", json_pack("[o, o]",
                attr("value", "string", 0, 0, 1, "immutable", "none", NULL),
                attr("display", "string", 0, 0, 0, "readOnly", "none", NULL)))));
    if (strcmp(id, GH_SCIM_ENTERPRISE_URN) == 0)
        return schema_doc(id, "EnterpriseUser", json_pack("[o, o, o]",
            attr("employeeNumber", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("department", "string", 0, 0, 0, "readWrite", "none", NULL),
            attr("manager", "complex", 0, 0, 0, "readWrite", "none", json_pack("[o]",
                attr("value", "string", 0, 0, 1, "readWrite", "none", NULL)))));
    if (strcmp(id, GH_SCIM_GATEHOUSE_URN) == 0)
        return schema_doc(id, "GatehouseUser", json_pack("[o, o, o, o, o]",
            attr("role", "string", 0, 0, 1, "readWrite", "none", NULL),
            attr("modules", "string", 1, 0, 1, "readWrite", "none", NULL),
            attr("badge", "string", 0, 0, 0, "readWrite", "server", NULL),
            attr("officeAccess", "boolean", 0, 0, 0, "readWrite", "none", NULL),
            attr("factoryAccess", "boolean", 0, 0, 0, "readWrite", "none", NULL)));
    return NULL;
}

json_t *gh_scim_schemas(void)
{
    return json_pack("{s:[s], s:i, s:i, s:i, s:[o, o, o, o]}", "schemas", GH_SCIM_LIST_URN, "totalResults", 4,
                     "startIndex", 1, "itemsPerPage", 4, "Resources", gh_scim_schema(GH_SCIM_USER_URN),
                     gh_scim_schema(GH_SCIM_GROUP_URN), gh_scim_schema(GH_SCIM_ENTERPRISE_URN),
                     gh_scim_schema(GH_SCIM_GATEHOUSE_URN));
}
