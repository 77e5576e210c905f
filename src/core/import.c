/*
 * The bulk import: see import.h for the rules. Three passes over the rows,
 * all inside one transaction: read the file (csv.c) into bounded row
 * records, decide every row's action against the org as it is (roles,
 * members, invitations, seats, duplicates within the file), then apply the
 * valid rows (not on a dry run, and not at all when all_or_nothing and a row
 * failed). Deciding before applying means a dry run and a real run report
 * the same actions.
 *
 * Over 600 lines: the three passes of one import share the row records.
 */
#include "core/import.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/csv.h"
#include "core/invites.h"
#include "core/seats.h"
#include "core/guard.h"
#include "store/invites.h"
#include "store/store.h"
#include "util/hash.h"

enum { COL_NAME, COL_EMAIL, COL_ROLE, COL_BADGE, COL_OFFICE, COL_FACTORY, COL_COUNT };
static const char *const col_names[COL_COUNT] = {"name", "email", "role", "badge", "office_access", "factory_access"};

typedef enum { ACT_INVITE, ACT_CREATE, ACT_SKIP, ACT_ERROR } action;
static const char *const act_names[] = {"invite", "create", "skip", "error"};

#define BADGE_MAX 64

typedef struct row {
    size_t row, line;            /* spreadsheet row (header = 1) and file line */
    const char *f[COL_COUNT];    /* trimmed values, "" when absent */
    bool extra_fields;           /* values beyond the header's columns */
    bool office, factory;        /* the access the row asks for */
    action act;
    const char *code, *column, *detail;
    const gh_role *role;
    gh_invite *renew;            /* expired pending invitation to renew, or NULL */
    char id[GH_ID_MAX];          /* the member, invitation or new user */
} row;

/* Normalized key -> first row number (0 = absent), open addressing. */
typedef struct strset {
    const char **keys;
    size_t *rows;
    size_t cap;
} strset;

typedef struct importer {
    gh_ctx *ctx;
    gh_arena *arena;
    int map[GH_CSV_FIELDS_MAX];  /* file column -> COL_*, or -1 (ignored) */
    size_t ncols;
    row *rows;
    size_t nrows, cap;
    gh_org org;
    gh_role *roles;
    size_t nroles, roles_cap;
    bool roles_oom;
    strset emails, badges;
    int64_t used[2], limit[2];   /* office, factory */
    size_t counts[4];            /* per action */
} importer;

/* ---- small helpers ------------------------------------------------------------------ */
static bool strset_init(strset *s, size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n + 2) cap *= 2;
    s->keys = calloc(cap, sizeof *s->keys);
    s->rows = calloc(cap, sizeof *s->rows);
    s->cap = cap;
    return s->keys && s->rows;
}

static void strset_free(strset *s)
{
    free(s->keys);
    free(s->rows);
}

/* Adds key (kept by reference) for row; returns the row that had it, or 0. */
static size_t strset_put(strset *s, const char *key, size_t rowno)
{
    uint64_t h = gh_hash_str(key);
    size_t i = (size_t)h & (s->cap - 1);
    while (s->keys[i]) {
        if (strcmp(s->keys[i], key) == 0) return s->rows[i];
        i = (i + 1) & (s->cap - 1);
    }
    s->keys[i] = key;
    s->rows[i] = rowno;
    return 0;
}

static void trim(const char *s, const char **start, size_t *len)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    *start = s;
    *len = n;
}

static char *arena_strndup(gh_arena *a, const char *s, size_t n)
{
    char *d = gh_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* A badge (employee code): 1 to 64 of A-Z a-z 0-9 . _ - */
static bool badge_valid(const char *b)
{
    size_t n = gh_strnlen_max(b, BADGE_MAX);
    if (n < 1 || n > BADGE_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

/* 1 yes, 0 no, 2 blank, -1 not a boolean. */
static int parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "true", "yes", "y", "x"}, *const no[] = {"0", "false", "no", "n"};
    if (!*s) return 2;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcasecmp(s, yes[i]) == 0) return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcasecmp(s, no[i]) == 0) return 0;
    return -1;
}

