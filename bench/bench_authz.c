/*
 * In-process benchmark of the authorization snapshot.
 *
 * Builds a snapshot of one organization using the default catalog's "plant"
 * roles and 100,000 users with varied roles, grants, module subsets and a
 * few inactive accounts, then times on one thread:
 *   - 50,000,000 gh_authz_allowed() calls (the hot path, by index),
 *   - 5,000,000 gh_authz_check() calls (by org id, user id and key),
 *   - two reference loops over the same precomputed inputs: summing them,
 *     and calling an empty out-of-line function with them,
 * and prints one JSON line, so figures can be read as ratios to the
 * reference loops of the same run on the same machine. Random user and
 * permission indexes are generated before timing starts.
 *
 * Usage: bench_authz [catalog.json]   (default: $GH_SOURCE_DIR/catalog/
 * default.json, else ./catalog/default.json)
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdint.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/authz.h"
#include "core/catalog.h"

#define NUSERS 100000
#define N_ALLOWED 50000000UL
#define N_CHECK 5000000UL
#define RING 1048576UL      /* precomputed (user, perm) pairs, a power of two */
#define RING_STR 65536UL    /* precomputed (user id, key) pairs */
#define ID_LEN 16

struct pair {
    int32_t user, perm;
};

struct str_pair {
    const char *user, *key;
};

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void) /* xorshift64 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reference: an out-of-line call doing almost nothing with the same args. */
__attribute__((noinline)) static bool ref_call(const void *az, int user, int perm)
{
    __asm__ volatile("" ::: "memory"); /* keep the call */
    return az && ((user ^ perm) & 1);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        *len = (size_t)size;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    char path[4096], err[512];
    const char *dir = getenv("GH_SOURCE_DIR");
    gh_catalog *cat = NULL;
    gh_authz *az = NULL;
    gh_authz_user_in *users = NULL;
    gh_authz_role_in roles[2];
    struct pair *pairs = NULL;
    struct str_pair *spairs = NULL;
    char(*ids)[ID_LEN] = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = 1;

    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else if (snprintf(path, sizeof path, "%s/catalog/default.json", dir && *dir ? dir : ".") >=
             (int)sizeof path)
        goto out;
    text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "bench_authz: cannot read %s\n", path);
        goto out;
    }
    if (gh_catalog_parse(text, len, path, &cat, err, sizeof err)) {
        fprintf(stderr, "bench_authz: %s\n", err);
        goto out;
    }
    int set = gh_catalog_set_index(cat, "plant");
    int r_user = set < 0 ? -1 : gh_catalog_role_index(cat, (size_t)set, "user");
    int r_admin = set < 0 ? -1 : gh_catalog_role_index(cat, (size_t)set, "admin");
    if (r_user < 0 || r_admin < 0) {
        fprintf(stderr, "bench_authz: the catalog has no plant user/admin roles\n");
        goto out;
    }
    size_t nperm = gh_catalog_perm_count(cat), nmod = gh_catalog_module_count(cat);
    const char *org = "plant-1";
    gh_authz_org_in o = {org, GH_AUTHZ_ALL_MODULES, 1, *gh_catalog_set_open(cat, (size_t)set)}; /* every module, first add-on */
    roles[0] = (gh_authz_role_in){org, "user", *gh_catalog_role_perms(cat, (size_t)set, (size_t)r_user), false};
    roles[1] = (gh_authz_role_in){org, "admin", *gh_catalog_role_perms(cat, (size_t)set, (size_t)r_admin), false};

    users = calloc(NUSERS, sizeof *users);
    ids = calloc(NUSERS, sizeof *ids);
    pairs = calloc(RING, sizeof *pairs);
    spairs = calloc(RING_STR, sizeof *spairs);
    if (!users || !ids || !pairs || !spairs)
        goto out;
    for (size_t i = 0; i < NUSERS; i++) {
        gh_authz_user_in *u = &users[i];
        uint64_t r = rnd();
        snprintf(ids[i], ID_LEN, "u%06zu", i);
        u->org_id = org;
        u->user_id = ids[i];
        u->role_key = r % 100 < 5 ? "admin" : r % 100 < 95 ? "user" : NULL;
        u->modules = rnd() % 10 < 7 ? GH_AUTHZ_ALL_MODULES : rnd() & ((UINT64_C(1) << nmod) - 1);
        for (int g = (int)(rnd() % 4); g > 0; g--)
            gh_permset_set(&u->grants, rnd() % nperm);
        u->active = rnd() % 50 != 0;
    }
    /* Snapshot memory (issue 17): heap in use before and after the build. */
    struct mallinfo2 m0 = mallinfo2();
    double t0 = now_s();
    if (gh_authz_build(cat, &o, 1, roles, 2, users, NUSERS, &az) != GH_AUTHZ_OK) {
        fprintf(stderr, "bench_authz: build failed\n");
        goto out;
    }
    double build_s = now_s() - t0;
    struct mallinfo2 m1 = mallinfo2();
    size_t used0 = m0.uordblks + m0.hblkhd, used1 = m1.uordblks + m1.hblkhd; /* small blocks + mmapped ones */
    size_t snap_bytes = used1 > used0 ? used1 - used0 : 0;

    for (size_t i = 0; i < RING; i++) {
        pairs[i].user = (int32_t)(rnd() % NUSERS);
        pairs[i].perm = (int32_t)(rnd() % (nperm + 1)) - 1; /* -1: an unlisted key */
    }
    for (size_t i = 0; i < RING_STR; i++) {
        spairs[i].user = ids[rnd() % NUSERS];
        size_t p = rnd() % (nperm + 1);
        spairs[i].key = p < nperm ? gh_catalog_perm_key(cat, p) : "no.such.permission";
    }

    /* reference 1: sum the inputs */
    uint64_t sum = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_ALLOWED; i++) {
        const struct pair *q = &pairs[i & (RING - 1)];
        sum += (uint32_t)q->user + (uint32_t)q->perm;
    }
    double ref_sum_s = now_s() - t0;

    /* reference 2: an empty out-of-line call with the inputs */
    uint64_t ref_hits = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_ALLOWED; i++) {
        const struct pair *q = &pairs[i & (RING - 1)];
        ref_hits += ref_call(az, q->user, q->perm);
    }
    double ref_call_s = now_s() - t0;

    /* the hot path */
    uint64_t allowed = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_ALLOWED; i++) {
        const struct pair *q = &pairs[i & (RING - 1)];
        allowed += gh_authz_allowed(az, q->user, q->perm);
    }
    double allowed_s = now_s() - t0;

    /* the string form */
    uint64_t checked = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_CHECK; i++) {
        const struct str_pair *q = &spairs[i & (RING_STR - 1)];
        checked += gh_authz_check(az, org, q->user, q->key, NULL);
    }
    double check_s = now_s() - t0;

    /* Incremental updates (issue 17): one user's grants change, one user is
     * created, one role is edited (recompiling its ~90% holders); each a new
     * snapshot derived from the last, the old one freed, as the server does. */
    double apply_user_s = 0, apply_create_s = 0, apply_role_s = 0;
    enum { N_APPLY = 200 };
    static char new_ids[N_APPLY][ID_LEN];
    for (int k = 0; k < N_APPLY; k++) {
        gh_authz *next = NULL;
        gh_authz_user_in u = users[rnd() % NUSERS];
        gh_permset_set(&u.grants, rnd() % nperm);
        gh_authz_change ch = {.users = &u, .nusers = 1};
        t0 = now_s();
        int arc = gh_authz_apply(az, &ch, &next);
        gh_authz_free(az);
        apply_user_s += now_s() - t0;
        az = next;
        snprintf(new_ids[k], ID_LEN, "n%06d", k);
        u.user_id = new_ids[k];
        t0 = now_s();
        arc |= gh_authz_apply(az, &ch, &next);
        gh_authz_free(az);
        apply_create_s += now_s() - t0;
        az = next;
        if (arc != GH_AUTHZ_OK || !az) {
            fprintf(stderr, "bench_authz: apply failed\n");
            goto out;
        }
    }
    for (int k = 0; k < 20; k++) {
        gh_authz *next = NULL;
        gh_authz_role_in r = roles[0];
        gh_permset_set(&r.perms, rnd() % nperm);
        gh_authz_change ch = {.roles = &r, .nroles = 1};
        t0 = now_s();
        int arc = gh_authz_apply(az, &ch, &next);
        gh_authz_free(az);
        apply_role_s += now_s() - t0;
        az = next;
        if (arc != GH_AUTHZ_OK || !az)
            goto out;
    }
    printf("{\"bench\":\"authz_apply\",\"users\":%d,\"user_change_ms\":%.3f,"
           "\"create_one_ms\":%.3f,\"role_edit_ms\":%.3f,\"full_build_ms\":%.1f,"
           "\"counted_bytes_per_user\":%.0f}\n",
           NUSERS, apply_user_s * 1e3 / N_APPLY, apply_create_s * 1e3 / N_APPLY,
           apply_role_s * 1e3 / 20, build_s * 1e3,
           (double)gh_authz_memory(az) / (double)gh_authz_user_count(az));

    printf("{\"bench\":\"authz\",\"snapshot_bytes\":%zu,\"snapshot_bytes_per_user\":%.0f,", snap_bytes,
           (double)snap_bytes / NUSERS);
    printf("\"users\":%d,\"permissions\":%zu,\"build_ms\":%.1f,"
           "\"allowed\":{\"calls\":%lu,\"seconds\":%.4f,\"ns_per_call\":%.2f,\"per_second\":%.0f,"
           "\"granted_fraction\":%.3f},"
           "\"check_string\":{\"calls\":%lu,\"seconds\":%.4f,\"ns_per_call\":%.2f,"
           "\"per_second\":%.0f,\"granted_fraction\":%.3f},"
           "\"reference_sum\":{\"iterations\":%lu,\"ns_per_iteration\":%.2f,\"per_second\":%.0f},"
           "\"reference_call\":{\"iterations\":%lu,\"ns_per_iteration\":%.2f,\"per_second\":%.0f},"
           "\"allowed_over_reference_call\":%.2f,\"allowed_over_reference_sum\":%.2f,"
           "\"sink\":%llu}\n",
           NUSERS, nperm, build_s * 1e3, N_ALLOWED, allowed_s, allowed_s * 1e9 / (double)N_ALLOWED,
           (double)N_ALLOWED / allowed_s, (double)allowed / (double)N_ALLOWED, N_CHECK, check_s,
           check_s * 1e9 / (double)N_CHECK, (double)N_CHECK / check_s,
           (double)checked / (double)N_CHECK, N_ALLOWED, ref_sum_s * 1e9 / (double)N_ALLOWED,
           (double)N_ALLOWED / ref_sum_s, N_ALLOWED, ref_call_s * 1e9 / (double)N_ALLOWED,
           (double)N_ALLOWED / ref_call_s, allowed_s / ref_call_s, allowed_s / ref_sum_s,
           (unsigned long long)(sum + ref_hits));
    rc = 0;
out:
    gh_authz_free(az);
    gh_catalog_free(cat);
    free(text);
    free(users);
    free(ids);
    free(pairs);
    free(spairs);
    return rc;
}
