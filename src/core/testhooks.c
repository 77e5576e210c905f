/* core/testhooks.h: the store's I/O fault shim, for the test route. */
#include "core/testhooks.h"

#include "store/iofault.h"

_Static_assert((int)GH_TEST_IOFAULT_READ == (int)GH_IOFAULT_READ &&
                   (int)GH_TEST_IOFAULT_WRITE == (int)GH_IOFAULT_WRITE &&
                   (int)GH_TEST_IOFAULT_SYNC == (int)GH_IOFAULT_SYNC,
               "the test hook's fault bits are the shim's");

bool gh_test_iofault_enabled(void) { return gh_iofault_enabled(); }
void gh_test_iofault_arm(unsigned ops, int64_t after, int64_t count, bool marked_only)
{
    gh_iofault_arm(ops, after, count, marked_only);
}
void gh_test_iofault_mark(bool on) { gh_iofault_mark(on); }
int64_t gh_test_iofault_injected(void) { return gh_iofault_injected(); }
