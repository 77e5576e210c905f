/*
 * Unit tests for the buffered log writer (src/util/log.c, issue 17): lines
 * logged from many threads at once all arrive, whole and in each thread's
 * order, once gh_log_flush returns; a line longer than the buffer is
 * written whole and in order; error lines are written before gh_log
 * returns; lines after gh_log_stop are still written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "util/log.h"

#define THREADS 8
#define LINES 2000

static char path[64];

static void *logger(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < LINES; i++)
        gh_log(GH_LOG_INFO, NULL, "line", json_pack("{s:i, s:i}", "thread", t, "i", i));
    return NULL;
}

/* Reads the captured stderr; checks every line is one JSON object. */
static char *captured(size_t *nlines)
{
    fflush(stderr);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *nlines = 0;
    for (char *p = buf; *p; p++) *nlines += *p == '\n';
    return buf;
}

static void lines_from_many_threads_arrive_whole_and_in_order(void **state)
{
    (void)state;
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) assert_int_equal(pthread_create(&th[t], NULL, logger, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    /* A line longer than a buffer, between others. */
    size_t big = 300 * 1024;
    char *s = malloc(big + 1);
    assert_non_null(s);
    memset(s, 'x', big);
    s[big] = '\0';
    gh_log(GH_LOG_INFO, NULL, "big", json_pack("{s:s}", "data", s));
    free(s);
    gh_log(GH_LOG_INFO, NULL, "after big", NULL);
    gh_log_flush();
    size_t n = 0;
    char *buf = captured(&n);
    assert_int_equal(n, THREADS * LINES + 2);
    int next[THREADS] = {0};
    char *save = NULL;
    size_t seen = 0;
    bool big_seen = false;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (!o) fail_msg("not one JSON object: %.80s", line);
        const char *msg = json_string_value(json_object_get(o, "msg"));
        assert_non_null(msg);
        if (strcmp(msg, "line") == 0) {
            int t = (int)json_integer_value(json_object_get(o, "thread"));
            int i = (int)json_integer_value(json_object_get(o, "i"));
            assert_true(t >= 0 && t < THREADS);
            assert_int_equal(i, next[t]);
            next[t]++;
            assert_false(big_seen);
        } else if (strcmp(msg, "big") == 0) {
            assert_int_equal(strlen(json_string_value(json_object_get(o, "data"))), big);
            big_seen = true;
        } else {
            assert_string_equal(msg, "after big");
            assert_true(big_seen);
        }
        json_decref(o);
        seen++;
    }
    assert_int_equal(seen, THREADS * LINES + 2);
    free(buf);
}

static void error_lines_are_written_at_once_and_after_stop(void **state)
{
    (void)state;
    size_t before = 0, after = 0;
    free(captured(&before));
    gh_log(GH_LOG_ERROR, NULL, "boom", NULL); /* no flush: written before gh_log returned */
    free(captured(&after));
    assert_int_equal(after, before + 1);
    gh_log(GH_LOG_INFO, NULL, "buffered", NULL);
    gh_log_stop(); /* writes what is buffered */
    free(captured(&after));
    assert_int_equal(after, before + 2);
    gh_log(GH_LOG_INFO, NULL, "direct", NULL);
    free(captured(&after));
    assert_int_equal(after, before + 3);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/gh-unit-log-%d.txt", (int)getpid());
    if (!freopen(path, "w", stderr)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_from_many_threads_arrive_whole_and_in_order),
        cmocka_unit_test(error_lines_are_written_at_once_and_after_stop),
    };
    int rc = cmocka_run_group_tests_name("log writer", tests, NULL, NULL) ? 1 : 0;
    unlink(path);
    return rc;
}
