/*
 * Allocation-failure injection for the test builds (GH_TESTS): the unit
 * tests and the test server are linked with -Wl,--wrap=malloc,calloc,realloc
 * so every allocation made by gatehouse's own code (and, through
 * json_set_alloc_funcs, by jansson) goes through a counter. Armed with N,
 * the Nth allocation from then on returns NULL, once. SQLite and glibc's own
 * allocations (strdup, ...) are not counted; SQLite's failures are injected
 * separately (tests/api/failure.test.mjs).
 *
 * The server reads GH_FAIL_ALLOC=N at start (counting from the first
 * allocation of the process) and then says on stderr when it failed it;
 * GH_FAIL_ALLOC_COUNT=1 makes it print how many allocations it made at exit.
 * Release builds have none of this.
 */
#ifndef GH_FAILALLOC_H
#define GH_FAILALLOC_H
#include <stdbool.h>

/* Fails the nth allocation from now (1 = the next one); 0 disarms. */
void gh_failalloc_arm(long n);
/* True when the armed failure has happened since gh_failalloc_arm. */
bool gh_failalloc_hit(void);

#endif
