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

#endif
