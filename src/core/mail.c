/* Mail templates and MIME messages (see mail.h). */
#include "core/mail.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/assets.h"

static const gh_asset *find_template(const char *file)
{
    for (size_t i = 0; gh_mail_assets[i].path; i++)
        if (gh_mail_assets[i].path[0] == '/' && strcmp(gh_mail_assets[i].path + 1, file) == 0)
            return &gh_mail_assets[i];
    return NULL;
}

/* mail/<lang>/<file> when lang is a language with its own templates and
 * that file exists, else mail/<file> (English). */
static const gh_asset *find_localized(const char *lang, const char *file)
{
    if (lang && *lang && strcmp(lang, "en") != 0 && strlen(lang) <= 8 && !strchr(lang, '/') && !strchr(lang, '.')) {
        char path[96];
        int n = snprintf(path, sizeof path, "%s/%s", lang, file);
        if (n > 0 && (size_t)n < sizeof path) {
            const gh_asset *a = find_template(path);
            if (a) return a;
        }
    }
    return find_template(file);
}

bool gh_mail_template_exists(const char *kind)
{
    char file[80];
    if (snprintf(file, sizeof file, "%s.txt", kind) >= (int)sizeof file) return false;
    return find_template(file) != NULL;
}

static const char *var_of(const gh_mail_var *vars, const char *name, size_t len)
{
    for (size_t i = 0; vars && vars[i].name; i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return vars[i].value ? vars[i].value : "";
    return "";
}

static void put_html(gh_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': gh_buf_puts(b, "&amp;"); break;
        case '<': gh_buf_puts(b, "&lt;"); break;
        case '>': gh_buf_puts(b, "&gt;"); break;
        case '"': gh_buf_puts(b, "&quot;"); break;
        case '\'': gh_buf_puts(b, "&#39;"); break;
        default: gh_buf_append(b, &s[i], 1);
        }
    }
}

/* Expands {{var}} in tpl[0..n) into b; html: values escaped. */
static void expand(gh_buf *b, const char *tpl, size_t n, const gh_mail_var *vars, bool html)
{
    size_t i = 0;
    while (i < n) {
        const char *open = NULL;
        for (size_t j = i; j + 1 < n; j++)
            if (tpl[j] == '{' && tpl[j + 1] == '{') { open = tpl + j; break; }
        if (!open) { gh_buf_append(b, tpl + i, n - i); break; }
        gh_buf_append(b, tpl + i, (size_t)(open - (tpl + i)));
        const char *name = open + 2, *end = name;
        while ((size_t)(end - tpl) + 1 < n && !(end[0] == '}' && end[1] == '}')) end++;
        if ((size_t)(end - tpl) + 1 >= n) { gh_buf_append(b, open, n - (size_t)(open - tpl)); break; }
        const char *v = var_of(vars, name, (size_t)(end - name));
        if (html) put_html(b, v, strlen(v)); else gh_buf_puts(b, v);
        i = (size_t)(end + 2 - tpl);
    }
}

/* The text body as HTML paragraphs; a paragraph that is one URL becomes a link. */
static void text_to_html(gh_buf *b, const char *text)
{
    const char *p = text;
    while (*p) {
        while (*p == '\n') p++;
        if (!*p) break;
        const char *e = strstr(p, "\n\n");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n > 0 && p[n - 1] == '\n') n--;
        bool url = (n > 8 && (strncmp(p, "https://", 8) == 0 || strncmp(p, "http://", 7) == 0) &&
                    !memchr(p, ' ', n) && !memchr(p, '\n', n));
        gh_buf_puts(b, "<p>");
        if (url) {
            gh_buf_puts(b, "<a href=\"");
            put_html(b, p, n);
            gh_buf_puts(b, "\">");
            put_html(b, p, n);
            gh_buf_puts(b, "</a>");
        } else {
            for (size_t i = 0; i < n; i++) {
                if (p[i] == '\n') gh_buf_puts(b, "<br>\n"); else put_html(b, p + i, 1);
            }
        }
        gh_buf_puts(b, "</p>\n");
        p += n;
    }
}

