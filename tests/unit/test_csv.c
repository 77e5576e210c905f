/*
 * Unit tests for the CSV reader (src/core/csv.c): RFC 4180 quoting (commas,
 * quotes and line breaks inside quoted fields), line endings, the byte-order
 * mark, UTF-8 validation, malformed quoting reported with its line, and the
 * size bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/csv.h"

/* Renders every record as "[f1|f2]" with its starting line, e.g.
 * "1[a|b]2[c]"; on a malformed input appends "!<line>". */
static char rendered[1 << 18];
static char last_err[160];

static const char *render_n(const char *in, size_t len)
{
    gh_csv c;
    size_t o = 0;
    rendered[0] = last_err[0] = '\0';
    if (!gh_csv_init(&c, in, len)) {
        snprintf(rendered, sizeof rendered, "!%zu", c.err_line);
        snprintf(last_err, sizeof last_err, "%s", c.err);
        gh_csv_release(&c);
        return rendered;
    }
    int rc;
    while ((rc = gh_csv_next(&c)) == 1) {
        o += (size_t)snprintf(rendered + o, sizeof rendered - o, "%zu[", c.record_line);
        for (size_t i = 0; i < gh_csv_nfields(&c); i++) {
            o += (size_t)snprintf(rendered + o, sizeof rendered - o, "%s%s", i ? "|" : "", gh_csv_field(&c, i));
            assert_true(o < sizeof rendered);
        }
        o += (size_t)snprintf(rendered + o, sizeof rendered - o, "]");
        assert_true(o < sizeof rendered);
    }
    if (rc < 0) {
        snprintf(rendered + o, sizeof rendered - o, "!%zu", c.err_line);
        snprintf(last_err, sizeof last_err, "%s", c.err);
    }
    /* After the end or an error, the reader stays put. */
    if (rc == 0) assert_int_equal(gh_csv_next(&c), 0);
    gh_csv_release(&c);
    return rendered;
}

static const char *render(const char *in) { return render_n(in, strlen(in)); }

static void simple_records(void **state)
{
    (void)state;
    assert_string_equal(render("a,b,c\n1,2,3\n"), "1[a|b|c]2[1|2|3]");
    assert_string_equal(render("a,b\n1,2"), "1[a|b]2[1|2]");   /* no final line break */
    assert_string_equal(render(""), "");
    assert_string_equal(render("x"), "1[x]");
}

static void line_endings(void **state)
{
    (void)state;
    assert_string_equal(render("a,b\r\n1,2\r\n"), "1[a|b]2[1|2]");
    assert_string_equal(render("a\rb\rc"), "1[a]2[b]3[c]");
    assert_string_equal(render("a\r\n\r\nb\n"), "1[a]2[]3[b]");   /* a blank line is one empty field */
}

static void empty_fields(void **state)
{
    (void)state;
    assert_string_equal(render(",,\n"), "1[||]");
    assert_string_equal(render("a,,c,\n"), "1[a||c|]");
    assert_string_equal(render("\"\",x\n"), "1[|x]");
}

static void quoted_fields(void **state)
{
    (void)state;
    assert_string_equal(render("\"Zoë Ødegård, Jr.\",zoe@x.test\n"), "1[Zoë Ødegård, Jr.|zoe@x.test]");
    assert_string_equal(render("\"say \"\"hi\"\"\",b\n"), "1[say \"hi\"|b]");
    assert_string_equal(render("\"\"\"\"\n"), "1[\"]");
    /* Line breaks inside quotes belong to the field; lines are still counted. */
    assert_string_equal(render("\"two\nlines\",x\nnext,y\n"), "1[two\nlines|x]3[next|y]");
    assert_string_equal(render("\"crlf\r\ninside\"\r\nz\r\n"), "1[crlf\r\ninside]3[z]");
    assert_string_equal(render("a,\"b,c\",d"), "1[a|b,c|d]");
}

static void byte_order_mark(void **state)
{
    (void)state;
    assert_string_equal(render("\xEF\xBB\xBFname,email\n"), "1[name|email]");
    /* Only a leading one is skipped. */
    assert_string_equal(render("x,\xEF\xBB\xBFy\n"), "1[x|\xEF\xBB\xBFy]");
}

static void malformed_quoting(void **state)
{
    (void)state;
    /* Never closed: reported at the line where it opened. */
    assert_string_equal(render("a,b\n\"open,c\nmore\n"), "1[a|b]!2");
    assert_non_null(strstr(last_err, "never closed"));
    /* Text after the closing quote. */
    assert_string_equal(render("a\n\"ab\"c,d\n"), "1[a]!2");
    assert_non_null(strstr(last_err, "closing quote"));
    assert_string_equal(render("\"a\" ,b\n"), "!1");
    /* A quote inside an unquoted field. */
    assert_string_equal(render("x,y\nab\"c,d\n"), "1[x|y]!2");
    assert_non_null(strstr(last_err, "unquoted"));
    assert_string_equal(render("a, \"b\"\n"), "!1");
    /* The line of a later fault counts lines inside earlier quoted fields. */
    assert_string_equal(render("\"1\n2\n3\",x\nbad\"\n"), "1[1\n2\n3|x]!4");
}

