/* Lists and searches at 1,000 and 100,000 people (issue 17), in process:
 * one organization per size filled through the store (so every index and
 * trigger is written as by the server), then each list and search query of
 * the API timed at the store (no HTTP, no JSON), p50 and p99 over many
 * runs, and the ratio of the largest size to the smallest.
 *
 *   build/bench_search [SIZES] [RUNS]     e.g. build/bench_search 1000,100000 200
 *
 * Names as bench/scale.mjs makes them ("Anna Zola 1234": 12 first names by
 * 10 surnames, so a surname is a tenth of the org and clusters in name
 * order); a tenth have an e-mail, the rest a badge; 1 % locked. A tenth as
 * many pending invitations as people, and one audit event per person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/db.h"
#include "store/invites.h"
#include "store/store.h"
#include "util/util.h"

static const char *const FIRST[] = {"Émile", "José", "Zoë", "Anna", "Jürgen", "Łukasz",
                                    "Mia",   "Noah", "Ines", "Omar", "Chloé",  "Sven"};
static const char *const LAST[] = {"Zola", "Núñez", "Schmidt", "Müller", "Kowalski",
                                   "Rossi", "Dubois", "Smith", "Novák", "García"};

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, const gh_err *e)
{
    fprintf(stderr, "bench_search: %s: %s\n", what, e ? e->detail : "");
    exit(1);
}

static void fill(gh_db *db, int n)
{
    gh_err e = {0};
    gh_org o = {0};
    snprintf(o.id, sizeof o.id, "org_bench");
    snprintf(o.slug, sizeof o.slug, "bench");
    snprintf(o.name, sizeof o.name, "Bench");
    snprintf(o.template_set, sizeof o.template_set, "plant");
    o.seats_office = o.seats_factory = -1;
    o.session_idle_s = o.session_max_s = o.invite_ttl_s = 3600;
    o.kiosk_pin_min = 6;
    o.kiosk_idle_s = o.kiosk_session_s = 60;
    o.created_at = 1;
    if (gh_db_begin(db, &e) != GH_OK) die("begin", &e);
    if (gh_store_org_insert(db, &o, &e) != GH_OK) die("org", &e);
    gh_role r = {0};
    snprintf(r.org_id, sizeof r.org_id, "org_bench");
    snprintf(r.key, sizeof r.key, "user");
    snprintf(r.name, sizeof r.name, "User");
    r.created_at = r.updated_at = 1;
    if (gh_store_role_insert(db, &r, &e) != GH_OK) die("role", &e);
    gh_user *u = calloc(1, sizeof *u);
    gh_invite *v = calloc(1, sizeof *v);
    if (!u || !v) die("out of memory", NULL);
    for (int i = 0; i < n; i++) {
        memset(u, 0, sizeof *u);
        snprintf(u->id, sizeof u->id, "usr_b%d", i);
        snprintf(u->org_id, sizeof u->org_id, "org_bench");
        snprintf(u->name, sizeof u->name, "%s %s %d", FIRST[i % 12], LAST[(i / 12) % 10], i);
        if (i % 10 == 0) snprintf(u->email, sizeof u->email, "p%d@bench.test", i);
        else snprintf(u->badge, sizeof u->badge, "B%d", i);
        snprintf(u->role_key, sizeof u->role_key, "user");
        snprintf(u->status, sizeof u->status, "%s", i % 100 == 7 ? "locked" : "active");
        u->office_access = i % 10 == 0;
        u->factory_access = i % 10 != 0;
        u->modules_all = true;
        u->created_at = u->updated_at = 1;
        if (gh_store_user_insert(db, u, &e) != GH_OK) die("user", &e);
        char detail[64];
        snprintf(detail, sizeof detail, "{\"i\":%d}", i);
        gh_audit_row a = {.org_id = "org_bench", .actor_type = "user", .actor_id = "usr_b0",
                          .action = i % 3 ? "user.created" : "user.updated", .target_type = "user",
                          .target_id = u->id, .ip = "127.0.0.1", .request_id = "", .detail_json = detail, .at = i};
        if (gh_store_audit_insert(db, &a, &e) != GH_OK) die("audit", &e);
        if (i % 10 == 0) {
            memset(v, 0, sizeof *v);
            snprintf(v->id, sizeof v->id, "inv_b%d", i);
            snprintf(v->org_id, sizeof v->org_id, "org_bench");
            snprintf(v->email, sizeof v->email, "%s.%d@%s.test", LAST[(i / 12) % 10] + (i % 7 == 0), i,
                     i % 4 ? "plant" : "office");
            snprintf(v->role_key, sizeof v->role_key, "user");
            snprintf(v->token_hash, sizeof v->token_hash, "h%d", i);
            snprintf(v->status, sizeof v->status, "pending");
            v->created_at = v->sent_at = i;
            v->expires_at = 1LL << 40;
            if (gh_store_invite_insert(db, v, &e) != GH_OK) die("invite", &e);
        }
    }
    free(u);
    free(v);
    if (gh_db_commit(db, &e) != GH_OK) die("commit", &e);
}

typedef struct {
    int n;
    char last_name[GH_NAME_MAX + 1], last_id[GH_ID_MAX];
} page_acc;

static void on_user(const gh_user *u, void *arg)
{
    page_acc *a = arg;
    a->n++;
    memcpy(a->last_name, u->name, sizeof a->last_name);
    memcpy(a->last_id, u->id, sizeof a->last_id);
}

static void on_invite(const gh_invite *v, void *arg)
{
    page_acc *a = arg;
    a->n++;
    memcpy(a->last_id, v->id, sizeof a->last_id);
}

/* What one case runs: a user list, an invitation list or an audit list,
 * first page and then, if it is full, the next one by its cursor. */