void gh_mail_text_free(gh_mail_text *t)
{
    char **f[] = {&t->subject, &t->text, &t->html};
    for (size_t i = 0; i < 3; i++) {
        if (*f[i]) {
            sodium_memzero(*f[i], strlen(*f[i]));
            free(*f[i]);
            *f[i] = NULL;
        }
    }
}

static int wrap_html(gh_buf *h, const char *lang, const char *subject, const char *org, const char *text)
{
    gh_buf c;
    gh_buf_init(&c, GH_MAIL_MAX);
    c.wipe = true;
    int rc = -1;
    const gh_asset *layout = find_localized(lang, "layout.html");
    if (!layout) goto out;
    text_to_html(&c, text);
    if (!gh_buf_ok(&c)) goto out;
    gh_mail_var lv[] = {{"subject", subject}, {"org", org}, {NULL, NULL}};
    /* {{content}} is already HTML: expand the layout around it. */
    const char *lt = (const char *)layout->data;
    const char *mark = strstr(lt, "{{content}}");
    if (!mark) goto out;
    expand(h, lt, (size_t)(mark - lt), lv, true);
    gh_buf_append(h, c.data, c.len);
    expand(h, mark + 11, layout->len - (size_t)(mark + 11 - lt), lv, true);
    rc = gh_buf_ok(h) ? 0 : -1;
out:
    gh_buf_release(&c);
    return rc;
}

char *gh_mail_html_of_text(const char *subject, const char *org, const char *text)
{
    gh_buf h;
    gh_buf_init(&h, GH_MAIL_MAX);
    h.wipe = true;
    char *r = wrap_html(&h, NULL, subject, org ? org : "", text) == 0 ? gh_buf_take(&h) : NULL;
    gh_buf_release(&h);
    return r;
}

int gh_mail_render(const char *kind, const gh_mail_var *vars, gh_mail_text *out)
{
    return gh_mail_render_lang(kind, NULL, vars, out);
}

int gh_mail_render_lang(const char *kind, const char *lang, const gh_mail_var *vars, gh_mail_text *out)
{
    memset(out, 0, sizeof *out);
    char file[80];
    if (snprintf(file, sizeof file, "%s.txt", kind) >= (int)sizeof file) return -1;
    const gh_asset *t = find_localized(lang, file);
    if (!t) return -1;
    const char *src = (const char *)t->data;
    if (t->len < 10 || strncmp(src, "Subject: ", 9) != 0) return -1;
    const char *nl = memchr(src, '\n', t->len);
    if (!nl) return -1;
    const char *body = nl + 1;
    while ((size_t)(body - src) < t->len && *body == '\n') body++;
    gh_buf s, x, h;
    gh_buf_init(&s, 4096);
    gh_buf_init(&x, GH_MAIL_MAX);
    gh_buf_init(&h, GH_MAIL_MAX);
    s.wipe = x.wipe = h.wipe = true; /* the text holds the link */
    expand(&s, src + 9, (size_t)(nl - src - 9), vars, false);
    expand(&x, body, t->len - (size_t)(body - src), vars, false);
    int rc = -1;
    if (!gh_buf_ok(&s) || !gh_buf_ok(&x)) goto out;
    /* Header injection: a subject is one line. */
    for (size_t i = 0; i < s.len; i++) if (s.data[i] == '\r' || s.data[i] == '\n') s.data[i] = ' ';
    if (wrap_html(&h, lang, s.data, var_of(vars, "org", 3), x.data) != 0) goto out;
    out->subject = gh_buf_take(&s);
    out->text = gh_buf_take(&x);
    out->html = gh_buf_take(&h);
    if (!out->subject || !out->text || !out->html) { gh_mail_text_free(out); goto out; }
    rc = 0;
out:
    gh_buf_release(&s);
    gh_buf_release(&x);
    gh_buf_release(&h);
    return rc;
}