static void row_set(importer *im, row *r, action act, const char *code, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void row_set(importer *im, row *r, action act, const char *code, const char *column, const char *fmt, ...)
{
    r->act = act;
    r->code = code;
    r->column = column;
    if (fmt) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        r->detail = gh_arena_strdup(im->arena, buf);
    }
}

static void role_push(const gh_role *r, void *arg)
{
    importer *im = arg;
    if (im->nroles == im->roles_cap) {
        size_t cap = im->roles_cap ? im->roles_cap * 2 : 8;
        gh_role *nr = realloc(im->roles, cap * sizeof *nr);
        if (!nr) { im->roles_oom = true; return; }
        im->roles = nr;
        im->roles_cap = cap;
    }
    im->roles[im->nroles++] = *r;
}

static const gh_role *role_find(const importer *im, const char *key)
{
    for (size_t i = 0; i < im->nroles; i++)
        if (strcmp(im->roles[i].key, key) == 0) return &im->roles[i];
    return NULL;
}

/* ---- pass 1: reading -------------------------------------------------------------------- */
static gh_status csv_fault(importer *im, const gh_csv *c, size_t rowno)
{
    gh_fail(&im->ctx->err, GH_E_INVALID, "invalid_csv", "line %zu: %s", c->err_line, c->err);
    if (rowno) gh_err_extra(&im->ctx->err, "row", json_integer((json_int_t)rowno));
    gh_err_extra(&im->ctx->err, "line", json_integer((json_int_t)c->err_line));
    return GH_E_INVALID;
}

/* "E-mail", "Office Access" and "office_access" name the same columns:
 * case, spaces, dashes and underscores do not matter. */
static bool header_matches(const char *h, const char *col)
{
    for (;;) {
        while (*h == ' ' || *h == '-' || *h == '_') h++;
        while (*col == '_') col++;
        char a = (*h >= 'A' && *h <= 'Z') ? (char)(*h + 32) : *h;
        if (a != *col) return false;
        if (!a) return true;
        h++;
        col++;
    }
}

static gh_status read_header(importer *im, gh_csv *c)
{
    gh_ctx *ctx = im->ctx;
    int rc = gh_csv_next(c);
    if (rc < 0) return csv_fault(im, c, 1);
    if (rc == 0) return gh_fail(&ctx->err, GH_E_INVALID, "empty_file", "the file is empty: it needs a header row");
    bool seen[COL_COUNT] = {false};
    im->ncols = gh_csv_nfields(c);
    for (size_t i = 0; i < im->ncols; i++) {
        const char *start;
        size_t n;
        char name[64];
        trim(gh_csv_field(c, i), &start, &n);
        im->map[i] = -1;
        if (n == 0) continue; /* an unnamed column (a trailing comma) is ignored */
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, start, n);
        name[n] = '\0';
        int col = -1;
        for (int k = 0; k < COL_COUNT; k++)
            if (header_matches(name, col_names[k])) col = k;
        if (col < 0)
            return gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_column", name,
                                 "unknown column '%s' in the header; the columns are name, email, role, badge,"
                                 " office_access, factory_access", name);
        if (seen[col])
            return gh_fail_field(&ctx->err, GH_E_INVALID, "duplicate_column", col_names[col],
                                 "the column '%s' appears twice", col_names[col]);
        seen[col] = true;
        im->map[i] = col;
    }
    static const int required[] = {COL_NAME, COL_ROLE};
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (!seen[required[k]])
            return gh_fail_field(&ctx->err, GH_E_INVALID, "missing_column", col_names[required[k]],
                                 "the header has no '%s' column", col_names[required[k]]);
    if (!seen[COL_EMAIL] && !seen[COL_BADGE])
        return gh_fail_field(&ctx->err, GH_E_INVALID, "missing_column", "email",
                             "the header needs an 'email' column (office users) or a 'badge' column (factory workers)");
    return GH_OK;
}