typedef struct bcase {
    const char *label, *kind, *q, *status;
    int access;
    double p50, p99;
} bcase;

static int run_case(gh_db *db, const bcase *c, bool next)
{
    gh_err e = {0};
    page_acc a = {0};
    if (strcmp(c->kind, "users") == 0) {
        gh_user_filter f = {.q = c->q, .status = c->status, .access = c->access, .limit = 100};
        if (gh_store_user_list(db, "org_bench", &f, on_user, &a, &e) != GH_OK) die(c->label, &e);
        if (next && a.n == 100) {
            gh_user_filter g = f;
            g.after_name = a.last_name;
            g.after_id = a.last_id;
            a.n = 0;
            if (gh_store_user_list(db, "org_bench", &g, on_user, &a, &e) != GH_OK) die(c->label, &e);
        }
    } else if (strcmp(c->kind, "invites") == 0) {
        gh_invite_filter f = {.q = c->q, .limit = 100};
        if (gh_store_invite_list_pending(db, "org_bench", &f, on_invite, &a, &e) != GH_OK) die(c->label, &e);
    } else {
        gh_audit_filter f = {.q = c->q, .limit = 100};
        json_t *items = json_array();
        int64_t seq = 0;
        if (!items || gh_store_audit_list(db, "org_bench", &f, items, &seq, &e) != GH_OK) die(c->label, &e);
        a.n = (int)json_array_size(items);
        json_decref(items);
        if (next && seq) {
            items = json_array();
            f.before_seq = seq;
            if (!items || gh_store_audit_list(db, "org_bench", &f, items, &seq, &e) != GH_OK) die(c->label, &e);
            a.n = (int)json_array_size(items);
            json_decref(items);
        }
    }
    return a.n;
}