bool gh_mail_parse_from(const char *from, char *name, size_t name_cap, char *addr, size_t addr_cap)
{
    if (!from || name_cap == 0 || addr_cap == 0) return false;
    name[0] = addr[0] = '\0';
    const char *lt = strrchr(from, '<');
    const char *a = from, *ae = from + strlen(from);
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] != '\0') return false;
        a = lt + 1;
        ae = gt;
        const char *ns = from, *ne = lt;
        while (ns < ne && (*ns == ' ' || *ns == '"')) ns++;
        while (ne > ns && (ne[-1] == ' ' || ne[-1] == '"')) ne--;
        if ((size_t)(ne - ns) >= name_cap) return false;
        memcpy(name, ns, (size_t)(ne - ns));
        name[ne - ns] = '\0';
    }
    while (a < ae && *a == ' ') a++;
    while (ae > a && ae[-1] == ' ') ae--;
    size_t n = (size_t)(ae - a);
    if (n == 0 || n >= addr_cap) return false;
    const char *at = memchr(a, '@', n);
    if (!at || at == a || at == ae - 1) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= ' ' || a[i] == '<' || a[i] == '>' || a[i] == '"' || a[i] == 0x7f) return false;
    memcpy(addr, a, n);
    addr[n] = '\0';
    for (const char *p = name; *p; p++)
        if (*p == '\r' || *p == '\n') return false;
    return true;
}

static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return false;
    return true;
}

static void encoded_words(gh_buf *b, const char *s)
{
    size_t n = strlen(s), i = 0;
    bool first = true;
    while (i < n) {
        /* 45 bytes -> 60 base64 characters; with "=?UTF-8?B?" and "?=" 72 <= 75. */
        size_t take = n - i < 45 ? n - i : 45;
        while (take > 0 && i + take < n && ((unsigned char)s[i + take] & 0xC0) == 0x80) take--;
        if (take == 0) take = n - i < 45 ? n - i : 45; /* not UTF-8: split anyway */
        char enc[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s + i, take, sodium_base64_VARIANT_ORIGINAL);
        gh_buf_printf(b, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", enc);
        first = false;
        i += take;
    }
}

void gh_mail_header_text(gh_buf *b, const char *text)
{
    if (plain_ascii(text) && strlen(text) <= 900) gh_buf_puts(b, text);
    else encoded_words(b, text);
}

void gh_mail_mailbox(gh_buf *b, const char *name, const char *addr)
{
    if (!name || !*name) { gh_buf_puts(b, addr); return; }
    if (plain_ascii(name)) {
        gh_buf_puts(b, "\"");
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\') gh_buf_puts(b, "\\");
            gh_buf_append(b, p, 1);
        }
        gh_buf_puts(b, "\"");
    } else {
        encoded_words(b, name);
    }
    gh_buf_printf(b, " <%s>", addr);
}

/* base64 of s in lines of 76 characters, CRLF after each. */
static void base64_lines(gh_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 57) {
        size_t take = n - i < 57 ? n - i : 57;
        char enc[sodium_base64_ENCODED_LEN(57, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s + i, take, sodium_base64_VARIANT_ORIGINAL);
        gh_buf_printf(b, "%s\r\n", enc);
    }
}

char *gh_mail_build(const gh_mail_msg *m, size_t *len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)m->date;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return NULL;
    gh_buf b;
    gh_buf_init(&b, 2 * GH_MAIL_MAX);
    b.wipe = true;
    gh_buf_printf(&b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    gh_buf_puts(&b, "From: ");
    gh_mail_mailbox(&b, m->from_name, m->from_addr);
    gh_buf_printf(&b, "\r\nTo: %s\r\nSubject: ", m->to);
    gh_mail_header_text(&b, m->subject);
    gh_buf_printf(&b, "\r\nMessage-ID: %s\r\n"
                      "Auto-Submitted: auto-generated\r\n"
                      "MIME-Version: 1.0\r\n"
                      "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
                      "\r\n"
                      "--%s\r\n"
                      "Content-Type: text/plain; charset=UTF-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n",
                  m->message_id, m->boundary, m->boundary);
    base64_lines(&b, m->text, strlen(m->text));
    gh_buf_printf(&b, "\r\n--%s\r\n"
                      "Content-Type: text/html; charset=UTF-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n", m->boundary);
    base64_lines(&b, m->html, strlen(m->html));
    gh_buf_printf(&b, "\r\n--%s--\r\n", m->boundary);
    if (!gh_buf_ok(&b)) {
        gh_buf_release(&b);
        return NULL;
    }
    *len = b.len;
    return gh_buf_take(&b);
}
