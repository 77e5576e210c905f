/* RFC 3339 times (gh_time_parse): any text; a parsed time is sane. */
#include "fuzz.h"

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s) return 0;
    int64_t t;
    /* Years 0001 to 9999 format back to RFC 3339 and parse to the same. */
    if (gh_time_parse(s, &t) && t >= -62135596800LL && t <= 253402300799LL) {
        char again[32];
        gh_time_fmt(t, again);
        int64_t t2;
        if (!gh_time_parse(again, &t2) || t2 != t) abort();
    }
    free(s);
    return 0;
}
