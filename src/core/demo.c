/* The demo plant: see demo.h. Everything goes through the core functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/accounts.h"
#include "core/apikeys.h"
#include "core/audit.h"
#include "core/demo.h"
#include "core/groups.h"
#include "core/invites.h"
#include "core/kiosk.h"
#include "core/roles.h"
#include "core/secret.h"
#include "core/shopfloor.h"
#include "core/views.h"

#define DAY 86400
#define HISTORY_DAYS 4

#define DEMO_SLUG "riverside"
#define DEMO_DOMAIN "@riverside.example"

/* Roles added to the plant template's admin and user. */
static const struct {
    const char *key, *name, *description, *perms;
    bool device;
} demo_roles[] = {
    {"manager", "Production manager", "Runs daily operations: assigns work, reads all reports, shares dashboards.",
     "users.view tasks.assign tasks.work analytics.view reports.manage reports.download dashboards.manage groups.manage "
     "schedules.manage jobs.add jobs.bulk_upload orders.enter production_data.enter quality_data.enter alerts.view_config "
     "alerts.edit", false},
    {"supervisor", "Shift supervisor", "Watches production on the shop floor, adds single jobs, assigns tasks; no settings.",
     "users.view tasks.assign tasks.work reports.download production_data.enter quality_data.enter jobs.add analytics.view",
     false},
    {"quality", "Quality inspector", "Inspections, issues and gages.",
     "qc.inspections.use qc.inspections.manage qms.use qms.issues.manage gages.use gages.calibrate quality_data.enter "
     "reports.download", false},
    {"it", "IT administrator", "SSO, API keys, session and kiosk security, ERP data manager.",
     "it.operations settings.manage users.view erp.manage", false},
    {"operator", "Operator", "Shop-floor worker: checks into tasks at the kiosk and records production data.",
     "tasks.work production_data.enter quality_data.enter documents.upload", false},
    {"display", "Shop-floor display", "A monitor on the shop floor: reads dashboards and reports, never changes anything.",
     "", true},
};

/* Office users. modules/grants are space-separated keys ("" = all / none). */
static const struct {
    const char *local, *name, *mobile, *role, *modules, *grants, *note;
    bool locked;
} demo_users[] = {
    {"ada", "Ada Admin", "+44 20 7946 0001", "admin", "", "", "administrator: everything", false},
    {"marco", "Marco Rossi", "+44 20 7946 0002", "manager", "", "", "production manager", false},
    {"sofia", "Sofia Lindqvist", "", "supervisor", "", "", "shift supervisor", false},
    {"quinn", "Quinn Okafor", "", "quality", "qc qms gages", "", "quality inspector; QC, QMS and gages modules only", false},
    {"ivan", "Ivan Petrov", "", "it", "", "", "IT administrator", false},
    {"uma", "Uma Shah", "", "user", "", "reports.download", "user with a direct grant", false},
    {"lars", "Lars Berg", "", "user", "", "", "seasonal worker, locked until spring", true},
    {"display-line1", "Line 1 display", "", "display", "", "", "shared display account (read-only)", false},
};

/* Factory workers: badge and PIN (NULL = a temporary PIN, to show the
 * forced change at the first sign-in). */
static const struct {
    const char *name, *badge, *pin, *note;
} demo_workers[] = {
    {"Wanda Kowalski", "1001", "482915", "welder, line 1"},
    {"Tomasz Nowak", "1002", "739418", "machinist, line 1"},
    {"Priya Raman", "1003", "615827", "painter, paint shop, assigned to order SO-1041"},
    {"Jonas Keller", "1004", NULL, "new assembler: temporary PIN, must choose his own"},
};

/* Today's open tasks: ref, title, order, assignee (worker index, -1 none),
 * agenda screen (0 line 1, 1 paint shop, -1 none), due in days. */
