/* The catalog loader (gh_catalog_parse): any bytes as a --catalog file. */
#include "fuzz.h"

#include "core/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gh_catalog *cat = NULL;
    char err[512];
    if (gh_catalog_parse((const char *)data, size, "fuzz.json", &cat, err, sizeof err) == 0) gh_catalog_free(cat);
    else if (!memchr(err, '\0', sizeof err)) abort();
    return 0;
}
