/* The encrypted backup of one organization (see orgbackup.h, docs/backup.md). */
#include "core/orgbackup.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/guard.h"
#include "store/orgdump.h"
#include "store/store.h"
#include "util/json.h"
#include "util/util.h"

#define MAGIC "GHORGBAK"
#define FORMAT_VERSION 1u
#define PARAMS_LEN (8 + 4 + 4 + 8 + 8 + crypto_pwhash_SALTBYTES) /* authenticated as every chunk's AD */
#define HEADER_LEN (PARAMS_LEN + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
_Static_assert(PARAMS_LEN == GH_ORGBACKUP_PARAMS_LEN, "header layout");
#define CHUNK 65536u
#define CIPHER_MAX (CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)
#define LINE_MAX_BYTES (4u << 20)
/* Import refuses parameters beyond these (a file must not make us burn a GiB). */
#define OPS_MAX 16u
#define MEM_MAX (1024u << 20)

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xff);
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xff);
}
static uint32_t get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

gh_status gh_orgbackup_check_passphrase(gh_err *err, const char *pass)
{
    size_t n = pass ? gh_strnlen_max(pass, GH_ORGBACKUP_PASS_MAX + 1) : 0;
    if (n < GH_ORGBACKUP_PASS_MIN || n > GH_ORGBACKUP_PASS_MAX)
        return gh_fail_field(err, GH_E_INVALID, "weak_passphrase", "passphrase",
                             "a backup passphrase is %d to %d characters", GH_ORGBACKUP_PASS_MIN,
                             GH_ORGBACKUP_PASS_MAX);
    return GH_OK;
}

/* ---- export ------------------------------------------------------------------ */

typedef struct writer {
    FILE *out;
    crypto_secretstream_xchacha20poly1305_state ss;
    unsigned char params[PARAMS_LEN];
    unsigned char buf[CHUNK];
    size_t len;
    unsigned char cipher[CIPHER_MAX];
    int64_t rows;
} writer;

static int push(writer *w, unsigned char tag)
{
    unsigned long long clen = 0;
    unsigned char lenbuf[4];
    if (crypto_secretstream_xchacha20poly1305_push(&w->ss, w->cipher, &clen, w->buf, w->len, w->params,
                                                   sizeof w->params, tag) != 0)
        return -1;
    put_u32(lenbuf, (uint32_t)clen);
    if (fwrite(lenbuf, 1, 4, w->out) != 4 || fwrite(w->cipher, 1, (size_t)clen, w->out) != (size_t)clen) return -1;
    sodium_memzero(w->buf, w->len);
    w->len = 0;
    return 0;
}

static int write_bytes(writer *w, const char *p, size_t n)
{
    while (n > 0) {
        size_t room = CHUNK - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        p += k;
        n -= k;
        if (w->len == CHUNK && push(w, 0) != 0) return -1;
    }
    return 0;
}

static int write_line(writer *w, json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT);
    if (!text) return -1;
    size_t n = strlen(text);
    int rc = write_bytes(w, text, n) == 0 && write_bytes(w, "\n", 1) == 0 ? 0 : -1;
    sodium_memzero(text, n); /* credential hashes */
    free(text);
    return rc;
}

static int emit_row(const char *table, json_t *row, void *arg)
{
    writer *w = arg;
    json_t *line = json_pack("{s:s, s:O}", "table", table, "row", row);
    if (!line) return -1;
    int rc = write_line(w, line);
    json_decref(line);
    if (rc == 0) w->rows++;
    return rc;
}