static const struct {
    const char *ref, *title, *order;
    int worker, screen, due_days;
} demo_tasks[] = {
    {"T-2041", "Cut steel plates for frame B", "SO-1042", 0, 0, 1},
    {"T-2042", "Weld frame B", "SO-1042", 0, 0, 2},
    {"T-2043", "Drill mounting holes", "SO-1042", 1, 0, 1},
    {"T-2044", "Turn shafts, batch 18", "SO-1044", 1, -1, 3},
    {"T-2045", "Prime frame A", "SO-1041", 2, 1, 1},
    {"T-2046", "Top coat frame A", "SO-1041", -1, 1, 2},
    {"T-2047", "Assemble gearbox GB-7", "SO-1045", 3, 0, 4},
    {"T-2048", "Final inspection, order SO-1040", "SO-1040", -1, 0, 0},
};

/* Past work: a task per worker per day, completed after a pause. */
static const char *const history_titles[] = {"Cut steel plates", "Turn shafts", "Paint frames", "Assemble gearboxes"};

/* "a b c" -> ["a","b","c"] */
static json_t *keys(const char *s)
{
    json_t *a = json_array();
    const char *p = s;
    while (a && *p) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if (e > p) json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
        p = e;
    }
    return a;
}

/* The demo is built in the past and brought forward to now, so its
 * timestamps (check-ins, activity, audit) look like a few working days. */
static void clock_to(int64_t t) { gh_clock_advance(t - gh_now()); }

static gh_status oom(gh_ctx *ctx) { return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); }

static const char *jid(const json_t *o) { return json_string_value(json_object_get(o, "id")); }

/* A factory worker with a badge and a PIN; pin NULL leaves a temporary one in out_pin. */
static gh_status add_worker(gh_ctx *ctx, const char *name, const char *badge, const char *pin, gh_user *u,
                            char out_pin[GH_PIN_MAX + 1])
{
    char hash[GH_PWHASH_MAX];
    gh_user_new un = {.name = name, .role = "operator", .badge = badge, .factory_access = true};
    gh_status st = gh_user_create(ctx, &un, u);
    if (st != GH_OK) return st;
    gh_pin_issue pi;
    if ((st = gh_kiosk_pin_issue_prepare(ctx, u->id, &pi)) != GH_OK) return st;
    if (gh_pin_hash(pi.pin, hash) != 0) return oom(ctx);
    if ((st = gh_kiosk_pin_issue_finish(ctx, &pi, hash)) != GH_OK) return st;
    gh_strlcpy(out_pin, pi.pin, GH_PIN_MAX + 1);
    if (pin) {
        /* The worker chooses their own PIN, as at the kiosk. */
        gh_ctx w = *ctx;
        w.actor.type = GH_ACTOR_USER;
        w.actor.kiosk = true;
        w.actor.pin_change_required = true;
        gh_strlcpy(w.actor.id, u->id, sizeof w.actor.id);
        gh_pin_change pc;
        if ((st = gh_kiosk_pin_change_prepare(&w, pi.pin, pin, &pc)) != GH_OK ||
            (gh_pin_hash(pin, hash) != 0 && (st = oom(&w)) != GH_OK) ||
            (st = gh_kiosk_pin_change_finish(&w, &pc, true, hash)) != GH_OK) {
            ctx->err = w.err;
            return st;
        }
        gh_strlcpy(out_pin, pin, GH_PIN_MAX + 1);
    }
    sodium_memzero(pi.pin, sizeof pi.pin);
    sodium_memzero(hash, sizeof hash);
    return GH_OK;
}

/* One check-in of worker on task from `start` for `minutes`, closed with status. */
static gh_status work(gh_ctx *ctx, const char *task_id, const char *worker, int64_t start, int minutes,
                      const char *status)
{
    json_t *c = NULL, *done = NULL;
    clock_to(start);
    gh_status st = gh_checkin_open(ctx, task_id, worker, &c);
    if (st != GH_OK) return st;
    clock_to(start + (int64_t)minutes * 60);
    st = gh_checkin_close(ctx, jid(c), status, NULL, &done);
    json_decref(c);
    json_decref(done);
    return st;
}