static void utf8_validation(void **state)
{
    (void)state;
    assert_string_equal(render("ok\nZo\xC3\xAB\n"), "1[ok]2[Zoë]");
    assert_string_equal(render("ok\n\xC3\n"), "!2");               /* truncated sequence */
    assert_non_null(strstr(last_err, "UTF-8"));
    assert_string_equal(render("a\nb\n\xC0\xAF\n"), "!3");          /* overlong '/' */
    assert_string_equal(render("\xED\xA0\x80"), "!1");              /* surrogate */
    assert_string_equal(render("\xF4\x90\x80\x80"), "!1");          /* past U+10FFFF */
    assert_string_equal(render("\xFF"), "!1");
    assert_string_equal(render("\xF0\x9F\x98\x80,\xE2\x82\xAC"), "1[\xF0\x9F\x98\x80|\xE2\x82\xAC]");
    assert_string_equal(render_n("a\0b", 3), "!1");                 /* NUL byte */
    size_t bad = 99;
    assert_false(gh_utf8_valid("ab\xE2\x82", 4, &bad));
    assert_int_equal(bad, 2);
    assert_true(gh_utf8_valid("", 0, &bad));
}

static void bounds(void **state)
{
    (void)state;
    static char big[GH_CSV_RECORD_MAX * 2];
    /* A field of exactly GH_CSV_FIELD_MAX bytes is fine, one more is not. */
    memset(big, 'x', GH_CSV_FIELD_MAX);
    big[GH_CSV_FIELD_MAX] = '\0';
    render(big);
    assert_int_equal(strlen(rendered), GH_CSV_FIELD_MAX + 3);
    memset(big, 'x', GH_CSV_FIELD_MAX + 1);
    big[GH_CSV_FIELD_MAX + 1] = '\0';
    assert_string_equal(render(big), "!1");
    assert_non_null(strstr(last_err, "longer than"));
    /* Also inside quotes. */
    memset(big, 'x', GH_CSV_FIELD_MAX + 2);
    big[0] = '"';
    big[GH_CSV_FIELD_MAX + 2] = '"';
    big[GH_CSV_FIELD_MAX + 3] = '\0';
    assert_string_equal(render(big), "!1");
    big[GH_CSV_FIELD_MAX + 1] = '"'; /* exactly FIELD_MAX bytes between the quotes */
    big[GH_CSV_FIELD_MAX + 2] = '\0';
    render(big);
    assert_int_equal(strlen(rendered), GH_CSV_FIELD_MAX + 3);
    /* GH_CSV_FIELDS_MAX fields are fine, one more is not. */
    size_t o = 0;
    for (int i = 0; i < GH_CSV_FIELDS_MAX; i++) o += (size_t)snprintf(big + o, sizeof big - o, "%s%d", i ? "," : "", i);
    render(big);
    assert_int_equal(rendered[0], '1');
    assert_null(strchr(rendered, '!'));
    snprintf(big + o, sizeof big - o, ",extra");
    assert_string_equal(render(big), "!1");
    assert_non_null(strstr(last_err, "fields"));
    /* The record bound: many long fields (each within the field bound). */
    o = 0;
    for (int i = 0; i < GH_CSV_FIELDS_MAX && o + GH_CSV_FIELD_MAX + 2 < sizeof big; i++) {
        if (i) big[o++] = ',';
        memset(big + o, 'y', GH_CSV_FIELD_MAX - 1);
        o += GH_CSV_FIELD_MAX - 1;
    }
    big[o] = '\0';
    assert_string_equal(render(big), "!1");
    assert_non_null(strstr(last_err, "record"));
    /* Fill the record buffer to its last byte (15 fields of FIELD_MAX bytes
     * plus their NULs, then 4080 bytes and its NUL): an empty field after
     * that must be refused, not written past the buffer. */
    o = 0;
    for (int i = 0; i < 15; i++) {
        if (i) big[o++] = ',';
        memset(big + o, 'z', GH_CSV_FIELD_MAX);
        o += GH_CSV_FIELD_MAX;
    }
    size_t last = GH_CSV_RECORD_MAX - 1 - 15 * (GH_CSV_FIELD_MAX + 1);
    big[o++] = ',';
    memset(big + o, 'w', last);
    o += last;
    big[o] = '\0';
    render(big); /* exactly full: accepted */
    assert_null(strchr(rendered, '!'));
    big[o++] = ',';
    big[o] = '\0';
    assert_string_equal(render(big), "!1");
    assert_non_null(strstr(last_err, "record"));
}

static void many_records(void **state)
{
    (void)state;
    /* The buffer is reused: a long record then short ones. */
    char in[GH_CSV_FIELD_MAX + 64];
    memset(in, 'q', GH_CSV_FIELD_MAX);
    snprintf(in + GH_CSV_FIELD_MAX, sizeof in - GH_CSV_FIELD_MAX, "\na,b\nc\n");
    const char *r = render(in);
    assert_non_null(strstr(r, "]2[a|b]3[c]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_records),   cmocka_unit_test(line_endings),
        cmocka_unit_test(empty_fields),     cmocka_unit_test(quoted_fields),
        cmocka_unit_test(byte_order_mark),  cmocka_unit_test(malformed_quoting),
        cmocka_unit_test(utf8_validation),  cmocka_unit_test(bounds),
        cmocka_unit_test(many_records),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
