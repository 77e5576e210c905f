/*
 * Data compiled into the binary at build time by tools/embed.c: the default
 * permission catalog, the common-password list (Debian's john-data
 * password.lst) and the web console and kiosk pages.
 */
#ifndef GH_ASSETS_H
#define GH_ASSETS_H
#include <stddef.h>

typedef struct gh_asset {
    const char *path;            /* "/console/index.html", relative to web/ */
    const unsigned char *data;   /* NUL-terminated for convenience */
    size_t len;                  /* without the terminating NUL */
} gh_asset;

extern const unsigned char gh_embedded_default_catalog[];
extern const size_t gh_embedded_default_catalog_len;
extern const unsigned char gh_embedded_passwords[];
extern const size_t gh_embedded_passwords_len;
extern const unsigned char gh_embedded_openapi[];
extern const size_t gh_embedded_openapi_len;
extern const gh_asset gh_web_assets[];  /* terminated by a {NULL} entry */
extern const size_t gh_web_assets_count;
/* The mail templates of mail/ ("/invite.txt", "/layout.html", ...). */
extern const gh_asset gh_mail_assets[];  /* terminated by a {NULL} entry */
extern const size_t gh_mail_assets_count;

#endif