/* Forms, order events and asset events of a worker on one day. */
static gh_status product_activity(gh_ctx *ctx, const char *worker, int64_t day, unsigned seed)
{
    static const char *const types[] = {"form_submission", "order_event", "asset_event"};
    static const char *const prefixes[] = {"FORM-QC-", "SO-10", "ASSET-CNC-"};
    unsigned n = 2 + seed % 4;
    for (unsigned i = 0; i < n; i++) {
        char ref[32];
        unsigned t = (seed + i) % 3;
        snprintf(ref, sizeof ref, "%s%u", prefixes[t], 40 + (seed * 7 + i) % 9);
        json_t *out = NULL, *detail = json_pack("{s:s}", "source", "demo");
        gh_status st = gh_activity_record(ctx, worker, types[t], ref, day + 7 * 3600 + (int64_t)(i * 47 + seed % 30) * 60,
                                          detail, &out);
        json_decref(detail);
        json_decref(out);
        if (st != GH_OK) return st;
    }
    return GH_OK;
}

static gh_status add_account(json_t *accounts, const char *name, const char *role, const char *email,
                             const char *how)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "role", role, "email", email, "how", how);
    if (!o || json_array_append_new(accounts, o) != 0) return GH_E_INTERNAL;
    return GH_OK;
}

#define N_OFFICE (sizeof demo_users / sizeof demo_users[0])
#define N_WORKERS (sizeof demo_workers / sizeof demo_workers[0])
#define N_TASKS (sizeof demo_tasks / sizeof demo_tasks[0])
/* Indexes into demo_users. */
enum { ADA, MARCO, SOFIA, QUINN, IVAN, UMA };

static gh_status make_group(gh_ctx *ctx, const char *name, const char *desc, const int *members, size_t n,
                            char (*ids)[GH_ID_MAX], char out_id[GH_ID_MAX])
{
    json_t *g = NULL;
    gh_status st = gh_group_create(ctx, name, desc, &g);
    if (st != GH_OK) return st;
    gh_strlcpy(out_id, jid(g), GH_ID_MAX);
    json_decref(g);
    for (size_t i = 0; i < n && st == GH_OK; i++) st = gh_group_member_set(ctx, out_id, ids[members[i]], true);
    return st;
}

/* A view owned by `owner`, shared with the groups given (NULL-terminated). */
static gh_status make_view(gh_ctx *ctx, const char *owner, const char *name, const char *kind, const char *config,
                           const char *const *groups)
{
    gh_ctx as = *ctx;
    as.actor.type = GH_ACTOR_USER;
    gh_strlcpy(as.actor.id, owner, sizeof as.actor.id);
    json_t *cfg = json_loads(config, 0, NULL), *v = NULL, *ids = json_array(), *shared = NULL;
    gh_status st = GH_E_INTERNAL;
    if (!cfg || !ids) { st = oom(ctx); goto out; }
    if ((st = gh_view_create(&as, name, kind, cfg, &v)) != GH_OK) goto out;
    for (const char *const *g = groups; g && *g; g++) json_array_append_new(ids, json_string(*g));
    if (json_array_size(ids) && (st = gh_view_share(&as, jid(v), ids, &shared)) != GH_OK) goto out;
    st = GH_OK;
out:
    if (st != GH_OK && as.err.status != GH_OK) ctx->err = as.err;
    json_decref(cfg);
    json_decref(v);
    json_decref(ids);
    json_decref(shared);
    return st;
}

/* The shop floor: workers, agenda screens, a few days of check-ins and
 * activity, today's tasks (some checked into), groups, shared dashboards,
 * pending invitations and an enrolled kiosk. */
