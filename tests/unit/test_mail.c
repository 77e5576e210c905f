/*
 * Mail (issue 15): the embedded templates, RFC 2047 header words, the MIME
 * message, and the delivery outbox's lease claims and token scrubbing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mail.h"
#include "store/store.h"
#include "util/util.h"
#include "store/sqlite_int.h" /* white-box: reads rows directly */

/* Decodes one header made of =?UTF-8?B?..?= words (separated by CRLF SP). */
static void decode_words(const char *h, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = h;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *e = strstr(p, "?=");
        assert_non_null(e);
        assert_true(e - p + 12 <= 75); /* each encoded-word at most 75 characters */
        size_t bin = 0;
        assert_int_equal(sodium_base642bin((unsigned char *)out + n, cap - n - 1, p, (size_t)(e - p), NULL, &bin, NULL,
                                           sodium_base64_VARIANT_ORIGINAL), 0);
        /* never a split UTF-8 sequence: each word's bytes are whole characters */
        assert_true(bin == 0 || ((unsigned char)out[n] & 0xC0) != 0x80);
        n += bin;
        p = e + 2;
    }
    out[n] = '\0';
}

static void test_header_words(void **state)
{
    (void)state;
    gh_buf b;
    gh_buf_init(&b, 4096);
    gh_mail_header_text(&b, "Plain subject");
    assert_true(gh_buf_ok(&b));
    assert_string_equal(b.data, "Plain subject");
    gh_buf_release(&b);

    const char *org = "Zoë's Fräswerk";
    gh_buf_init(&b, 4096);
    gh_mail_header_text(&b, org);
    assert_non_null(strstr(b.data, "=?UTF-8?B?"));
    char out[1024];
    decode_words(b.data, out, sizeof out);
    assert_string_equal(out, org);
    gh_buf_release(&b);

    /* Long: several words, split between characters (ü is 2 bytes; odd offsets). */
    char longs[400] = "x";
    for (size_t i = 0, len = 1; i < 60; i++) len += (size_t)snprintf(longs + len, sizeof longs - len, "üß");
    gh_buf_init(&b, 4096);
    gh_mail_header_text(&b, longs);
    assert_non_null(strstr(b.data, "\r\n =?UTF-8?B?"));
    decode_words(b.data, out, sizeof out);
    assert_string_equal(out, longs);
    gh_buf_release(&b);

    /* A control character (header injection) is encoded, never passed raw. */
    gh_buf_init(&b, 4096);
    gh_mail_header_text(&b, "Hi\r\nBcc: evil@x.test");
    assert_null(strstr(b.data, "\r\nBcc"));
    gh_buf_release(&b);
}

static void test_mailbox_and_from(void **state)
{
    (void)state;
    char name[128], addr[128];
    assert_true(gh_mail_parse_from("Zoë's Fräswerk <gate@plant.test>", name, sizeof name, addr, sizeof addr));
    assert_string_equal(name, "Zoë's Fräswerk");
    assert_string_equal(addr, "gate@plant.test");
    assert_true(gh_mail_parse_from("\"Gate House\" <g@p.test>", name, sizeof name, addr, sizeof addr));
    assert_string_equal(name, "Gate House");
    assert_true(gh_mail_parse_from("g@p.test", name, sizeof name, addr, sizeof addr));
    assert_string_equal(name, "");
    assert_string_equal(addr, "g@p.test");
    assert_false(gh_mail_parse_from("nobody", name, sizeof name, addr, sizeof addr));
    assert_false(gh_mail_parse_from("Name <g@p.test", name, sizeof name, addr, sizeof addr));
    assert_false(gh_mail_parse_from("Name <g@p.test> x", name, sizeof name, addr, sizeof addr));
    assert_false(gh_mail_parse_from("Name <a b@p.test>", name, sizeof name, addr, sizeof addr));
    assert_false(gh_mail_parse_from("Na\nme <g@p.test>", name, sizeof name, addr, sizeof addr));
    assert_false(gh_mail_parse_from("<@p.test>", name, sizeof name, addr, sizeof addr));

    gh_buf b;
    gh_buf_init(&b, 4096);
    gh_mail_mailbox(&b, "Gate \"House\"", "g@p.test");
    assert_string_equal(b.data, "\"Gate \\\"House\\\"\" <g@p.test>");
    gh_buf_release(&b);
    gh_buf_init(&b, 4096);
    gh_mail_mailbox(&b, "Zoë", "g@p.test");
    assert_string_equal(b.data, "=?UTF-8?B?Wm/Dqw==?= <g@p.test>");
    gh_buf_release(&b);
}

