// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/sbuf.h"

void sbuf_init(struct sbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sbuf_reset(sb);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	sb->overflow = false;
	if (sb->cap)
		sb->buf[0] = '\0';
}

void sbuf_putn_cut(struct sbuf *sb, const char *s, size_t n)
{
	size_t room = sbuf_room(sb);

	if (n > room) {
		n = room;
		sb->overflow = true;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	if (sb->cap)
		sb->buf[sb->len] = '\0';
}

const char sbuf_digits2[201] = "00010203040506070809"
			       "10111213141516171819"
			       "20212223242526272829"
			       "30313233343536373839"
			       "40414243444546474849"
			       "50515253545556575859"
			       "60616263646566676869"
			       "70717273747576777879"
			       "80818283848586878889"
			       "90919293949596979899";

const uint32_t sbuf_pow10[10] = {1,	 10,	  100,	    1000,      10000,
				 100000, 1000000, 10000000, 100000000, 1000000000};

char *raw_u64_big(char *p, uint64_t v)
{
	/* the low 9 digits, then the rest (at most 11 digits) */
	p = raw_u64(p, v / 1000000000u);
	return raw_u32_fixed(p, (uint32_t)(v % 1000000000u), 9);
}

char *raw_u32_fixed(char *p, uint32_t v, unsigned int digits)
{
	char *end = p + digits, *q = end;

	while (q - p >= 2) {
		q -= 2;
		memcpy(q, sbuf_digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (q > p)
		*--q = (char)('0' + v % 10);
	return end;
}

void sbuf_u64(struct sbuf *sb, uint64_t v)
{
	char tmp[RAW_U64_MAX];
	char *p = sbuf_begin(sb, tmp, RAW_U64_MAX);

	sbuf_end(sb, tmp, p, raw_u64(p, v));
}

void sbuf_i64(struct sbuf *sb, int64_t v)
{
	char tmp[RAW_U64_MAX + 1];
	char *p = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, p, raw_i64(p, v));
}

void sbuf_pad_from(struct sbuf *sb, size_t start, size_t width)
{
	size_t have = sb->len - start, n;

	if (have >= width || sb->overflow)
		return;
	n = width - have;
	if (n <= sbuf_room(sb)) {
		sbuf_commit(sb, raw_spaces(sb->buf + sb->len, n));
		return;
	}
	while (n-- && !sb->overflow)
		sbuf_putc(sb, ' ');
}

void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->cap ? sb->cap - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		/* vsnprintf kept room - 1 bytes of it (the text before stays) */
		sb->overflow = true;
		sb->len += room ? room - 1 : 0;
	} else {
		sb->len += (size_t)n;
	}
}