static gh_status demo_floor(gh_ctx *ctx, char (*office)[GH_ID_MAX], json_t *accounts, int64_t first_day, int64_t now)
{
    gh_status st = GH_OK;
    char workers[N_WORKERS][GH_ID_MAX], screens[2][GH_ID_MAX], tasks[N_TASKS][GH_ID_MAX];
    char pin[GH_PIN_MAX + 1];
    json_t *o = NULL;

    for (size_t i = 0; i < N_WORKERS; i++) {
        gh_user u;
        if ((st = add_worker(ctx, demo_workers[i].name, demo_workers[i].badge, demo_workers[i].pin, &u, pin)) != GH_OK)
            return st;
        gh_strlcpy(workers[i], u.id, GH_ID_MAX);
        json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", demo_workers[i].name, "role", "operator", "badge",
                              demo_workers[i].badge, "pin", pin, "how", demo_workers[i].note);
        if (!a || json_array_append_new(accounts, a) != 0) return oom(ctx);
    }
    sodium_memzero(pin, sizeof pin);

    static const char *const screen_names[] = {"Line 1", "Paint shop"};
    static const int screen_of_worker[] = {0, 0, 1, 0};
    for (size_t i = 0; i < 2; i++) {
        if ((st = gh_screen_create(ctx, screen_names[i], &o)) != GH_OK) return st;
        gh_strlcpy(screens[i], jid(o), GH_ID_MAX);
        json_decref(o);
        o = NULL;
    }
    for (size_t w = 0; w < N_WORKERS; w++)
        if ((st = gh_screen_link(ctx, screens[screen_of_worker[w]], GH_SCREEN_MEMBERS, workers[w], true)) != GH_OK)
            return st;

    /* History: each worker (but the newcomer) works one batch a day. */
    for (int d = 0; d < HISTORY_DAYS; d++) {
        int64_t day = first_day + (int64_t)d * DAY;
        for (size_t w = 0; w + 1 < N_WORKERS; w++) {
            char ref[32], title[96];
            snprintf(ref, sizeof ref, "H-%d%02zu", 17 + d, w + 1);
            snprintf(title, sizeof title, "%s, batch %d", history_titles[w], 14 + d);
            clock_to(day + 6 * 3600 + (int64_t)w * 300);
            gh_task_new tn = {.ref = ref, .title = title, .order_ref = "SO-1030"};
            if ((st = gh_task_create(ctx, &tn, &o)) != GH_OK) return st;
            char tid[GH_ID_MAX];
            gh_strlcpy(tid, jid(o), sizeof tid);
            json_decref(o);
            o = NULL;
            if ((st = gh_task_assign(ctx, tid, workers[w], true)) != GH_OK) return st;
            int64_t start = day + 6 * 3600 + (int64_t)(15 + 10 * w) * 60;
            int first = 150 + (int)((d * 37 + w * 23) % 60);
            if ((st = work(ctx, tid, workers[w], start, first, d == 1 && w == 1 ? "error" : "paused")) != GH_OK ||
                (st = work(ctx, tid, workers[w], start + (int64_t)(first + 30) * 60, 180 + (int)((d * 13 + w * 29) % 90),
                           "complete")) != GH_OK ||
                (st = product_activity(ctx, workers[w], day, (unsigned)(d * 5 + w * 3))) != GH_OK)
                return st;
        }
    }

    /* Today's tasks on the agenda. */
    clock_to(now - 3 * 3600);
    int64_t today = now - now % DAY;
    for (size_t i = 0; i < N_TASKS; i++) {
        gh_task_new tn = {.ref = demo_tasks[i].ref, .title = demo_tasks[i].title, .order_ref = demo_tasks[i].order,
                          .due_at = today + (int64_t)demo_tasks[i].due_days * DAY + 16 * 3600};
        if ((st = gh_task_create(ctx, &tn, &o)) != GH_OK) return st;
        gh_strlcpy(tasks[i], jid(o), GH_ID_MAX);
        json_decref(o);
        o = NULL;
        if (demo_tasks[i].worker >= 0 && (st = gh_task_assign(ctx, tasks[i], workers[demo_tasks[i].worker], true)) != GH_OK)
            return st;
        if (demo_tasks[i].screen >= 0 &&
            (st = gh_screen_link(ctx, screens[demo_tasks[i].screen], GH_SCREEN_TASKS, tasks[i], true)) != GH_OK)
            return st;
    }
    /* Priya paints the whole of order SO-1041 (primer and top coat): she is
     * assigned to the order, not task by task. */
    if ((st = gh_order_assign(ctx, "SO-1041", workers[2], true)) != GH_OK) return st;
    /* This morning: Wanda cut plates and is welding now; Tomasz drilled for a
     * while; Priya is priming. */
    if ((st = work(ctx, tasks[0], workers[0], now - 170 * 60, 100, "complete")) != GH_OK ||
        (st = work(ctx, tasks[2], workers[1], now - 150 * 60, 80, "paused")) != GH_OK)
        return st;
    clock_to(now - 60 * 60);
    if ((st = gh_checkin_open(ctx, tasks[1], workers[0], &o)) != GH_OK) return st;
    json_decref(o);
    o = NULL;
    clock_to(now - 35 * 60);
    if ((st = gh_checkin_open(ctx, tasks[4], workers[2], &o)) != GH_OK) return st;
    json_decref(o);
    o = NULL;
    clock_to(now);

    /* Groups, and dashboards shared with them (000). */
    char line1[GH_ID_MAX], quality[GH_ID_MAX], officeg[GH_ID_MAX];
    static const int line1_m[] = {ADA, MARCO, SOFIA}, quality_m[] = {ADA, MARCO, QUINN}, office_m[] = {ADA, IVAN, UMA};
    if ((st = make_group(ctx, "Line 1 leads", "Supervisors and managers of line 1.", line1_m, 3, office, line1)) != GH_OK ||
        (st = make_group(ctx, "Quality team", "Inspections, NCRs and CAPAs.", quality_m, 3, office, quality)) != GH_OK ||
        (st = make_group(ctx, "Office", "Planning, IT and administration.", office_m, 3, office, officeg)) != GH_OK)
        return st;
    const char *g_line1[] = {line1, NULL}, *g_quality[] = {quality, NULL}, *g_both[] = {line1, officeg, NULL};
    if ((st = make_view(ctx, office[ADA], "Line 1 output", "dashboard",
                        "{\"widgets\":[{\"type\":\"oee\",\"line\":\"L1\"},{\"type\":\"output\",\"period\":\"shift\"}]}",
                        g_line1)) != GH_OK ||
        (st = make_view(ctx, office[ADA], "Open NCRs", "template",
                        "{\"columns\":[\"id\",\"part\",\"opened\",\"owner\"],\"filter\":{\"status\":\"open\"}}",
                        g_quality)) != GH_OK ||
        (st = make_view(ctx, office[ADA], "Daily output by line", "dashboard",
                        "{\"widgets\":[{\"type\":\"output\",\"group_by\":\"line\"}]}", g_both)) != GH_OK ||
        (st = make_view(ctx, office[MARCO], "My late orders", "template",
                        "{\"columns\":[\"order\",\"due\",\"status\"],\"filter\":{\"late\":true}}", NULL)) != GH_OK)
        return st;

    /* Two people invited, not joined yet (003). */
    gh_ctx as_ada = *ctx;
    as_ada.actor.type = GH_ACTOR_USER;
    gh_strlcpy(as_ada.actor.id, office[ADA], sizeof as_ada.actor.id);
    json_t *emails = json_pack("[s, s]", "nina" DEMO_DOMAIN, "omar" DEMO_DOMAIN), *res = NULL;
    if (!emails) return oom(ctx);
    st = gh_invite_create(&as_ada, emails, "supervisor", &res);
    json_decref(emails);
    json_decref(res);
    if (st != GH_OK) { ctx->err = as_ada.err; return st; }

    if ((st = gh_kiosk_device_enrol(ctx, "Line 1 tablet", NULL, &o)) != GH_OK) return st;
    json_decref(o);
    return GH_OK;
}