static void check_template_lang(const char *kind, const char *lang, bool has_link)
{
    const char *link = "https://gate.test/console/x?token=TOKEN123";
    gh_mail_var vars[] = {{"org", "Zoë's <Fräswerk>"}, {"name", "Bob & Co"}, {"link", link}, {"inviter", "Ada"},
                          {"role", "Operator"}, {"expires", "2026-12-09T00:00:00Z"}, {"email", "new@p.test"},
                          {"left", "7"}, {NULL, NULL}};
    gh_mail_text t;
    assert_int_equal(gh_mail_render_lang(kind, lang, vars, &t), 0);
    assert_non_null(strstr(t.subject, "Zoë's <Fräswerk>"));     /* org name in the subject */
    assert_non_null(strstr(t.text, "Zoë's <Fräswerk>"));        /* and in the body */
    assert_non_null(strstr(t.html, "Zoë&#39;s &lt;Fräswerk&gt;")); /* escaped in HTML */
    assert_null(strstr(t.html, "<Fräswerk>"));
    assert_null(strstr(t.text, "{{"));
    assert_null(strstr(t.html, "{{"));
    assert_null(strchr(t.subject, '\n'));
    if (has_link) {
        assert_non_null(strstr(t.text, link));
        assert_non_null(strstr(t.html, "<a href=\"https://gate.test/console/x?token=TOKEN123\">"));
    } else {
        assert_null(strstr(t.text, "TOKEN123"));
    }
    gh_mail_text_free(&t);
}

static void check_template(const char *kind, bool has_link)
{
    static const char *const langs[] = {NULL, "es", "de"};
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) check_template_lang(kind, langs[i], has_link);
}