void gh_orgbackup_derive(gh_orgbackup_key *k, const char *passphrase)
{
    unsigned char *p = k->params;
    memcpy(p, MAGIC, 8);
    put_u32(p + 8, FORMAT_VERSION);
    put_u32(p + 12, (uint32_t)crypto_pwhash_ALG_ARGON2ID13);
    put_u64(p + 16, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    put_u64(p + 24, crypto_pwhash_MEMLIMIT_INTERACTIVE);
    randombytes_buf(p + 32, crypto_pwhash_SALTBYTES);
    k->rc = crypto_pwhash(k->key, sizeof k->key, passphrase, strlen(passphrase), p + 32,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                          crypto_pwhash_ALG_ARGON2ID13);
}

typedef struct {
    writer *w;
    const unsigned char *header;
} export_op;

/* The export, read inside one transaction (a consistent copy) that keeps
 * only its own event. */
static gh_status export_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)tx; /* audited first, so the backup holds its own export event */
    export_op *op = arg;
    writer *w = op->w;
    FILE *out = w->out;
    gh_org org;
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &org, &ctx->err)) != GH_OK) return st;
    if ((st = gh_audit(ctx, org.id, "org.backup_exported", "org", org.id,
                       json_pack("{s:s, s:i}", "format", "gatehouse-org-backup", "version", (int)FORMAT_VERSION))) !=
        GH_OK)
        return st;
    if (fwrite(w->params, 1, sizeof w->params, out) != sizeof w->params ||
        fwrite(op->header, 1, crypto_secretstream_xchacha20poly1305_HEADERBYTES, out) !=
            crypto_secretstream_xchacha20poly1305_HEADERBYTES)
        goto io;
    json_t *meta = json_pack("{s:s, s:i, s:I, s:s, s:s, s:I}", "format", "gatehouse-org-backup", "version",
                             (int)FORMAT_VERSION, "schema", (json_int_t)gh_db_schema_version(), "org_id", org.id,
                             "slug", org.slug, "exported_at", (json_int_t)time(NULL));
    int mrc = meta ? write_line(w, meta) : -1;
    json_decref(meta);
    if (mrc != 0) goto io;
    char err[256];
    if (gh_store_org_dump(ctx->db, org.id, emit_row, w, err, sizeof err) != 0)
        return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "%s", err);
    if (push(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL) != 0 || fflush(out) != 0 || ferror(out)) goto io;
    return GH_OK;
io:
    return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot write the backup");
}

gh_status gh_orgbackup_export(gh_ctx *ctx, const gh_orgbackup_key *k, FILE *out)
{
    if (k->rc != 0) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot derive the backup key");
    writer *w = sodium_malloc(sizeof *w);
    if (!w) return gh_ctx_oom(ctx);
    memset(w, 0, sizeof *w);
    w->out = out;
    memcpy(w->params, k->params, sizeof w->params);
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&w->ss, header, k->key);
    export_op op = {.w = w, .header = header};
    /* Nothing the authorization snapshot holds changes: no refresh (as before). */
    gh_status st = gh_tx_run_no_refresh(ctx, export_change, &op);
    sodium_free(w);
    return st;
}

/* ---- import ------------------------------------------------------------------ */

typedef struct reader {
    gh_ctx *ctx;
    const char *as_slug;
    gh_orgbackup_summary *sum;
    bool have_meta, have_org;
    char *line;
    size_t len, cap;
} reader;

static gh_status bad(gh_ctx *ctx, const char *what)
{
    return gh_fail(&ctx->err, GH_E_INVALID, "invalid_backup", "%s", what);
}

static gh_status check_keys(gh_ctx *ctx, json_t *row, const char *col, gh_key_kind kind, const char *table)
{
    json_t *v = json_object_get(row, col);
    if (!json_is_string(v)) return GH_OK;
    json_t *arr = gh_json_keylist(json_string_value(v));
    char out[4096], field[96];
    snprintf(field, sizeof field, "%s.%s", table, col);
    gh_status st = arr ? gh_access_validate_keys(arr, kind, field, out, sizeof out, &ctx->err) : gh_ctx_oom(ctx);
    json_decref(arr);
    return st;
}