gh_status gh_demo_load(gh_ctx *ctx, json_t **summary)
{
    gh_status st = GH_OK;
    char hash[GH_PWHASH_MAX];
    char office_ids[N_OFFICE][GH_ID_MAX];
    json_t *out = NULL, *accounts = NULL, *key = NULL;
    *summary = NULL;
    if (gh_store_org_count(ctx->db) != 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "not_empty", "the demo loads only into an empty database");
    if (gh_secret_hash(GH_DEMO_PASSWORD, hash) != 0)
        return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "hashing failed");

    /* Start a few working days ago; the clock is brought back to now at the end. */
    int64_t clock_base = gh_now() - (int64_t)time(NULL);
    int64_t real_now = gh_now(), today = real_now - real_now % DAY;
    int64_t first_day = today - (int64_t)HISTORY_DAYS * DAY;
    clock_to(first_day + 6 * 3600);

    gh_org org;
    gh_user admin;
    gh_org_new n = {.slug = DEMO_SLUG, .name = "Riverside Plant", .template_set = "plant",
                    .admin_email = "ada" DEMO_DOMAIN, .admin_name = "Ada Admin", .admin_password_hash = hash};
    if ((st = gh_org_create(ctx, &n, &org, &admin)) != GH_OK) goto out;
    gh_strlcpy(ctx->actor.org_id, org.id, sizeof ctx->actor.org_id);

    gh_org_patch op = {.has_single_task = true, .single_task = true, .has_kiosk_idle = true, .kiosk_idle_s = 90,
                       .has_pin_min = true, .pin_min = 6};
    gh_org o2;
    if ((st = gh_org_update(ctx, &op, &o2)) != GH_OK) goto out;

    for (size_t i = 0; i < sizeof demo_roles / sizeof demo_roles[0]; i++) {
        json_t *perms = keys(demo_roles[i].perms), *role = NULL;
        if (!perms) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); goto out; }
        st = gh_role_create(ctx, demo_roles[i].key, demo_roles[i].name, demo_roles[i].description, perms,
                            demo_roles[i].device, &role);
        json_decref(perms);
        json_decref(role);
        if (st != GH_OK) goto out;
    }

    out = json_object();
    accounts = json_array();
    if (!out || !accounts) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); goto out; }
    for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
        char email[128];
        snprintf(email, sizeof email, "%s%s", demo_users[i].local, DEMO_DOMAIN);
        gh_user u;
        if (i == 0) {
            u = admin;
            gh_user_patch p = {.mobile = demo_users[i].mobile};
            gh_ctx self = *ctx;
            self.actor.type = GH_ACTOR_USER;
            gh_strlcpy(self.actor.id, admin.id, sizeof self.actor.id);
            if ((st = gh_me_update(&self, NULL, p.mobile, &u)) != GH_OK) { ctx->err = self.err; goto out; }
        } else {
            json_t *mods = demo_users[i].modules[0] ? keys(demo_users[i].modules) : NULL;
            json_t *grants = keys(demo_users[i].grants);
            gh_user_new un = {.email = email, .name = demo_users[i].name, .mobile = demo_users[i].mobile,
                              .role = demo_users[i].role, .office_access = true, .email_verified = true,
                              .password_hash = hash, .modules = mods, .grants = grants};
            st = gh_user_create(ctx, &un, &u);
            json_decref(mods);
            json_decref(grants);
            if (st != GH_OK) goto out;
            if (demo_users[i].locked && (st = gh_user_lock(ctx, u.id, true, &u)) != GH_OK) goto out;
        }
        gh_strlcpy(office_ids[i], u.id, GH_ID_MAX);
        if ((st = add_account(accounts, demo_users[i].name, demo_users[i].role, email, demo_users[i].note)) != GH_OK)
            goto out;
    }

    if ((st = demo_floor(ctx, office_ids, accounts, first_day, real_now)) != GH_OK) goto out;

    json_t *scopes = json_pack("[ssss]", "authz.check", "activity.write", "tasks.write", "users.view");
    st = scopes ? gh_apikey_create(ctx, "MES integration (demo)", scopes, 0, &key) : gh_ctx_oom(ctx);
    json_decref(scopes);
    if (st != GH_OK) goto out;
    json_object_set_new(out, "org", json_pack("{s:s, s:s}", "slug", org.slug, "name", org.name));
    json_object_set_new(out, "password", json_string(GH_DEMO_PASSWORD));
    json_object_set(out, "accounts", accounts);
    json_object_set(out, "api_key", json_object_get(key, "key"));
    *summary = out;
    out = NULL;
