// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>

#include "lib/escape.h"

static const char hex[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static size_t bounded_len(const char *s, size_t maxlen)
{
	size_t n = 0;

	while (n < maxlen && s[n])
		n++;
	return n;
}

void json_str(struct sbuf *sb, const char *s, size_t maxlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = bounded_len(s, maxlen), i = 0;

	sbuf_putc(sb, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t len;

		switch (c) {
		case '"':
			sbuf_puts(sb, "\\\"");
			i++;
			continue;
		case '\\':
			sbuf_puts(sb, "\\\\");
			i++;
			continue;
		case '\n':
			sbuf_puts(sb, "\\n");
			i++;
			continue;
		case '\r':
			sbuf_puts(sb, "\\r");
			i++;
			continue;
		case '\t':
			sbuf_puts(sb, "\\t");
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			sbuf_putn(sb, esc, sizeof(esc));
			i++;
			continue;
		}
		len = utf8_seq_len(p + i, n - i);
		if (!len) {
			sbuf_puts(sb, "\\ufffd");
			i++;
			continue;
		}
		sbuf_putn(sb, (const char *)p + i, len);
		i += len;
	}
	sbuf_putc(sb, '"');
}

void text_str(struct sbuf *sb, const char *s, size_t maxlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = bounded_len(s, maxlen);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c > 0x20 && c < 0x7f && c != '\\') {
			sbuf_putc(sb, (char)c);
		} else {
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

			sbuf_putn(sb, esc, sizeof(esc));
		}
	}
}
