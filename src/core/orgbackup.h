/*
 * The encrypted backup of one organization (issue 21 item 6): exported by
 * POST /v1/backup, restored by `gatehouse org import`. Format in
 * docs/backup.md: a 72-byte header (magic "GHORGBAK", version, argon2id
 * parameters and salt, secretstream header), then length-prefixed
 * crypto_secretstream_xchacha20poly1305 chunks whose plaintext, joined, is
 * NDJSON: one meta line, then one {"table","row"} line per row.
 */
#ifndef GH_ORGBACKUP_H
#define GH_ORGBACKUP_H
#include <stdint.h>
#include <stdio.h>

#include "core/ctx.h"

#define GH_ORGBACKUP_PASS_MIN 12
#define GH_ORGBACKUP_PASS_MAX 1024

#define GH_ORGBACKUP_PARAMS_LEN 48 /* magic .. salt: the header part every chunk authenticates */

/* 400 weak_passphrase (field passphrase) unless 12..1024 bytes. */
gh_status gh_orgbackup_check_passphrase(gh_err *err, const char *passphrase);

/* The export key: fresh salt, argon2id parameters and the derived key.
 * Derived apart from the export (slow: the API runs it on the hashing pool).
 * Allocate with sodium_malloc and free with sodium_free (wipes it). */
typedef struct gh_orgbackup_key {
    unsigned char params[GH_ORGBACKUP_PARAMS_LEN];
    unsigned char key[32];
    int rc; /* 0 when derived */
} gh_orgbackup_key;
void gh_orgbackup_derive(gh_orgbackup_key *k, const char *passphrase);

/* Writes the actor's organization to out, encrypted with k (derived), and
 * audits org.backup_exported in the same (read-consistent) transaction. */
gh_status gh_orgbackup_export(gh_ctx *ctx, const gh_orgbackup_key *k, FILE *out);

typedef struct gh_orgbackup_summary {
    char org_id[64], slug[64];
    int64_t rows, users, roles, groups, audit_events;
} gh_orgbackup_summary;

/* Restores the backup read from in into ctx->db in one transaction: nothing
 * is written unless the whole stream decrypts, authenticates, ends with its
 * final chunk and every row loads. as_slug (may be NULL) renames the org.
 * Errors: ctx->err (GH_E_INVALID for a bad file or passphrase,
 * GH_E_CONFLICT for a slug or id already present). */
gh_status gh_orgbackup_import(gh_ctx *ctx, FILE *in, const char *passphrase, const char *as_slug,
                              gh_orgbackup_summary *sum);

#endif
