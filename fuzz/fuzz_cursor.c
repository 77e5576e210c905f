/* Pagination cursors (src/util/cursor.c): any text from a client; what
 * decodes re-encodes to a cursor that decodes to the same key. */
#include "fuzz.h"

#include "util/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s) return 0;
    char name[256], id[GH_ID_MAX];
    if (gh_cursor_decode(s, name, sizeof name, id, sizeof id)) {
        char enc[GH_CURSOR_MAX], name2[256], id2[GH_ID_MAX];
        if (gh_cursor_encode(name, id, enc)) {
            if (!gh_cursor_decode(enc, name2, sizeof name2, id2, sizeof id2)) abort();
            if (strcmp(name, name2) != 0 || strcmp(id, id2) != 0) abort();
        }
    }
    free(s);
    return 0;
}
