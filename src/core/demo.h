/*
 * The demo plant behind `gatehouse serve --demo`: one organization with
 * office users of several roles (built-in and custom), a locked seasonal
 * worker, a shared display account, an API key and the settings a plant would
 * choose, loaded through the same core functions the API uses, so everything
 * in it is real data that every page can show.
 *
 * Meant for a throw-away database: it refuses to run on one that already has
 * an organization.
 */
#ifndef GH_DEMO_H
#define GH_DEMO_H
#include <jansson.h>

#include "core/ctx.h"

/* The password of every demo office account. */
#define GH_DEMO_PASSWORD "demo-plant-password"

/*
 * Loads the demo into ctx->db (a system actor). On success *summary is
 * {org: {slug, name}, accounts: [{name, role, email?, badge?, pin?, how}],
 *  api_key} for the caller to print; the caller frees it.
 */
gh_status gh_demo_load(gh_ctx *ctx, json_t **summary);

/*
 * `serve --demo --demo-size N`: after gh_demo_load (ctx->actor.org_id is the
 * demo organization), adds `users` factory workers (role operator, badges
 * G000001...) and `tasks` open tasks (G-00001..., 20 to an order, each
 * assigned to one of the new workers) with bulk inserts in one transaction,
 * raises the factory seats by as many and writes one demo.generated audit
 * row. For benchmarks of the console and kiosk at the size of a large plant.
 */
#define GH_DEMO_SIZE_MAX 1000000
gh_status gh_demo_grow(gh_ctx *ctx, int64_t users, int64_t tasks);

#endif