static gh_status load_line(reader *rd, const char *text, size_t n)
{
    gh_ctx *ctx = rd->ctx;
    json_error_t je;
    gh_status st = GH_OK;
    json_t *line = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(line)) { st = bad(ctx, "the backup holds a line that is not JSON"); goto out; }
    if (!rd->have_meta) {
        json_t *schema = json_object_get(line, "schema");
        if (!json_is_string(json_object_get(line, "format")) ||
            strcmp(json_string_value(json_object_get(line, "format")), "gatehouse-org-backup") != 0 ||
            json_integer_value(json_object_get(line, "version")) != FORMAT_VERSION) {
            st = bad(ctx, "not a gatehouse organization backup");
            goto out;
        }
        if (json_integer_value(schema) != gh_db_schema_version()) {
            st = gh_fail(&ctx->err, GH_E_INVALID, "schema_mismatch",
                         "the backup is of schema version %lld, this server has %d: import it with the same version",
                         (long long)json_integer_value(schema), gh_db_schema_version());
            goto out;
        }
        rd->have_meta = true;
        goto out;
    }
    const char *table = json_string_value(json_object_get(line, "table"));
    json_t *row = json_object_get(line, "row");
    if (!table || !json_is_object(row)) { st = bad(ctx, "a row line lacks table or row"); goto out; }
    if (!rd->have_org) {
        if (strcmp(table, "orgs") != 0) { st = bad(ctx, "the backup does not start with its organization"); goto out; }
        const char *id = json_string_value(json_object_get(row, "id"));
        const char *slug = rd->as_slug ? rd->as_slug : json_string_value(json_object_get(row, "slug"));
        if (!id || !slug) { st = bad(ctx, "the organization row lacks id or slug"); goto out; }
        if (rd->as_slug && json_object_set_new(row, "slug", json_string(rd->as_slug)) != 0) { st = gh_ctx_oom(ctx); goto out; }
        gh_org o;
        gh_err probe = {0};
        if (gh_store_org_get_by_slug(ctx->db, slug, &o, &probe) == GH_OK) {
            st = gh_fail(&ctx->err, GH_E_CONFLICT, "slug_taken",
                         "an organization with slug %s exists already: import with --as-slug NEW", slug);
            goto out;
        }
        if (gh_store_org_get(ctx->db, id, &o, &probe) == GH_OK) {
            st = gh_fail(&ctx->err, GH_E_CONFLICT, "id_collision",
                         "organization id %s exists already in this database (slug %s)", id, o.slug);
            goto out;
        }
        if ((st = check_keys(ctx, row, "modules", GH_KEYS_MODULES, table)) != GH_OK ||
            (st = check_keys(ctx, row, "addons", GH_KEYS_ADDONS, table)) != GH_OK)
            goto out;
        gh_strlcpy(rd->sum->org_id, id, sizeof rd->sum->org_id);
        gh_strlcpy(rd->sum->slug, slug, sizeof rd->sum->slug);
        rd->have_org = true;
    } else {
        json_t *org = json_object_get(row, "org_id");
        if (strcmp(table, "orgs") == 0 || (org && (!json_is_string(org) ||
                                                   strcmp(json_string_value(org), rd->sum->org_id) != 0))) {
            st = gh_fail(&ctx->err, GH_E_INVALID, "invalid_backup", "the backup holds a %s row of another organization",
                         table);
            goto out;
        }
    }
    if (strcmp(table, "roles") == 0 && (st = check_keys(ctx, row, "permissions", GH_KEYS_PERMISSIONS, table)) != GH_OK)
        goto out;
    if (strcmp(table, "users") == 0 && ((st = check_keys(ctx, row, "grants", GH_KEYS_PERMISSIONS, table)) != GH_OK ||
                                        (st = check_keys(ctx, row, "modules", GH_KEYS_MODULES, table)) != GH_OK))
        goto out;
    char err[512];
    if (gh_store_org_load(ctx->db, rd->sum->org_id, table, row, err, sizeof err) != 0) {
        st = gh_fail(&ctx->err, strstr(err, "collides") ? GH_E_CONFLICT : GH_E_INVALID,
                     strstr(err, "collides") ? "id_collision" : "invalid_backup", "%s", err);
        goto out;
    }
    rd->sum->rows++;
    if (strcmp(table, "users") == 0) rd->sum->users++;
    else if (strcmp(table, "roles") == 0) rd->sum->roles++;
    else if (strcmp(table, "groups") == 0) rd->sum->groups++;
    else if (strcmp(table, "audit") == 0) rd->sum->audit_events++;
out:
    json_decref(line);
    return st;
}

/* Appends plaintext and loads every complete line. */
static gh_status feed(reader *rd, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            gh_status st = load_line(rd, rd->line, rd->len);
            sodium_memzero(rd->line, rd->len);
            rd->len = 0;
            if (st != GH_OK) return st;
            continue;
        }
        if (rd->len + 1 > rd->cap) {
            if (rd->cap >= LINE_MAX_BYTES) return bad(rd->ctx, "the backup holds a line longer than 4 MiB");
            size_t nc = rd->cap ? rd->cap * 2 : 4096;
            char *nl = sodium_malloc(nc);
            if (!nl) return gh_ctx_oom(rd->ctx);
            if (rd->line) {
                memcpy(nl, rd->line, rd->len);
                sodium_free(rd->line);
            }
            rd->line = nl;
            rd->cap = nc;
        }
        rd->line[rd->len++] = (char)p[i];
    }
    return GH_OK;
}