int main(int argc, char **argv)
{
    const char *sizes = argc > 1 ? argv[1] : "1000,100000";
    int64_t runs = 200;
    if (argc > 2 && !gh_parse_i64(argv[2], 10, 100000, &runs)) return 2;
    static bcase base[] = {
        {"users page", "users", NULL, NULL, 0, 0, 0},
        {"users q rare (ines novak)", "users", "ines novak", NULL, 0, 0, 0},
        {"users q rare (b12)", "users", "b12", NULL, 0, 0, 0},
        {"users q common (zola)", "users", "zola", NULL, 0, 0, 0},
        {"users q common (NUNEZ)", "users", "NUNEZ", NULL, 0, 0, 0},
        {"users q common (jurgen)", "users", "jurgen", NULL, 0, 0, 0},
        {"users q accented (chloé d)", "users", "chloé d", NULL, 0, 0, 0},
        {"users q 2 chars (99)", "users", "99", NULL, 0, 0, 0},
        {"users status=locked", "users", NULL, "locked", 0, 0, 0},
        {"users access=office", "users", NULL, NULL, 1, 0, 0},
        {"invites page", "invites", NULL, NULL, 0, 0, 0},
        {"invites q rare (.1234@)", "invites", ".1234@", NULL, 0, 0, 0},
        {"invites q common (office)", "invites", "office", NULL, 0, 0, 0},
        {"audit page", "audit", NULL, NULL, 0, 0, 0},
        {"audit q rare (emile zola 1)", "audit", "emile zola 1", NULL, 0, 0, 0},
        {"audit q common (updated)", "audit", "updated", NULL, 0, 0, 0},
    };
    enum { NCASE = sizeof base / sizeof base[0], MAXSIZES = 4 };
    static bcase res[MAXSIZES][NCASE];
    int size_v[MAXSIZES], nsizes = 0;
    for (const char *p = sizes; *p && nsizes < MAXSIZES;) {
        char one[16];
        size_t len = strcspn(p, ",");
        int64_t v;
        if (len == 0 || len >= sizeof one) return 2;
        memcpy(one, p, len);
        one[len] = '\0';
        if (!gh_parse_i64(one, 1, 10000000, &v)) return 2;
        size_v[nsizes++] = (int)v;
        p += len + (p[len] == ',');
    }
    if (nsizes == 0) return 2;
    double *lat = malloc(sizeof *lat * (size_t)runs * 2);
    if (!lat) return 1;
    for (int s = 0; s < nsizes; s++) {
        char path[] = "/tmp/gh-bench-search-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) return 1;
        close(fd);
        unlink(path);
        gh_db *db = NULL;
        char err[256];
        if (gh_db_open(path, &db, err, sizeof err) != 0 || gh_db_migrate(db, err, sizeof err) != 0) {
            fprintf(stderr, "bench_search: %s\n", err);
            return 1;
        }
        double t0 = now_us();
        fill(db, size_v[s]);
        fprintf(stderr, "filled %d people in %.1f s\n", size_v[s], (now_us() - t0) / 1e6);
        for (int c = 0; c < NCASE; c++) {
            res[s][c] = base[c];
            int k = 0, found = 0;
            for (int64_t i = 0; i < runs; i++) { /* first pages, then first and next */
                double t = now_us();
                found = run_case(db, &base[c], i % 2 == 1);
                lat[k++] = now_us() - t;
            }
            qsort(lat, (size_t)k, sizeof *lat, cmp_d);
            res[s][c].p50 = lat[k / 2];
            res[s][c].p99 = lat[(int)(k * 0.99) < k ? (int)(k * 0.99) : k - 1];
            printf("{\"people\":%d,\"case\":\"%s\",\"rows\":%d,\"p50_us\":%.0f,\"p99_us\":%.0f}\n", size_v[s],
                   base[c].label, found, res[s][c].p50, res[s][c].p99);
        }
        gh_db_close(db);
        char side[sizeof path + 8];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    free(lat);
    printf("\n%-30s", "p99 (ms)");
    for (int s = 0; s < nsizes; s++) printf("%10d", size_v[s]);
    printf("%10s\n", "ratio");
    for (int c = 0; c < NCASE; c++) {
        printf("%-30s", base[c].label);
        for (int s = 0; s < nsizes; s++) printf("%10.2f", res[s][c].p99 / 1000);
        printf("%10.2f\n", res[nsizes - 1][c].p99 / res[0][c].p99);
    }
    return 0;
}
