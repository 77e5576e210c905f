/* Allocation-failure injection for the test builds: see failalloc.h. */
#include "failalloc.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static atomic_bool report; /* armed from GH_FAIL_ALLOC: say so on stderr */
static _Atomic long countdown;
static _Atomic long calls;  /* every allocation of the process */ /* > 0: allocations left until the failing one */
static atomic_bool hit;

void gh_failalloc_arm(long n)
{
    atomic_store(&hit, false);
    atomic_store(&countdown, n > 0 ? n : 0);
}

bool gh_failalloc_hit(void) { return atomic_load(&hit); }

static bool fail_now(void)
{
    atomic_fetch_add(&calls, 1);
    long c = atomic_load(&countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&countdown, &c, c - 1)) {
            if (c != 1) return false;
            atomic_store(&hit, true);
            if (atomic_load(&report)) {
                static const char msg[] = "failalloc: the armed allocation failed\n";
                ssize_t w = write(2, msg, sizeof msg - 1);
                (void)w;
            }
            return true;
        }
    }
    return false;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

static void *json_malloc(size_t n) { return __wrap_malloc(n); }

static void report_calls(void)
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "failalloc: %ld allocations\n", atomic_load(&calls));
    if (n > 0 && (size_t)n < sizeof msg) {
        ssize_t w = write(2, msg, (size_t)n);
        (void)w;
    }
}

/* jansson allocates in its own library, out of reach of --wrap. */
__attribute__((constructor)) static void failalloc_start(void)
{
    json_set_alloc_funcs(json_malloc, free);
    const char *count = getenv("GH_FAIL_ALLOC_COUNT");
    if (count && *count) atexit(report_calls);
    const char *s = getenv("GH_FAIL_ALLOC");
    if (s && *s) {
        char *end;
        long n = strtol(s, &end, 10);
        if (*end == '\0' && n > 0) {
            atomic_store(&report, true);
            gh_failalloc_arm(n);
        }
    }
}
