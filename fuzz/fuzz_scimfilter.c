/* SCIM filters and PATCH paths (src/core/scimfilter.c): any text parses or
 * is refused with a message, and a parsed filter evaluates against a
 * resource without fault. */
#include "fuzz.h"

#include "core/scimfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *res;
    if (!res) {
        json_error_t e;
        res = json_loads("{\"id\":\"u1\",\"userName\":\"a@b.c\",\"active\":true,\"n\":3,\"name\":{\"givenName\":\"A\"},"
                         "\"emails\":[{\"value\":\"a@b.c\",\"type\":\"work\"},\"x\",7],"
                         "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"D\"},"
                         "\"meta\":{\"created\":\"2026-01-01T00:00:00Z\"}}",
                         0, &e);
        if (!res) return 0;
    }
    char *s = fuzz_cstr(data, size);
    if (!s) return 0;
    char err[200];
    gh_sf_node *f = gh_scim_filter_parse(s, err, sizeof err);
    if (f) {
        (void)gh_scim_filter_match(f, res);
        gh_scim_filter_free(f);
    } else if (!memchr(err, '\0', sizeof err) || !err[0]) {
        abort();
    }
    gh_scim_path p;
    if (gh_scim_path_parse(s, &p, err, sizeof err)) {
        if (!p.attr) abort();
        if (p.filter) (void)gh_scim_filter_match(p.filter, json_object_get(res, "name"));
        gh_scim_path_free(&p);
    } else if (!err[0]) {
        abort();
    }
    free(s);
    return 0;
}
