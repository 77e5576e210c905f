/* Unit tests for the webhook signature (Standard Webhooks) and the audit
 * export's CSV cells (formula neutralisation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/auditexport.h"
#include "core/webhooks.h"

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

/* The example of the Standard Webhooks specification. */
static void signs_like_the_spec(void **state)
{
    (void)state;
    char sig[128];
    const char *body = "{\"test\": 2432232314}";
    assert_int_equal(gh_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                     1614265330, body, strlen(body), sig, sizeof sig), 0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* Any other id, time or body gives another signature. */
    char other[128];
    assert_int_equal(gh_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                     1614265331, body, strlen(body), other, sizeof other), 0);
    assert_string_not_equal(sig, other);
}

static void refuses_bad_secrets(void **state)
{
    (void)state;
    char sig[128];
    assert_int_equal(gh_webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}", 2, sig, sizeof sig), -1);
    assert_int_equal(gh_webhook_sign("whsec_!!!", "m", 1, "{}", 2, sig, sizeof sig), -1);
    assert_int_equal(gh_webhook_sign("whsec_", "m", 1, "{}", 2, sig, sizeof sig), -1);
    assert_int_equal(gh_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}", 2, sig, 10), -1);
}

static void cell(const char *in, const char *want)
{
    gh_buf b;
    gh_buf_init(&b, 1024);
    gh_csv_cell(&b, in);
    assert_true(gh_buf_ok(&b));
    char *s = gh_buf_take(&b);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void csv_cells(void **state)
{
    (void)state;
    cell("plain", "\"plain\"");
    cell(NULL, "\"\"");
    cell("say \"hi\", ok", "\"say \"\"hi\"\", ok\"");
    cell("=1+1", "\"'=1+1\"");
    cell("+1", "\"'+1\"");
    cell("-1", "\"'-1\"");
    cell("@SUM(A1)", "\"'@SUM(A1)\"");
    cell("\tx", "\"'\tx\"");
    cell("\rx", "\"'\rx\"");
    cell("=\"a\"", "\"'=\"\"a\"\"\"");
    cell("a=1", "\"a=1\"");
    cell(" =1", "\" =1\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signs_like_the_spec),
        cmocka_unit_test(refuses_bad_secrets),
        cmocka_unit_test(csv_cells),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