static gh_status read_rows(importer *im, gh_csv *c)
{
    gh_ctx *ctx = im->ctx;
    int rc;
    while ((rc = gh_csv_next(c)) == 1) {
        size_t nf = gh_csv_nfields(c);
        bool blank = true;
        for (size_t i = 0; i < nf && blank; i++) {
            const char *s;
            size_t n;
            trim(gh_csv_field(c, i), &s, &n);
            blank = n == 0;
        }
        if (blank) continue;
        if (im->nrows == GH_IMPORT_ROWS_MAX)
            return gh_fail(&ctx->err, GH_E_TOO_LARGE, "too_many_rows",
                           "the file has more than %d rows; split it into several imports", GH_IMPORT_ROWS_MAX);
        if (im->nrows == im->cap) {
            size_t cap = im->cap ? im->cap * 2 : 64;
            row *nr = realloc(im->rows, cap * sizeof *nr);
            if (!nr) return gh_ctx_oom(ctx);
            im->rows = nr;
            im->cap = cap;
        }
        row *r = &im->rows[im->nrows];
        memset(r, 0, sizeof *r);
        r->row = c->record;
        r->line = c->record_line;
        for (int k = 0; k < COL_COUNT; k++) r->f[k] = "";
        for (size_t i = 0; i < nf; i++) {
            const char *s;
            size_t n;
            trim(gh_csv_field(c, i), &s, &n);
            if (i >= im->ncols) {
                if (n) r->extra_fields = true;
                continue;
            }
            if (im->map[i] < 0) continue; /* an unnamed column */
            char *v = arena_strndup(im->arena, s, n);
            if (!v) return gh_ctx_oom(ctx);
            r->f[im->map[i]] = v;
        }
        im->nrows++;
    }
    if (rc < 0) return csv_fault(im, c, c->record + 1);
    return GH_OK;
}

