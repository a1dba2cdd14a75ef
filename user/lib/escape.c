// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runs of bytes that need no escaping are found eight at a time (the bit
 * tricks below) and copied at once; only the bytes that do need it are
 * looked at one by one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/escape.h"

static const char hex[] = "0123456789abcdef";

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/*
 * The special bytes of 8 at once, as the high bit of each: (x - ONES * k)
 * marks a byte below k (it borrows) or at least 0x80 + k, bytes_eq() one
 * equal to c, and x itself every byte from 0x80 up. A borrow may also mark
 * bytes after a special one, never before: the first marked byte is the
 * first special byte, and only that one is used.
 */
static inline uint64_t bytes_eq(uint64_t x, unsigned char c)
{
	uint64_t y = x ^ (ONES * c);

	return (y - ONES) & ~y;
}

/* Bytes JSON takes as they are: printable ASCII but quote and backslash. */
static inline uint64_t json_special8(uint64_t x)
{
	return ((x - ONES * 0x20) | bytes_eq(x, '"') | bytes_eq(x, '\\') | bytes_eq(x, 0x7f) | x) &
	       HIGH;
}

/* Bytes text takes as they are: printable ASCII but space and backslash. */
static inline uint64_t text_special8(uint64_t x)
{
	return ((x - ONES * 0x21) | bytes_eq(x, '\\') | bytes_eq(x, 0x7f) | x) & HIGH;
}

/* 8 bytes of s, the first in memory the lowest (borrows run upwards) */
static inline uint64_t load8(const unsigned char *s)
{
	uint64_t x;

	memcpy(&x, s, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

static inline size_t first_marked(uint64_t m)
{
	return (size_t)__builtin_ctzll(m) >> 3;
}

static inline bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static inline bool text_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '\\';
}

/* How many bytes from s[0] on (at most n) are plain. */
#define PLAIN_RUN(name, special8, plain)                            \
	static inline size_t name(const unsigned char *s, size_t n) \
	{                                                           \
		size_t i = 0;                                       \
		uint64_t m;                                         \
                                                                    \
		for (; i + 8 <= n; i += 8) {                        \
			if ((m = special8(load8(s + i))))           \
				return i + first_marked(m);         \
		}                                                   \
		while (i < n && plain(s[i]))                        \
			i++;                                        \
		return i;                                           \
	}

PLAIN_RUN(json_run, json_special8, json_plain)
PLAIN_RUN(text_run, text_special8, text_plain)

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

/* The one byte or UTF-8 sequence at s that is not plain: what it takes
 * (at most 6 bytes out, 4 in), *used the bytes of s it was. */
static char *json_special(char *p, const unsigned char *s, size_t n, size_t *used)
{
	unsigned char c = s[0];
	size_t len;

	*used = 1;
	switch (c) {
	case '"':
		return raw_lit(p, "\\\"");
	case '\\':
		return raw_lit(p, "\\\\");
	case '\n':
		return raw_lit(p, "\\n");
	case '\r':
		return raw_lit(p, "\\r");
	case '\t':
		return raw_lit(p, "\\t");
	}
	if (c < 0x20 || c == 0x7f) {
		p = raw_lit(p, "\\u00");
		*p++ = hex[c >> 4];
		*p++ = hex[c & 15];
		return p;
	}
	len = utf8_seq_len(s, n);
	if (!len)
		return raw_lit(p, "\\ufffd");
	*used = len;
	return raw_put(p, (const char *)s, len);
}

/* s[0..n) escaped until at least limit bytes of it are (a UTF-8 sequence is
 * judged on all of s): at most 6 * (limit + 3) bytes out; *used: how many. */
static char *json_body(char *p, const unsigned char *s, size_t n, size_t limit, size_t *used)
{
	size_t i = 0, k;

	if (limit > n)
		limit = n;
	while (i < limit) {
		k = json_run(s + i, limit - i);
		p = raw_put(p, (const char *)s + i, k);
		i += k;
		if (i == limit)
			break;
		p = json_special(p, s + i, n - i, &k);
		i += k;
	}
	*used = i;
	return p;
}

char *raw_json_str(char *p, const char *s, size_t n)
{
	size_t used;

	*p++ = '"';
	p = json_body(p, (const unsigned char *)s, n, n, &used);
	*p++ = '"';
	return p;
}

/* Where the string may not fit: through a small buffer, a piece at a time,
 * cut where appending the whole of it would have been. */
#define CHUNK 64

void json_str(struct sbuf *sb, const char *s, size_t maxlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strnlen(s, maxlen), used;
	char tmp[6 * (CHUNK + 3)];

	if (JSON_STR_MAX(n) <= sbuf_room(sb)) {
		sbuf_commit(sb, raw_json_str(sb->buf + sb->len, s, n));
		return;
	}
	sbuf_putc(sb, '"');
	while (n && !sb->overflow) {
		char *e = json_body(tmp, u, n, CHUNK, &used);

		sbuf_putn(sb, tmp, (size_t)(e - tmp));
		u += used;
		n -= used;
	}
	sbuf_putc(sb, '"');
}

static char *text_body(char *p, const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = text_run(s + i, n - i);
		p = raw_put(p, (const char *)s + i, k);
		i += k;
		if (i == n)
			break;
		*p++ = '\\';
		*p++ = 'x';
		*p++ = hex[s[i] >> 4];
		*p++ = hex[s[i] & 15];
		i++;
	}
	return p;
}

char *raw_text_str(char *p, const char *s, size_t n)
{
	return text_body(p, (const unsigned char *)s, n);
}

void text_str(struct sbuf *sb, const char *s, size_t maxlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strnlen(s, maxlen);
	char tmp[TEXT_STR_MAX(CHUNK)];

	if (!n)
		return;
	if (TEXT_STR_MAX(n) <= sbuf_room(sb)) {
		sbuf_commit(sb, raw_text_str(sb->buf + sb->len, s, n));
		return;
	}
	while (n && !sb->overflow) {
		size_t k = n < CHUNK ? n : CHUNK;

		sbuf_putn(sb, tmp, (size_t)(text_body(tmp, u, k) - tmp));
		u += k;
		n -= k;
	}
}
