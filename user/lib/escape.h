/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Escaping of hostile strings (process names are chosen by whoever runs the
 * process): nothing a string contains may break a JSON line or a column.
 */
#ifndef SS_ESCAPE_H
#define SS_ESCAPE_H

#include <stddef.h>

#include "lib/sbuf.h"

/*
 * A quoted JSON string of at most maxlen bytes of s (stops at NUL).
 * Quote, backslash and control bytes are escaped; valid UTF-8 is kept;
 * each byte of an invalid UTF-8 sequence becomes U+FFFD, so the line is
 * always valid UTF-8 JSON.
 */
void json_str(struct sbuf *sb, const char *s, size_t maxlen);

/*
 * The one text escaper: every text output (trace lines and reasons, ports,
 * who, history) prints hostile strings through it. Printable ASCII other
 * than space and backslash is kept, every other byte becomes \xNN (space
 * \x20, backslash \x5c, each byte of UTF-8, valid or not): lossless, a
 * value is one token on one line and its width is its length, so columns
 * stay aligned (docs/CONTRACT.md).
 */
void text_str(struct sbuf *sb, const char *s, size_t maxlen);

/*
 * The same into room the caller made (lib/sbuf.h): the n bytes of s (no
 * NUL among them: the caller bounded it, strnlen()), at most
 * JSON_STR_MAX(n) / TEXT_STR_MAX(n) bytes written; returns the end.
 */
#define JSON_STR_MAX(n) (2 + 6 * (size_t)(n))
#define TEXT_STR_MAX(n) (4 * (size_t)(n))
char *raw_json_str(char *p, const char *s, size_t n);
char *raw_text_str(char *p, const char *s, size_t n);

#endif
