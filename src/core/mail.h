/*
 * Mail messages: the templates embedded from mail/ and the RFC 5322 / MIME
 * message built from them. Pure functions (no I/O), unit-tested in
 * tests/unit/test_mail.c.
 *
 * A template mail/<kind>.txt is "Subject: ...\n\n<body>"; {{name}} is
 * replaced by the variable of that name. The HTML part is mail/layout.html
 * with {{subject}}, {{org}} and {{content}} (the body as HTML paragraphs,
 * every value escaped, the link clickable).
 */
#ifndef GH_MAIL_H
#define GH_MAIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define GH_MAIL_MAX (256 * 1024)

typedef struct gh_mail_var {
    const char *name, *value;
} gh_mail_var;

typedef struct gh_mail_text {
    char *subject, *text, *html; /* malloc'd; gh_mail_text_free wipes and frees */
} gh_mail_text;

/* Renders template `kind` with vars (terminated by {NULL, NULL}). A
 * placeholder with no variable renders empty. 0 on success; -1 when there is
 * no such template or memory ran out. */
int gh_mail_render(const char *kind, const gh_mail_var *vars, gh_mail_text *out);
/* The same in the recipient's language: mail/<lang>/<kind>.txt and
 * mail/<lang>/layout.html where they exist, else the English ones (lang NULL,
 * "" or "en": English). */
int gh_mail_render_lang(const char *kind, const char *lang, const gh_mail_var *vars, gh_mail_text *out);
void gh_mail_text_free(gh_mail_text *t);
/* The HTML part for a plain text (mail/layout.html around the text's
 * paragraphs). malloc'd, NULL on out of memory. */
char *gh_mail_html_of_text(const char *subject, const char *org, const char *text);
/* True when mail/<kind>.txt exists. */
bool gh_mail_template_exists(const char *kind);

/* Splits "Name <addr>" or "addr" into name ("" when none) and addr.
 * false when there is no plausible address or it does not fit. */
bool gh_mail_parse_from(const char *from, char *name, size_t name_cap, char *addr, size_t addr_cap);

/* Appends `text` for a header: as is when it is printable ASCII, else as RFC
 * 2047 encoded-words (=?UTF-8?B?...?=, each at most 75 characters, never
 * splitting a UTF-8 sequence), separated by CRLF SP. */
void gh_mail_header_text(struct gh_buf *b, const char *text);
/* Appends a mailbox: `addr` alone, or `"name" <addr>` / `=?UTF-8?B?..?= <addr>`. */
void gh_mail_mailbox(struct gh_buf *b, const char *name, const char *addr);

typedef struct gh_mail_msg {
    const char *from_name, *from_addr, *to;
    const char *subject, *text, *html;
    int64_t date;           /* unix seconds */
    const char *message_id; /* "<...@...>" */
    const char *boundary;   /* never occurring in base64 text */
} gh_mail_msg;
/* The whole message (headers, multipart/alternative with a base64 text/plain
 * and text/html part, CRLF line ends). NULL on out of memory or oversize. */
char *gh_mail_build(const gh_mail_msg *m, size_t *len);

#endif
