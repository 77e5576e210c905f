/* The process-wide configuration (gh_cfg), set once at start. */
#include "core/ctx.h"

static gh_config config = {.base_url = "http://127.0.0.1:8080"};

gh_config *gh_cfg(void) { return &config; }
