/*
 * Test-only hooks the API may reach (POST /v1/test/io-fault): the store's
 * I/O fault shim (store/iofault.h), seen from above the store.
 */
#ifndef GH_CORE_TESTHOOKS_H
#define GH_CORE_TESTHOOKS_H
#include <stdbool.h>
#include <stdint.h>

enum {
    GH_TEST_IOFAULT_READ = 1,
    GH_TEST_IOFAULT_WRITE = 2,
    GH_TEST_IOFAULT_SYNC = 4,
};

bool gh_test_iofault_enabled(void);
/* See gh_iofault_arm: ops are GH_TEST_IOFAULT_* bits, 0 disarms;
 * marked_only aims the faults at requests that carry GH_TEST_IOFAULT_HEADER. */
void gh_test_iofault_arm(unsigned ops, int64_t after, int64_t count, bool marked_only);
/* The request header that marks a request (any value) for marked_only faults. */
#define GH_TEST_IOFAULT_HEADER "Gatehouse-Test-Io-Fault"
/* Marks or unmarks the calling thread while it handles a marked request. */
void gh_test_iofault_mark(bool on);
int64_t gh_test_iofault_injected(void);

#endif
