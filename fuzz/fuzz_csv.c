/* CSV import rows (src/core/csv.c): any bytes; every field is a C string. */
#include "fuzz.h"

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gh_csv c;
    if (gh_csv_init(&c, (const char *)data, size)) {
        int rc;
        while ((rc = gh_csv_next(&c)) == 1) {
            size_t n = gh_csv_nfields(&c);
            for (size_t i = 0; i < n; i++) {
                const char *f = gh_csv_field(&c, i);
                if (!f) abort();
                (void)strlen(f);
            }
        }
    }
    gh_csv_release(&c);
    return 0;
}
