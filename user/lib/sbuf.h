/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sbuf: append-only text into a caller-owned fixed buffer. No allocation:
 * formatting an event must not call malloc. On overflow the text is cut
 * and sbuf.overflow is set; the buffer always stays NUL-terminated.
 */
#ifndef SS_SBUF_H
#define SS_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char *buf;
	size_t len;
	size_t cap; /* bytes available, including the NUL */
	bool overflow;
};

void sbuf_init(struct sbuf *sb, char *buf, size_t cap);
void sbuf_reset(struct sbuf *sb);
void sbuf_putc(struct sbuf *sb, char c);
void sbuf_putn(struct sbuf *sb, const char *s, size_t n);
void sbuf_puts(struct sbuf *sb, const char *s);
void sbuf_u64(struct sbuf *sb, uint64_t v);
void sbuf_i64(struct sbuf *sb, int64_t v);
/* Left-justify the text written since 'start' to at least 'width' bytes. */
void sbuf_pad_from(struct sbuf *sb, size_t start, size_t width);
void sbuf_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
