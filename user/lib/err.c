// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

/*
 * Messages quote what the user or a peer gave us (a sink spec, an option
 * value, a path), and a newline or an escape sequence in it must not break
 * the one line a message is, nor reach a terminal raw: control bytes become
 * \xNN, in place, as far as the buffer allows (cut at a whole escape).
 */
static void escape_controls(char *s, size_t len)
{
	char tmp[1024], *src = s;
	size_t n = strlen(s), i, o = 0;

	if (!strpbrk(s, "\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020"
			"\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177"))
		return;
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, src, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tmp[i];
		int w = (c < 0x20 || c == 0x7f) ? 4 : 1;

		if (o + w >= len)
			break;
		if (w == 4)
			snprintf(s + o, 5, "\\x%02x", c);
		else
			s[o] = (char)c;
		o += w;
	}
	s[o] = '\0';
}

int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		escape_controls(err, errlen);
	}
	return rc;
}
