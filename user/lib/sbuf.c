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

void sbuf_putn(struct sbuf *sb, const char *s, size_t n)
{
	size_t room = sb->cap ? sb->cap - 1 - sb->len : 0;

	if (n > room) {
		n = room;
		sb->overflow = true;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	if (sb->cap)
		sb->buf[sb->len] = '\0';
}

void sbuf_putc(struct sbuf *sb, char c)
{
	sbuf_putn(sb, &c, 1);
}

void sbuf_puts(struct sbuf *sb, const char *s)
{
	sbuf_putn(sb, s, strlen(s));
}

void sbuf_u64(struct sbuf *sb, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sbuf_putn(sb, tmp + i, sizeof(tmp) - i);
}

void sbuf_i64(struct sbuf *sb, int64_t v)
{
	if (v < 0) {
		sbuf_putc(sb, '-');
		sbuf_u64(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		sbuf_u64(sb, (uint64_t)v);
	}
}

void sbuf_pad_from(struct sbuf *sb, size_t start, size_t width)
{
	while (sb->len - start < width && !sb->overflow)
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
		sb->overflow = true;
		sb->len = room ? room - 1 : 0;
	} else {
		sb->len += (size_t)n;
	}
}
