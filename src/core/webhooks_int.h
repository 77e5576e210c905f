/* Private to webhooks.c and webhookdelivery.c. */
#ifndef GH_CORE_WEBHOOKS_INT_H
#define GH_CORE_WEBHOOKS_INT_H
#include <stddef.h>

#include "core/webhooks.h"
#include "store/store.h"

#define SECRET_TEXT_MAX 64 /* "whsec_" + base64 of 32 bytes (44) + NUL */

/* The secret box context of an endpoint's sealed secret. */
void gh_webhook_seal_context(const gh_webhook *w, char *out, size_t cap);

#endif
