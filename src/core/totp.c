/* TOTP codes (liboath) and the QR code of the enrolment URI (libqrencode). */
#include "core/totp.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_rc = -1;
static void oath_start(void) { oath_init_rc = oath_init(); }

static bool oath_ready(void)
{
    pthread_once(&oath_once, oath_start);
    return oath_init_rc == OATH_OK;
}

int64_t gh_totp_step(int64_t now) { return now < 0 ? 0 : now / GH_TOTP_STEP_S; }

int gh_totp_code(const unsigned char *secret, size_t len, int64_t step, char out[GH_TOTP_DIGITS + 1])
{
    char buf[GH_TOTP_DIGITS + 8] = {0};
    out[0] = '\0';
    if (!oath_ready() || step < 0) return -1;
    /* liboath computes the step from a time; the middle of the step is
     * unambiguous whatever its rounding. */
    time_t at = (time_t)(step * GH_TOTP_STEP_S + GH_TOTP_STEP_S / 2);
    if (oath_totp_generate((const char *)secret, len, at, GH_TOTP_STEP_S, 0, GH_TOTP_DIGITS, buf) != OATH_OK) return -1;
    memcpy(out, buf, GH_TOTP_DIGITS);
    out[GH_TOTP_DIGITS] = '\0';
    sodium_memzero(buf, sizeof buf);
    return 0;
}

gh_totp_result gh_totp_verify(const unsigned char *secret, size_t len, int64_t now, const char *code,
                              int64_t last_step, int64_t *matched)
{
    gh_totp_result res = GH_TOTP_WRONG;
    char want[GH_TOTP_DIGITS + 1];
    *matched = 0;
    if (!code || strlen(code) != GH_TOTP_DIGITS) return GH_TOTP_WRONG;
    for (size_t i = 0; i < GH_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9') return GH_TOTP_WRONG;
    int64_t step = gh_totp_step(now);
    /* Every step of the window is computed and compared in constant time,
     * so the answer's timing does not say which step matched. */
    for (int64_t s = step - GH_TOTP_WINDOW; s <= step + GH_TOTP_WINDOW; s++) {
        if (s < 0 || gh_totp_code(secret, len, s, want) != 0) continue;
        if (sodium_memcmp(want, code, GH_TOTP_DIGITS) != 0) continue;
        if (s > last_step) {
            if (res != GH_TOTP_OK) { res = GH_TOTP_OK; *matched = s; }
        } else if (res == GH_TOTP_WRONG) {
            res = GH_TOTP_REUSED;
            *matched = s;
        }
    }
    sodium_memzero(want, sizeof want);
    return res;
}

int gh_totp_base32(const unsigned char *secret, size_t len, char out[GH_TOTP_B32_MAX])
{
    char *b32 = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (!oath_ready() || oath_base32_encode((const char *)secret, len, &b32, &n) != OATH_OK) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < GH_TOTP_B32_MAX; i++)
        if (b32[i] != '=') out[k++] = b32[i];
    out[k] = '\0';
    int rc = k < n && b32[k] != '=' ? -1 : 0;
    sodium_memzero(b32, n);
    free(b32);
    return rc;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void put_encoded(gh_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            gh_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            gh_buf_append(b, e, 3);
        }
    }
}

char *gh_totp_uri(const char *issuer, const char *account, const char *secret_b32)
{
    gh_buf b;
    gh_buf_init(&b, 4096);
    b.wipe = true;
    gh_buf_puts(&b, "otpauth://totp/");
    put_encoded(&b, issuer);
    gh_buf_puts(&b, ":");
    put_encoded(&b, account);
    gh_buf_puts(&b, "?secret=");
    gh_buf_puts(&b, secret_b32);
    gh_buf_puts(&b, "&issuer=");
    put_encoded(&b, issuer);
    gh_buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", GH_TOTP_DIGITS, GH_TOTP_STEP_S);
    if (!gh_buf_ok(&b)) { gh_buf_release(&b); return NULL; }
    return gh_buf_take(&b);
}

char *gh_qr_svg(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr) return NULL;
    const int quiet = 4;
    int size = qr->width + 2 * quiet;
    gh_buf b;
    gh_buf_init(&b, 512 * 1024);
    b.wipe = true; /* the picture encodes the secret */
    gh_buf_printf(&b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
                  " shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
                  "<path fill=\"#000\" d=\"",
                  size, size, size * 6, size * 6, size, size);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1) gh_buf_printf(&b, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    gh_buf_puts(&b, "\"/></svg>");
    sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
    QRcode_free(qr);
    if (!gh_buf_ok(&b)) { gh_buf_release(&b); return NULL; }
    return gh_buf_take(&b);
}
