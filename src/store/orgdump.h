/*
 * One organization's rows, table by table, for the encrypted org backup
 * (core/orgbackup.h, docs/backup.md). Exported: every org-scoped table; NOT
 * exported: sessions, single-use tokens (links) and the outbox (they are
 * short-lived secrets or server-local mail, worthless or harmful on another
 * server). The order is the load order (parents before children).
 */
#ifndef GH_STORE_ORGDUMP_H
#define GH_STORE_ORGDUMP_H
#include <jansson.h>
#include <stddef.h>

#include "store/db.h"

/* Calls emit(table, row) for every row of org_id, in load order (row is
 * borrowed). Run it inside a transaction for a consistent snapshot. Returns
 * 0, or -1 with err filled (emit's non-zero return also stops it). */
int gh_store_org_dump(gh_db *db, const char *org_id, int (*emit)(const char *table, json_t *row, void *arg),
                      void *arg, char *err, size_t errlen);

/* Inserts one dumped row of org org_id into `table` (a name gh_store_org_dump
 * emits; other names are refused). Column names must be plain identifiers;
 * references to parents without an org_id check (task, screen, user ids)
 * must name rows of org_id. Audit and activity rows get a new seq (the
 * sequence is the server's). Returns 0, or -1 with err naming the table and
 * the collision. */
int gh_store_org_load(gh_db *db, const char *org_id, const char *table, json_t *row, char *err, size_t errlen);

#endif
