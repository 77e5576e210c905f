/* CIDR (src/util/net.c): a parsed range formats to text that parses back to
 * the same range, and containment never fails on odd addresses. */
#include "fuzz.h"

#include "util/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s) return 0;
    gh_cidr c, again;
    if (gh_cidr_parse(s, &c)) {
        char text[GH_CIDR_TEXT_MAX];
        gh_cidr_format(&c, text);
        if (!gh_cidr_parse(text, &again)) abort();
        char text2[GH_CIDR_TEXT_MAX];
        gh_cidr_format(&again, text2);
        if (strcmp(text, text2) != 0) abort();
        (void)gh_cidr_contains(&c, "192.0.2.1");
        (void)gh_cidr_contains(&c, "2001:db8::1");
        (void)gh_cidr_contains(&c, s);
    }
    free(s);
    return 0;
}