out:
    /* Back to the clock the caller had. */
    gh_clock_advance(clock_base - (gh_now() - (int64_t)time(NULL)));
    sodium_memzero(hash, sizeof hash);
    json_decref(out);
    json_decref(accounts);
    json_decref(key);
    return st;
}

/* ---- the demo at the size of a large plant (--demo-size) ------------------- */
static const char *const grow_first[] = {"Aleksandra", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta",
                                         "Hugo", "Ines", "Jonas", "Katarzyna", "Lars", "Marta", "Nikola",
                                         "Olivia", "Pavel", "Rosa", "Stefan", "Tamara", "Yusuf"};
static const char *const grow_last[] = {"Almeida", "Becker", "Costa", "Dvorak", "Eriksen", "Fischer", "Garcia",
                                        "Horvat", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau",
                                        "Novak", "Oliveira", "Petrov", "Rossi", "Schmidt", "Tanaka", "Weber"};
#define NFIRST (sizeof grow_first / sizeof grow_first[0])
#define NLAST (sizeof grow_last / sizeof grow_last[0])

static gh_status grow_rows(gh_ctx *ctx, const gh_org *o, int64_t users, int64_t tasks, int64_t now)
{
    gh_status st = GH_OK;
    gh_user *u = calloc(1, sizeof *u);
    char(*ids)[GH_ID_MAX] = users > 0 ? calloc((size_t)users, GH_ID_MAX) : NULL;
    if (!u || (users > 0 && !ids)) { st = oom(ctx); goto out; }
    for (int64_t i = 0; i < users; i++) {
        memset(u, 0, sizeof *u);
        gh_id_new("usr", u->id);
        gh_strlcpy(u->org_id, o->id, sizeof u->org_id);
        snprintf(u->name, sizeof u->name, "%s %s %06lld", grow_first[(size_t)i % NFIRST],
                 grow_last[(size_t)(i / (int64_t)NFIRST) % NLAST], (long long)(i + 1));
        gh_strlcpy(u->role_key, "operator", sizeof u->role_key);
        gh_strlcpy(u->status, "active", sizeof u->status);
        u->factory_access = true;
        u->modules_all = true;
        snprintf(u->badge, sizeof u->badge, "G%06lld", (long long)(i + 1));
        u->created_at = u->updated_at = now;
        if ((st = gh_store_user_insert(ctx->db, u, &ctx->err)) != GH_OK) goto out;
        memcpy(ids[i], u->id, GH_ID_MAX);
    }
    for (int64_t i = 0; i < tasks; i++) {
        gh_task t = {0};
        gh_id_new("tsk", t.id);
        gh_strlcpy(t.org_id, o->id, sizeof t.org_id);
        snprintf(t.ref, sizeof t.ref, "G-%05lld", (long long)(i + 1));
        snprintf(t.title, sizeof t.title, "Machining batch %lld", (long long)(i + 1));
        snprintf(t.order_ref, sizeof t.order_ref, "SO-G%04lld", (long long)(i / 20 + 1));
        gh_strlcpy(t.status, "open", sizeof t.status);
        t.created_at = now;
        t.due_at = now + (i % 14 + 1) * DAY;
        if ((st = gh_store_task_insert(ctx->db, &t, &ctx->err)) != GH_OK) goto out;
        /* Each task to one generated worker, so kiosk task lists are not empty. */
        bool changed = false;
        if (users > 0 &&
            (st = gh_store_task_assign(ctx->db, t.id, ids[(size_t)(i % users)], true, now, &changed, &ctx->err)) != GH_OK)
            goto out;
    }
out:
    free(ids);
    free(u);
    return st;
}