gh_status gh_orgbackup_import(gh_ctx *ctx, FILE *in, const char *passphrase, const char *as_slug,
                              gh_orgbackup_summary *sum)
{
    static const char *const damaged = "wrong passphrase, or the file is damaged or was changed";
    memset(sum, 0, sizeof *sum);
    unsigned char params[PARAMS_LEN], header[crypto_secretstream_xchacha20poly1305_HEADERBYTES], lenbuf[4];
    unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    crypto_secretstream_xchacha20poly1305_state ss;
    unsigned char *cipher = malloc(CIPHER_MAX), *plain = sodium_malloc(CHUNK);
    reader rd = {.ctx = ctx, .as_slug = as_slug, .sum = sum};
    bool in_tx = false, final = false;
    gh_status st = GH_OK;
    if (!cipher || !plain) { st = gh_ctx_oom(ctx); goto out; }
    if (!passphrase || !*passphrase) { st = bad(ctx, "an empty passphrase"); goto out; }
    if (fread(params, 1, sizeof params, in) != sizeof params || fread(header, 1, sizeof header, in) != sizeof header ||
        memcmp(params, MAGIC, 8) != 0) {
        st = bad(ctx, "not a gatehouse organization backup (bad header)");
        goto out;
    }
    uint64_t ops = get_u64(params + 16), mem = get_u64(params + 24);
    if (get_u32(params + 8) != FORMAT_VERSION || get_u32(params + 12) != (uint32_t)crypto_pwhash_ALG_ARGON2ID13) {
        st = bad(ctx, "an organization backup of an unknown format version");
        goto out;
    }
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > OPS_MAX || mem < crypto_pwhash_MEMLIMIT_MIN || mem > MEM_MAX) {
        st = bad(ctx, "an organization backup with key parameters out of range");
        goto out;
    }
    if (crypto_pwhash(key, sizeof key, passphrase, strlen(passphrase), params + 32, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0 ||
        crypto_secretstream_xchacha20poly1305_init_pull(&ss, header, key) != 0) {
        st = bad(ctx, damaged);
        goto out;
    }
    /* Not gh_tx_run: a long restore that reads and checks the file inside its transaction. */
    if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) goto out;
    in_tx = true;
    while (!final) {
        size_t got = fread(lenbuf, 1, 4, in);
        if (got != 4) { st = bad(ctx, got == 0 ? "the backup is truncated (no final chunk)" : damaged); goto out; }
        uint32_t clen = get_u32(lenbuf);
        if (clen < crypto_secretstream_xchacha20poly1305_ABYTES || clen > CIPHER_MAX ||
            fread(cipher, 1, clen, in) != clen) {
            st = bad(ctx, damaged);
            goto out;
        }
        unsigned long long plen = 0;
        unsigned char tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&ss, plain, &plen, &tag, cipher, clen, params, sizeof params) !=
            0) {
            st = bad(ctx, damaged);
            goto out;
        }
        final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
        if ((st = feed(&rd, plain, (size_t)plen)) != GH_OK) goto out;
        sodium_memzero(plain, CHUNK);
    }
    if (fgetc(in) != EOF) { st = bad(ctx, "the backup has bytes after its final chunk"); goto out; }
    if (rd.len != 0 || !rd.have_org) { st = bad(ctx, "the backup ends inside a line or holds no organization"); goto out; }
    if ((st = gh_audit(ctx, sum->org_id, "org.backup_imported", "org", sum->org_id,
                       json_pack("{s:s, s:I, s:I}", "slug", sum->slug, "users", (json_int_t)sum->users, "rows",
                                 (json_int_t)sum->rows))) != GH_OK)
        goto out;
    st = gh_db_commit(ctx->db, &ctx->err);
    in_tx = false;
out:
    if (in_tx) gh_ctx_rollback(ctx, st);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&ss, sizeof ss);
    if (rd.line) sodium_free(rd.line);
    if (plain) sodium_free(plain);
    free(cipher);
    return st;
}
