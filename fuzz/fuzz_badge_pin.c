/* Badge and PIN validation (src/core/kiosk.c): any text. */
#include "fuzz.h"

#include "core/kiosk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s) return 0;
    (void)gh_badge_valid(s);
    if (gh_pin_well_formed(s)) (void)gh_pin_trivial(s);
    free(s);
    return 0;
}