gh_status gh_demo_grow(gh_ctx *ctx, int64_t users, int64_t tasks)
{
    if (users < 0 || users > GH_DEMO_SIZE_MAX || tasks < 0 || tasks > GH_DEMO_SIZE_MAX)
        return gh_fail(&ctx->err, GH_E_INVALID, "out_of_range", "the demo size is 0 to %d", GH_DEMO_SIZE_MAX);
    gh_org o;
    gh_status st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err);
    if (st != GH_OK) return st;
    gh_db_cache_kib(ctx->db, 512 * 1024);
    if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) { gh_db_cache_kib(ctx->db, 0); return st; }
    int64_t now = gh_now();
    /* Bulk inserts in one transaction (not one API call per row): the rows
     * the API would write, without the per-row guard, for a throw-away
     * database only. The subscription grows with them; one audit row. */
    if ((st = grow_rows(ctx, &o, users, tasks, now)) != GH_OK) goto fail;
    if (o.seats_factory >= 0) {
        o.seats_factory += users;
        if ((st = gh_store_org_update(ctx->db, &o, &ctx->err)) != GH_OK) goto fail;
    }
    if ((st = gh_audit(ctx, o.id, "demo.generated", "org", o.id,
                       json_pack("{s:I, s:I}", "workers", (json_int_t)users, "tasks", (json_int_t)tasks))) != GH_OK)
        goto fail;
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) goto fail;
    gh_db_cache_kib(ctx->db, 0);
    return GH_OK;
fail:
    gh_db_cache_kib(ctx->db, 0);
    return gh_ctx_rollback(ctx, st);
}
