/* gh_err helpers. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

/* The format attribute lets the compiler check the callers' formats
 * (gh_fail and gh_fail_field pass theirs on) instead of warning here. */
__attribute__((format(printf, 5, 0)))
static gh_status vfail(gh_err *err, gh_status status, const char *code, const char *field,
                       const char *fmt, va_list ap)
{
    err->status = status;
    gh_strlcpy(err->code, code ? code : "error", sizeof err->code);
    gh_strlcpy(err->field, field ? field : "", sizeof err->field);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    return status;
}

gh_status gh_fail(gh_err *err, gh_status status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gh_status s = vfail(err, status, code, NULL, fmt, ap);
    va_end(ap);
    return s;
}

gh_status gh_fail_field(gh_err *err, gh_status status, const char *code, const char *field,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gh_status s = vfail(err, status, code, field, fmt, ap);
    va_end(ap);
    return s;
}

void gh_err_extra(gh_err *err, const char *key, json_t *value)
{
    if (!value) return;
    if (!err->extra) err->extra = json_object();
    if (err->extra) json_object_set_new(err->extra, key, value);
    else json_decref(value);
}

void gh_err_clear(gh_err *err)
{
    json_decref(err->extra);
    *err = (gh_err){0};
}

void gh_err_sentence(const char *in, char *out, size_t cap)
{
    if (cap == 0) return;
    gh_strlcpy(out, in ? in : "", cap);
    size_t n = strlen(out);
    if (n == 0) return;
    size_t w = strcspn(out, " :,;");
    bool ident = (w < 2 && out[0] != 'a') || out[0] < 'a' || out[0] > 'z';
    for (size_t i = 0; i < w && !ident; i++)
        if (!(out[i] >= 'a' && out[i] <= 'z') && out[i] != '-' && out[i] != '\'') ident = true;
    if (!ident) out[0] = (char)(out[0] - 'a' + 'A');
    char last = out[n - 1];
    if (last != '.' && last != '!' && last != '?' && last != ':' && n + 1 < cap) {
        out[n] = '.';
        out[n + 1] = '\0';
    }
}

void gh_err_merge(gh_err *all, gh_err *one)
{
    if (one->status == GH_OK) return;
    json_t *item = json_pack("{s:s, s:s, s:s}", "field", one->field, "code", one->code, "detail", one->detail);
    if (all->status == GH_OK) {
        *all = *one;
        *one = (gh_err){0};
    } else {
        gh_err_clear(one);
    }
    if (!all->extra) all->extra = json_object();
    json_t *list = all->extra ? json_object_get(all->extra, "errors") : NULL;
    if (all->extra && !list && json_object_set_new(all->extra, "errors", list = json_array()) != 0) list = NULL;
    if (item && list) json_array_append(list, item);
    json_decref(item);
}

gh_status gh_check_text(gh_err *err, const char *code, const char *field, const char *s, size_t min, size_t max)
{
    uint32_t cp = 0;
    gh_text_fault f = gh_text_check(s, min, max, &cp);
    switch (f) {
    case GH_TEXT_OK: return GH_OK;
    case GH_TEXT_MISSING:
        gh_fail_field(err, GH_E_INVALID, code, field, "'%s' is required", field);
        gh_err_extra(err, "reason", json_string("missing"));
        break;
    case GH_TEXT_TOO_SHORT:
        if (min <= 1) gh_fail_field(err, GH_E_INVALID, code, field, "'%s' is empty", field);
        else gh_fail_field(err, GH_E_INVALID, code, field, "'%s' is shorter than %zu bytes", field, min);
        gh_err_extra(err, "reason", json_string("too_short"));
        break;
    case GH_TEXT_TOO_LONG:
        gh_fail_field(err, GH_E_INVALID, code, field, "'%s' is longer than %zu bytes", field, max);
        gh_err_extra(err, "reason", json_string("too_long"));
        gh_err_extra(err, "max_bytes", json_integer((json_int_t)max));
        break;
    case GH_TEXT_BAD_UTF8:
        gh_fail_field(err, GH_E_INVALID, code, field, "'%s' is not valid UTF-8", field);
        gh_err_extra(err, "reason", json_string("invalid_utf8"));
        break;
    case GH_TEXT_CONTROL:
        gh_fail_field(err, GH_E_INVALID, code, field, "'%s' contains a control character (U+%04X); use one line of text",
                      field, (unsigned)cp);
        gh_err_extra(err, "reason", json_string("control_character"));
        break;
    case GH_TEXT_BIDI:
        gh_fail_field(err, GH_E_INVALID, code, field,
                      "'%s' contains a bidirectional control character (U+%04X), which can make text read differently "
                      "from what it is", field, (unsigned)cp);
        gh_err_extra(err, "reason", json_string("bidi_control"));
        break;
    case GH_TEXT_BLANK:
        gh_fail_field(err, GH_E_INVALID, code, field, "'%s' is only white space", field);
        gh_err_extra(err, "reason", json_string("blank"));
        break;
    }
    return GH_E_INVALID;
}
