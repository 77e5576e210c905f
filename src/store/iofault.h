/*
 * I/O fault injection for tests (gatehouse serve --test-io-faults, which
 * needs --test-clock): a SQLite VFS that wraps the default one and, when
 * armed, makes chosen reads, writes or fsyncs of the database files fail
 * with SQLITE_IOERR_*, as a failing disk would. Nothing of it is active
 * unless enabled before the first database is opened.
 */
#ifndef GH_STORE_IOFAULT_H
#define GH_STORE_IOFAULT_H
#include <stdbool.h>
#include <stdint.h>

enum {
    GH_IOFAULT_READ = 1,
    GH_IOFAULT_WRITE = 2,
    GH_IOFAULT_SYNC = 4,
};

/* Registers the shim as the default VFS; 0, or -1 (SQLite refused). */
int gh_iofault_enable(void);
bool gh_iofault_enabled(void);
/* Arms the shim: of the operations in `ops` (GH_IOFAULT_* bits) on any
 * database file, the first `after` pass and the next `count` fail
 * (count < 0: every one until disarmed). ops == 0 disarms. With
 * `marked_only`, only operations of a thread inside gh_iofault_mark count
 * (pass or fail): a test aims the faults at the request under test, and
 * other threads' I/O (background writers, the authz snapshot) is left
 * alone and does not use them up. */
void gh_iofault_arm(unsigned ops, int64_t after, int64_t count, bool marked_only);
/* Marks (true) or unmarks the calling thread, see gh_iofault_arm. */
void gh_iofault_mark(bool on);
/* Faults injected since start. */
int64_t gh_iofault_injected(void);

#endif