/* ---- pass 2: deciding ------------------------------------------------------------------- */
static char *lower_dup(importer *im, const char *s)
{
    char *d = gh_arena_strdup(im->arena, s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    return d;
}

static gh_status decide(importer *im, row *r, gh_user *u, gh_invite *pending)
{
    gh_ctx *ctx = im->ctx;
    const char *name = r->f[COL_NAME], *email = r->f[COL_EMAIL], *badge = r->f[COL_BADGE], *role = r->f[COL_ROLE];
    bool email_ok = *email && gh_email_valid(email), badge_ok = *badge && badge_valid(badge);
    size_t email_dup = 0, badge_dup = 0;
    gh_status st;
    /* Keys are registered before any other check, so a later copy of this
     * row's email or badge is reported even when this row fails. */
    if (email_ok) {
        char *k = lower_dup(im, email);
        if (!k) return gh_ctx_oom(ctx);
        email_dup = strset_put(&im->emails, k, r->row);
    }
    if (badge_ok) {
        char *k = lower_dup(im, badge);
        if (!k) return gh_ctx_oom(ctx);
        badge_dup = strset_put(&im->badges, k, r->row);
    }
    if (r->extra_fields) {
        row_set(im, r, ACT_ERROR, "extra_fields", NULL, "the row has more fields than the header has columns");
        return GH_OK;
    }
    if (!*name) { row_set(im, r, ACT_ERROR, "missing_name", "name", "the name is empty"); return GH_OK; }
    gh_err name_err = {0};
    if (gh_check_text(&name_err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) {
        /* the same check and wording as every other name */
        row_set(im, r, ACT_ERROR, "invalid_name", "name", "%s", name_err.detail);
        gh_err_clear(&name_err);
        return GH_OK;
    }
    if (!*role) { row_set(im, r, ACT_ERROR, "missing_role", "role", "the role is empty"); return GH_OK; }
    if (!(r->role = role_find(im, role))) {
        row_set(im, r, ACT_ERROR, "unknown_role", "role", "no role '%.100s' in this organization", role);
        return GH_OK;
    }
    if (*email && !email_ok) {
        row_set(im, r, ACT_ERROR, "malformed_email", "email", "'%.100s' is not a valid email address", email);
        return GH_OK;
    }
    if (*badge && !badge_ok) {
        row_set(im, r, ACT_ERROR, "invalid_badge", "badge", "a badge is 1 to %d letters, digits, '.', '_' or '-'",
                BADGE_MAX);
        return GH_OK;
    }
    int office = parse_bool(r->f[COL_OFFICE]), factory = parse_bool(r->f[COL_FACTORY]);
    if (office < 0 || factory < 0) {
        const char *col = office < 0 ? "office_access" : "factory_access";
        row_set(im, r, ACT_ERROR, "invalid_boolean", col, "%s is yes or no (true/false, 1/0, y/n, x or blank)", col);
        return GH_OK;
    }
    r->office = office == 2 ? *email != '\0' : office == 1;
    r->factory = factory == 2 ? *badge != '\0' : factory == 1;
    if (!r->office && !r->factory) {
        row_set(im, r, ACT_ERROR, "no_access", "office_access",
                "the row gives neither office access (needs an email) nor factory access (needs a badge)");
        return GH_OK;
    }
    if (r->office && !*email) {
        row_set(im, r, ACT_ERROR, "missing_email", "email", "office access needs an email address");
        return GH_OK;
    }
    if (r->factory && !*badge) {
        row_set(im, r, ACT_ERROR, "missing_badge", "badge", "factory access needs a badge");
        return GH_OK;
    }
    if (r->factory && r->role->device) {
        row_set(im, r, ACT_ERROR, "device_role_factory", "role",
                "'%s' is a shared display (device) role: it cannot have factory access", r->role->key);
        return GH_OK;
    }
    if (email_dup) {
        row_set(im, r, ACT_ERROR, "duplicate_email", "email", "the same email address is on row %zu", email_dup);
        return GH_OK;
    }
    if (badge_dup) {
        row_set(im, r, ACT_ERROR, "duplicate_badge", "badge", "the same badge is on row %zu", badge_dup);
        return GH_OK;
    }
    /* Against the organization. */
    if (*email) {
        st = gh_store_user_get_by_email(ctx->db, im->org.id, email, u, &ctx->err);
        if (st == GH_OK) {
            gh_strlcpy(r->id, u->id, sizeof r->id);
            row_set(im, r, ACT_SKIP, "already_member", "email", "a user with this email address exists");
            return GH_OK;
        }
        if (st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
        st = gh_store_invite_get_pending(ctx->db, im->org.id, email, pending, &ctx->err);
        if (st == GH_OK && gh_now() < pending->expires_at) {
            gh_strlcpy(r->id, pending->id, sizeof r->id);
            row_set(im, r, ACT_SKIP, "already_invited", "email", "this address has a pending invitation");
            return GH_OK;
        }
        if (st == GH_OK && r->office && !r->factory) {
            r->renew = gh_arena_alloc(im->arena, sizeof *r->renew);
            if (!r->renew) return gh_ctx_oom(ctx);
            *r->renew = *pending;
        }
        if (st != GH_OK && st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
    }
    if (*badge) {
        st = gh_store_user_get_by_badge(ctx->db, im->org.id, badge, u, &ctx->err);
        if (st == GH_OK) {
            gh_strlcpy(r->id, u->id, sizeof r->id);
            if (!*email) {
                row_set(im, r, ACT_SKIP, "already_member", "badge", "a staff member with this badge exists");
            } else {
                r->id[0] = '\0';
                row_set(im, r, ACT_ERROR, "badge_taken", "badge", "another staff member has this badge");
            }
            return GH_OK;
        }
        if (st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
    }
    /* Seats, in file order: the row that reaches the limit is refused. */
    static const char *const kind_names[2] = {"office", "factory"};
    bool need[2] = {r->office, r->factory};
    for (int k = 0; k < 2; k++) {
        if (need[k] && im->limit[k] >= 0 && im->used[k] + 1 > im->limit[k]) {
            row_set(im, r, ACT_ERROR, "seat_limit_reached", k == 0 ? "office_access" : "factory_access",
                    "all %lld %s seats of the subscription are in use", (long long)im->limit[k], kind_names[k]);
            return GH_OK;
        }
    }
    for (int k = 0; k < 2; k++)
        if (need[k]) im->used[k]++;
    row_set(im, r, r->factory ? ACT_CREATE : ACT_INVITE, NULL, NULL, NULL);
    return GH_OK;
}

/* ---- pass 3: applying -------------------------------------------------------------------- */
static gh_status create_member(importer *im, row *r, gh_user *u)
{
    gh_ctx *ctx = im->ctx;
    int64_t now = gh_now();
    memset(u, 0, sizeof *u);
    gh_id_new("usr", u->id);
    gh_strlcpy(u->org_id, im->org.id, sizeof u->org_id);
    gh_strlcpy(u->email, r->f[COL_EMAIL], sizeof u->email);
    gh_strlcpy(u->name, r->f[COL_NAME], sizeof u->name);
    gh_strlcpy(u->role_key, r->role->key, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    gh_strlcpy(u->badge, r->f[COL_BADGE], sizeof u->badge);
    u->office_access = r->office;
    u->factory_access = r->factory;
    u->modules_all = true;
    u->created_at = u->updated_at = now;
    gh_status st = gh_store_user_insert(ctx->db, u, &ctx->err);
    if (st == GH_OK)
        st = gh_audit(ctx, NULL, "user.created", "user", u->id,
                      json_pack("{s:s, s:s?, s:s, s:s, s:b, s:b, s:s, s:I}", "name", u->name, "email",
                                u->email[0] ? u->email : NULL, "role", u->role_key, "badge", u->badge,
                                "office_access", u->office_access, "factory_access", u->factory_access, "source",
                                "import", "row", (json_int_t)r->row));
    /* An office user confirms the address and chooses a password. */
    if (st == GH_OK && r->office) st = gh_accounts_mail_verify(ctx, &im->org, u);
    if (st == GH_OK) gh_strlcpy(r->id, u->id, sizeof r->id);
    return st;
}

static gh_status apply(importer *im, gh_user *u)
{
    gh_ctx *ctx = im->ctx;
    char inviter[GH_NAME_MAX + 1];
    int64_t added[2] = {0, 0};
    gh_status st = GH_OK;
    gh_invite_inviter_name(ctx, &im->org, inviter);
    for (size_t i = 0; i < im->nrows && st == GH_OK; i++) {
        row *r = &im->rows[i];
        if (r->act == ACT_INVITE) {
            gh_invite v;
            st = gh_invite_issue(ctx, &im->org, r->role, r->f[COL_EMAIL], r->renew, inviter, "import", &v, NULL);
            if (st == GH_OK) gh_strlcpy(r->id, v.id, sizeof r->id);
        } else if (r->act == ACT_CREATE) {
            st = create_member(im, r, u);
        } else {
            continue;
        }
        if (r->office) added[0]++;
        if (r->factory) added[1]++;
    }
    /* Pass 2 counted seats already; this is the invariant every write path
     * ends with. */
    if (st == GH_OK) st = gh_seats_require_n(ctx, &im->org, GH_SEAT_OFFICE, added[0]);
    if (st == GH_OK) st = gh_seats_require_n(ctx, &im->org, GH_SEAT_FACTORY, added[1]);
    if (st == GH_OK)
        st = gh_audit(ctx, NULL, "users.imported", "org", im->org.id,
                      json_pack("{s:I, s:I, s:I, s:I, s:I}", "rows", (json_int_t)im->nrows, "invited",
                                (json_int_t)im->counts[ACT_INVITE], "created", (json_int_t)im->counts[ACT_CREATE],
                                "skipped", (json_int_t)im->counts[ACT_SKIP], "errors",
                                (json_int_t)im->counts[ACT_ERROR]));
    return st;
}

/* ---- no escalation ------------------------------------------------------------------------ */
/* Inside the transaction: every role the file would give (to invitees and
 * new staff, with every module and no grants) may only confer permissions
 * the actor holds; otherwise the whole file is refused (403 escalation,
 * `missing` the union, `rows` the rows asking for them). u is scratch. */
static gh_status refuse_escalation(importer *im, gh_user *u)
{
    gh_ctx *ctx = im->ctx;
    gh_permset held, need, gives, miss;
    gh_status st = gh_guard_actor_latent(ctx, &held);
    if (st != GH_OK) return st;
    gh_permset_clear(&need);
    json_t *rows = json_array();
    if (!rows) return gh_ctx_oom(ctx);
    for (size_t i = 0; i < im->nrows; i++) {
        const row *r = &im->rows[i];
        if (r->act != ACT_INVITE && r->act != ACT_CREATE) continue;
        memset(u, 0, sizeof *u);
        gh_strlcpy(u->role_key, r->role->key, sizeof u->role_key);
        u->modules_all = true;
        if ((st = gh_guard_user_latent(ctx, &im->org, u, &gives)) != GH_OK) { json_decref(rows); return st; }
        if (!gh_guard_missing(&held, &gives, &miss)) continue;
        gh_permset_or(&need, &gives);
        json_array_append_new(rows, json_integer((json_int_t)r->row));
    }
    st = gh_guard_escalation(&ctx->err, gh_access_catalog(), &held, &need,
                             "the file gives roles with permissions you do not hold yourself");
    if (st != GH_OK) gh_err_extra(&ctx->err, "rows", rows);
    else json_decref(rows);
    return st;
}

/* ---- the report ------------------------------------------------------------------------- */
static json_t *nz_json(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *report_rows(const importer *im, bool with_ids)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < im->nrows; i++) {
        const row *r = &im->rows[i];
        json_t *o = json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:o}", "row", (json_int_t)r->row, "line",
                              (json_int_t)r->line, "action", act_names[r->act], "name", nz_json(r->f[COL_NAME]),
                              "email", nz_json(r->f[COL_EMAIL]), "badge", nz_json(r->f[COL_BADGE]), "role",
                              nz_json(r->f[COL_ROLE]));
        if (!o) continue;
        if (r->code) json_object_set_new(o, "code", json_string(r->code));
        if (r->column) json_object_set_new(o, "column", json_string(r->column));
        if (r->detail) json_object_set_new(o, "detail", json_string(r->detail));
        if (r->renew && r->act == ACT_INVITE) json_object_set_new(o, "renewed", json_true());
        bool new_thing = r->act == ACT_INVITE || r->act == ACT_CREATE;
        if (r->id[0] && (with_ids || !new_thing)) {
            bool invite = r->act == ACT_INVITE || (r->code && strcmp(r->code, "already_invited") == 0);
            json_object_set_new(o, invite ? "invite_id" : "user_id", json_string(r->id));
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *summary(const importer *im)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "rows", (json_int_t)im->nrows, "invite",
                     (json_int_t)im->counts[ACT_INVITE], "create", (json_int_t)im->counts[ACT_CREATE], "skip",
                     (json_int_t)im->counts[ACT_SKIP], "error", (json_int_t)im->counts[ACT_ERROR]);
}

/* ---- the whole import --------------------------------------------------------------------- */
typedef struct {
    importer *im;
    gh_user *u;
    gh_invite *pending;
    const gh_import_opts *opts;
    bool rejected; /* all_or_nothing and some row has an error */
    bool applied;  /* the invitations and accounts were written */
} import_op;

/* Decides every row against the org's rows, and applies them unless this
 * is a dry run, rejected, or has nothing to do (then nothing is kept). The
 * rows' own events are written by apply. */
static gh_status import_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    import_op *op = arg;
    importer *im = op->im;
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &im->org, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_role_each(ctx->db, im->org.id, role_push, im, &ctx->err)) != GH_OK) return st;
    if (im->roles_oom) return gh_ctx_oom(ctx);
    im->limit[0] = im->org.seats_office;
    im->limit[1] = im->org.seats_factory;
    im->used[0] = gh_seats_used(ctx->db, im->org.id, GH_SEAT_OFFICE);
    im->used[1] = gh_seats_used(ctx->db, im->org.id, GH_SEAT_FACTORY);
    if (im->used[0] < 0 || im->used[1] < 0) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot count seats");
    for (size_t i = 0; i < im->nrows; i++) {
        if ((st = decide(im, &im->rows[i], op->u, op->pending)) != GH_OK) return st;
        im->counts[im->rows[i].act]++;
    }
    if ((st = refuse_escalation(im, op->u)) != GH_OK) return st;
    op->rejected = op->opts->all_or_nothing && im->counts[ACT_ERROR] > 0;
    bool changes = im->counts[ACT_INVITE] + im->counts[ACT_CREATE] > 0;
    op->applied = !op->opts->dry_run && !op->rejected && changes;
    if (!op->applied) {
        tx->unchanged = true;
        return GH_OK;
    }
    return apply(im, op->u);
}

gh_status gh_users_import(gh_ctx *ctx, const char *data, size_t len, const gh_import_opts *opts, json_t **report)
{
    importer *im = calloc(1, sizeof *im);
    gh_user *u = malloc(sizeof *u);
    gh_invite *pending = malloc(sizeof *pending);
    gh_csv c = {0};
    gh_status st;
    *report = NULL;
    if (!im || !u || !pending || !(im->arena = gh_arena_new())) { st = gh_ctx_oom(ctx); goto out; }
    im->ctx = ctx;
    if (!gh_csv_init(&c, data, len)) {
        st = c.err_line ? csv_fault(im, &c, 0) : gh_ctx_oom(ctx);
        goto out;
    }
    if ((st = read_header(im, &c)) != GH_OK) goto out;
    if ((st = read_rows(im, &c)) != GH_OK) goto out;
    if (!strset_init(&im->emails, im->nrows) || !strset_init(&im->badges, im->nrows)) { st = gh_ctx_oom(ctx); goto out; }

    import_op op = {.im = im, .u = u, .pending = pending, .opts = opts};
    if ((st = gh_tx_run(ctx, import_change, &op)) != GH_OK) goto out;
    bool rejected = op.rejected, applied = op.applied;
    if (rejected && !opts->dry_run) {
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "import_rejected",
                     "%zu row(s) have errors; with all_or_nothing nothing was imported", im->counts[ACT_ERROR]);
        gh_err_extra(&ctx->err, "summary", summary(im));
        gh_err_extra(&ctx->err, "rows", report_rows(im, false));
        goto out;
    }
    *report = json_pack("{s:b, s:b, s:b, s:b, s:o, s:o}", "dry_run", opts->dry_run, "all_or_nothing",
                        opts->all_or_nothing, "applied", applied, "rejected", rejected, "summary", summary(im),
                        "rows", report_rows(im, applied));
    if (!*report) st = gh_ctx_oom(ctx);
out:
    if (st != GH_OK && ctx->err.status == GH_OK) gh_fail(&ctx->err, st, "internal", "internal error");
    gh_csv_release(&c);
    if (im) {
        strset_free(&im->emails);
        strset_free(&im->badges);
        free(im->rows);
        free(im->roles);
        gh_arena_free(im->arena);
    }
    free(im);
    free(u);
    free(pending);
    return st;
}
