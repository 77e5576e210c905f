/* The router's path matching (src/http/router.c): the first line of the
 * input is the method, the rest the path; captured parameters are C strings
 * that fit their slots. */
#include "fuzz.h"

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s) return 0;
    char *nl = strchr(s, '\n');
    const char *method = "GET", *path = s;
    if (nl) {
        *nl = '\0';
        method = s;
        path = nl + 1;
    }
    gh_match m;
    memset(&m, 0, sizeof m);
    gh_router_match(method, path, &m);
    if (m.nparams < 0 || m.nparams > GH_MAX_PARAMS) abort();
    for (int i = 0; i < m.nparams; i++)
        if (!memchr(m.params[i].value, '\0', sizeof m.params[i].value)) abort();
    if (!memchr(m.allow, '\0', sizeof m.allow)) abort();
    free(s);
    return 0;
}
