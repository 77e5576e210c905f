/* /v1/invites: invitations (users.view to read, users.manage to change) and
 * the invitee's anonymous side (lookup and accept, with the link's token). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "api/api.h"
#include "core/delivery.h"
#include "core/accounts.h"
#include "core/invites.h"

static void list_invites(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    int limit;
    if (!gh_api_limit_or_reply(r, 200, &limit)) return;
    const char *q = gh_req_query(r, "q");
    if (!gh_api_q_or_reply(r, q)) return;
    json_t *items;
    char *next = NULL;
    if (gh_api_failed(r, gh_invite_list(ctx, limit, gh_req_query(r, "cursor"), q, &items, &next))) return;
    gh_delivery_annotate(ctx, items, "invite", "email", NULL);
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(next) : json_null()));
    free(next);
}

/* Invitations only ever give office access: factory workers are created as
 * staff members (they sign in at a kiosk with a badge and PIN). */
static bool no_factory_fields_or_reply(gh_req *r, json_t *b)
{
    static const char *const fields[] = {"factory_access", "badge", "pin", "kiosk_pin", "factory", NULL};
    for (int i = 0; fields[i]; i++) {
        json_t *v = json_object_get(b, fields[i]);
        if (!v || (strcmp(fields[i], "factory_access") == 0 && json_is_false(v))) continue;
        gh_ctx *ctx = gh_req_ctx(r);
        gh_fail_field(&ctx->err, GH_E_INVALID, "invite_factory_access", fields[i],
                      "an invitation cannot give factory access: factory workers are created as staff members"
                      " (POST /v1/users with a badge, or the bulk import) and sign in at a kiosk");
        gh_reply_ctx_err(r);
        return false;
    }
    return true;
}

static void create_invites(gh_req *r)
{
    static const gh_jfield f[] = {{"emails", GH_J_ARRAY, true}, {"role", GH_J_STRING, true},
                                  {"factory_access", GH_J_BOOL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (b && json_is_object(b) && !no_factory_fields_or_reply(r, b)) return;
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *results;
    if (gh_api_failed(r, gh_invite_create(gh_req_ctx(r), json_object_get(b, "emails"), gh_jstr(b, "role"), &results)))
        return;
    size_t invited = 0, i;
    json_t *item;
    json_array_foreach(results, i, item) invited += strcmp(json_string_value(json_object_get(item, "status")), "invited") == 0;
    gh_reply_json(r, 200, json_pack("{s:I, s:I, s:o}", "invited", (json_int_t)invited, "skipped",
                                    (json_int_t)(json_array_size(results) - invited), "results", results));
}

static void get_invite(gh_req *r)
{
    gh_invite v;
    if (gh_api_failed(r, gh_invite_get(gh_req_ctx(r), gh_req_param(r, "id"), &v))) return;
    gh_reply_json(r, 200, gh_invite_json(&v));
}

static void resend_invite(gh_req *r)
{
    gh_invite v;
    char link[GH_INVITE_LINK_MAX] = "";
    if (gh_api_failed(r, gh_invite_resend(gh_req_ctx(r), gh_req_param(r, "id"), &v, link))) return;
    json_t *j = gh_invite_json(&v);
    if (j && link[0]) json_object_set_new(j, "link", json_string(link));
    sodium_memzero(link, sizeof link);
    gh_reply_json(r, 200, j);
}

static void cancel_invite(gh_req *r)
{
    if (gh_api_failed(r, gh_invite_cancel(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

/* ---- the invitee's side ---- */
static void lookup_invite(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_invite_link *l = gh_arena_alloc(gh_req_arena(r), sizeof *l);
    if (!l) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_invite_lookup(ctx, gh_req_query(r, "token"), l))) return;
    char exp[32];
    gh_time_fmt(l->invite.expires_at, exp);
    gh_reply_json(r, 200, json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:o, s:s, s:b}", "email", l->invite.email,
                                    "role", "key", l->invite.role_key, "name", l->role_name, "org", "slug",
                                    l->org.slug, "name", l->org.name, "invited_by",
                                    l->invite.invited_by_name[0] ? json_string(l->invite.invited_by_name) : json_null(),
                                    "expires_at", exp, "expired", l->expired));
}

typedef struct accept_state {
    const char *token, *name;
    gh_hash_job *job;
    gh_invite_accepted out;
} accept_state;

static void accept_done(gh_req *r)
{
    accept_state *s = gh_req_state(r);
    if (s->job->hash_rc != 0) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_invite_accept(gh_req_ctx(r), s->token, s->name, s->job->new_hash, &s->out))) return;
    gh_api_session_answer(r, s->out.token, s->out.csrf, &s->out.session, gh_user_json(&s->out.user));
    sodium_memzero(s->out.token, sizeof s->out.token);
    sodium_memzero(s->out.csrf, sizeof s->out.csrf);
    sodium_memzero(s->job->new_hash, sizeof s->job->new_hash);
}

static void accept_invite(gh_req *r)
{
    static const gh_jfield f[] = {{"token", GH_J_STRING, true}, {"name", GH_J_STRING, true},
                                  {"password", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    /* Check the link and the name before spending a hash on them. */
    if (gh_api_failed(r, gh_invite_check(ctx, gh_jstr(b, "token"), gh_jstr(b, "name"), gh_jstr(b, "password")))) return;
    gh_arena *a = gh_req_arena(r);
    accept_state *s = gh_arena_alloc(a, sizeof *s);
    if (!s || !(s->token = gh_arena_strdup(a, gh_jstr(b, "token"))) || !(s->name = gh_arena_strdup(a, gh_jstr(b, "name"))) ||
        !(s->job = gh_api_hash_job_new(r, NULL, NULL, gh_jstr(b, "password")))) {
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, accept_done);
}

/* Literal paths before {id} paths. */
const gh_route gh_api_routes_invites[] = {
    {"GET", "/v1/invites/lookup", lookup_invite, GH_AUTH_NONE, 0, NULL},
    {"POST", "/v1/invites/accept", accept_invite, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"GET", "/v1/invites", list_invites, GH_AUTH_ANY, GH_R_OR_MANAGE, "users.view"},
    {"POST", "/v1/invites", create_invites, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/invites/{id}", get_invite, GH_AUTH_ANY, GH_R_OR_MANAGE, "users.view"},
    {"DELETE", "/v1/invites/{id}", cancel_invite, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/invites/{id}/resend", resend_invite, GH_AUTH_USER, 0, "users.manage"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
