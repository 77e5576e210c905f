/* gh_err helpers. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

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
