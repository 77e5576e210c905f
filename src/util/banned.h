/*
 * Functions gatehouse does not call, in the style of git's banned.h: each
 * becomes a compile error naming the function. They write or read without
 * a bound (strcpy, strcat, sprintf, vsprintf, gets), hide errors (atoi,
 * atol, atoll), keep hidden state (strtok) or do not terminate (strncpy,
 * strncat). Use gh_strlcpy, snprintf, gh_buf, gh_parse_i64 and strtok_r
 * where a loop needs one.
 *
 * Included at the end of util/util.h, after the C library headers that
 * declare these (their include guards keep later includes from seeing the
 * macros), so every file that includes util.h, directly or through a layer
 * header, is covered. A file that must not include util.h includes this
 * last.
 */
#ifndef GH_BANNED_H
#define GH_BANNED_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GH_BANNED(func) sorry_##func##_is_banned_see_util_banned_h

#undef strcpy
#define strcpy(x, y) GH_BANNED(strcpy)
#undef strcat
#define strcat(x, y) GH_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) GH_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) GH_BANNED(strncat)
#undef strtok
#define strtok(x, y) GH_BANNED(strtok)
#undef sprintf
#define sprintf(...) GH_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) GH_BANNED(vsprintf)
#undef gets
#define gets(x) GH_BANNED(gets)
#undef atoi
#define atoi(x) GH_BANNED(atoi)
#undef atol
#define atol(x) GH_BANNED(atol)
#undef atoll
#define atoll(x) GH_BANNED(atoll)

#endif