/* Issue 22: the recipient's language picks mail/<lang>/; English otherwise. */
static void test_languages(void **state)
{
    (void)state;
    gh_mail_var v[] = {{"org", "Acme"}, {"name", "Ana"}, {"link", "https://x.test/?token=T"}, {NULL, NULL}};
    const struct { const char *lang, *subject, *html_lang; } cases[] = {
        {"es", "Restablece tu contraseña de Acme", "<html lang=\"es\">"},
        {"de", "Passwort für Acme zurücksetzen", "<html lang=\"de\">"},
        {"en", "Reset your password for Acme", "<html lang=\"en\">"},
        {NULL, "Reset your password for Acme", "<html lang=\"en\">"},
        {"", "Reset your password for Acme", "<html lang=\"en\">"},
        {"fr", "Reset your password for Acme", "<html lang=\"en\">"},     /* no French templates: English */
        {"../es", "Reset your password for Acme", "<html lang=\"en\">"},  /* never a path */
        {"es/..", "Reset your password for Acme", "<html lang=\"en\">"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gh_mail_text t;
        assert_int_equal(gh_mail_render_lang("password_reset", cases[i].lang, v, &t), 0);
        assert_string_equal(t.subject, cases[i].subject);
        assert_non_null(strstr(t.html, cases[i].html_lang));
        gh_mail_text_free(&t);
    }
    gh_mail_text t;
    assert_int_equal(gh_mail_render_lang("no_such_kind", "es", v, &t), -1);
    assert_int_equal(gh_mail_render_lang("../layout", "de", v, &t), -1);
}

static void test_templates(void **state)
{
    (void)state;
    check_template("invite", true);
    check_template("verify_email", true);
    check_template("password_reset", true);
    check_template("email_changed", false);
    check_template("password_changed", false);
    check_template("mfa_recovery_used", false);
    check_template("mfa_reset", false);
    check_template("test", false);
    gh_mail_text t;
    assert_int_equal(gh_mail_render("no_such_kind", NULL, &t), -1);
    assert_int_equal(gh_mail_render("../layout", NULL, &t), -1);
    assert_false(gh_mail_template_exists("no_such_kind"));
    assert_true(gh_mail_template_exists("invite"));
    /* the e-mail-changed notice names the new address; a missing variable renders empty */
    gh_mail_var v[] = {{"org", "O"}, {"email", "new@p.test"}, {NULL, NULL}};
    assert_int_equal(gh_mail_render("email_changed", v, &t), 0);
    assert_non_null(strstr(t.text, "new@p.test"));
    assert_non_null(strstr(t.text, "Hello ,"));
    gh_mail_text_free(&t);
}

static void test_build(void **state)
{
    (void)state;
    gh_mail_msg m = {.from_name = "Zoë's Fräswerk", .from_addr = "g@p.test", .to = "bob@p.test",
                     .subject = "Willkommen bei Zoë's Fräswerk", .text = "Hallo Zoë,\n\nline two\n",
                     .html = "<p>Hallo Zoë</p>", .date = 1796083200, .message_id = "<abc@p.test>",
                     .boundary = "=_gh_0123"};
    size_t len = 0;
    char *msg = gh_mail_build(&m, &len);
    assert_non_null(msg);
    assert_int_equal(strlen(msg), len);
    assert_non_null(strstr(msg, "Date: Tue, 01 Dec 2026 00:00:00 +0000\r\n"));
    assert_non_null(strstr(msg, "From: =?UTF-8?B?"));
    assert_non_null(strstr(msg, "\r\nTo: bob@p.test\r\n"));
    assert_non_null(strstr(msg, "\r\nSubject: =?UTF-8?B?"));
    assert_non_null(strstr(msg, "\r\nMessage-ID: <abc@p.test>\r\n"));
    assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(msg, "Content-Type: multipart/alternative; boundary=\"=_gh_0123\"\r\n"));
    assert_non_null(strstr(msg, "--=_gh_0123\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(msg, "--=_gh_0123\r\nContent-Type: text/html; charset=UTF-8\r\n"));
    assert_non_null(strstr(msg, "\r\n--=_gh_0123--\r\n"));
    /* the text part decodes back */
    const char *p = strstr(msg, "text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n") + 4;
    const char *e = strstr(p, "\r\n");
    unsigned char bin[256];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(bin, sizeof bin, p, (size_t)(e - p), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(n, strlen(m.text));
    assert_memory_equal(bin, m.text, n);
    /* no bare LF anywhere, lines at most 78 characters */
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        if (msg[i] == '\n') { assert_int_equal(msg[i - 1], '\r'); col = 0; continue; }
        assert_true(++col <= 79);
    }
    free(msg);
}

/* ---- the outbox: lease claims, retries and scrubbing ---- */
static void test_outbox_claims(void **state)
{
    (void)state;
    char path[64], msg[256];
    gh_db *db = NULL;
    gh_err err = {0};
    assert_int_equal(gh_random_init(), 0);
    snprintf(path, sizeof path, "/tmp/gh-unit-mail-%d.db", (int)getpid());
    unlink(path);
    assert_int_equal(gh_db_open(path, &db, msg, sizeof msg), 0);
    assert_int_equal(gh_db_migrate(db, msg, sizeof msg), 0);
    gh_mail_row r = {.kind = "invite", .to = "a@p.test", .subject = "S", .body = "open https://x/?token=SECRET1 now",
                     .html = "<a href=\"https://x/?token=SECRET1\">", .link = "https://x/?token=SECRET1",
                     .link_expires_at = 5000};
    assert_int_equal(gh_store_outbox_insert(db, &r, 1000, &err), GH_OK);
    json_t *m = NULL;
    /* one claim wins; a second finds nothing while the lease runs */
    assert_int_equal(gh_store_outbox_claim(db, 1000, 180, &m, &err), GH_OK);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "attempts")), 1);
    const char *id = json_string_value(json_object_get(m, "id"));
    char mid[GH_ID_MAX];
    gh_strlcpy(mid, id, sizeof mid);
    json_decref(m);
    assert_int_equal(gh_store_outbox_claim(db, 1100, 180, &m, &err), GH_OK);
    assert_null(m);
    /* a process that died: the lease runs out, the row is claimed again */
    assert_int_equal(gh_store_outbox_claim(db, 1180, 180, &m, &err), GH_OK);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "attempts")), 2);
    json_decref(m);
    /* deferred: not due before next_attempt_at; the token stays (still needed) */
    assert_int_equal(gh_store_outbox_finish(db, mid, "deferred", 1200, 1500, "421 try later", &err), GH_OK);
    assert_int_equal(gh_store_outbox_scrub(db, 1200, &err), 0);
    assert_int_equal(gh_store_outbox_claim(db, 1499, 180, &m, &err), GH_OK);
    assert_null(m);
    assert_int_equal(gh_store_outbox_claim(db, 1500, 180, &m, &err), GH_OK);
    assert_non_null(m);
    json_decref(m);
    /* finishing a row that is not ours any more (not 'sending') changes nothing */
    assert_int_equal(gh_store_outbox_finish(db, mid, "sent", 1510, 0, NULL, &err), GH_OK);
    assert_int_equal(gh_store_outbox_finish(db, mid, "failed", 1520, 0, "late", &err), GH_OK);
    json_t *all = gh_store_outbox_list(db, NULL, 0, &err);
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 0), "status")), "sent");
    json_decref(all);
    /* sent: the token is scrubbed from body, html and link */
    assert_int_equal(gh_store_outbox_scrub(db, 1510, &err), 1);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(gh_db_raw(db), "SELECT count(*) FROM outbox WHERE body LIKE '%SECRET1%'"
                                        " OR html LIKE '%SECRET1%' OR link LIKE '%SECRET1%'", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    /* a logged (unsent) mail keeps its link until it expires */
    gh_mail_row r2 = r;
    r2.body = "token=SECRET2";
    r2.html = NULL;
    r2.link = "https://x/?token=SECRET2";
    assert_int_equal(gh_store_outbox_insert(db, &r2, 2000, &err), GH_OK);
    assert_int_equal(gh_store_outbox_claim(db, 2000, 180, &m, &err), GH_OK);
    gh_strlcpy(mid, json_string_value(json_object_get(m, "id")), sizeof mid);
    json_decref(m);
    assert_int_equal(gh_store_outbox_finish(db, mid, "logged", 2000, 0, NULL, &err), GH_OK);
    assert_int_equal(gh_store_outbox_scrub(db, 4999, &err), 0);
    assert_int_equal(gh_store_outbox_scrub(db, 5000, &err), 1);
    all = gh_store_outbox_list(db, NULL, 0, &err);
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 1), "link")), "https://x/?token=[removed]");
    json_decref(all);
    gh_err_clear(&err);
    gh_db_close(db);
    unlink(path);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_words),
        cmocka_unit_test(test_mailbox_and_from),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_outbox_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
