/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sbuf: append-only text into a caller-owned fixed buffer. No allocation:
 * formatting an event must not call malloc. On overflow the text is cut
 * and sbuf.overflow is set; the buffer always stays NUL-terminated.
 *
 * The appends every event line makes are inline, and a formatter that
 * knows how long a piece can be writes it in place: sbuf_begin() gives
 * room for at most n bytes, the raw_*() writers fill it (each returns
 * where its text ends) and sbuf_end() keeps it, one bounds check per
 * piece instead of one per byte.
 */
#ifndef SS_SBUF_H
#define SS_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sbuf {
	char *buf;
	size_t len;
	size_t cap; /* bytes available, including the NUL */
	bool overflow;
};

void sbuf_init(struct sbuf *sb, char *buf, size_t cap);
void sbuf_reset(struct sbuf *sb);
/* n bytes that may not fit: as many as fit, and overflow set */
void sbuf_putn_cut(struct sbuf *sb, const char *s, size_t n);
void sbuf_u64(struct sbuf *sb, uint64_t v);
void sbuf_i64(struct sbuf *sb, int64_t v);
/* Left-justify the text written since 'start' to at least 'width' bytes. */
void sbuf_pad_from(struct sbuf *sb, size_t start, size_t width);
void sbuf_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes that can still be appended (the NUL excluded). */
static inline size_t sbuf_room(const struct sbuf *sb)
{
	return sb->cap ? sb->cap - 1 - sb->len : 0;
}

static inline void sbuf_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (n > sbuf_room(sb)) {
		sbuf_putn_cut(sb, s, n);
		return;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static inline void sbuf_putc(struct sbuf *sb, char c)
{
	if (!sbuf_room(sb)) {
		sbuf_putn_cut(sb, &c, 1);
		return;
	}
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

static inline void sbuf_puts(struct sbuf *sb, const char *s)
{
	sbuf_putn(sb, s, strlen(s));
}

/* A string literal, its length known when compiled. */
#define sbuf_lit(sb, lit) sbuf_putn(sb, "" lit, sizeof(lit) - 1)

/*
 * Where to write at most n bytes: in the buffer when they fit, else in
 * tmp (n bytes the caller provides), so that sbuf_end() appends them cut
 * exactly as appending them piece by piece would have cut them.
 */
static inline char *sbuf_begin(struct sbuf *sb, char *tmp, size_t n)
{
	return n <= sbuf_room(sb) ? sb->buf + sb->len : tmp;
}

/* Text written in place, at most sbuf_room() bytes: it now ends at end. */
static inline void sbuf_commit(struct sbuf *sb, char *end)
{
	sb->len = (size_t)(end - sb->buf);
	*end = '\0';
}

/* The text written from sbuf_begin()'s start to end is appended. */
static inline void sbuf_end(struct sbuf *sb, char *tmp, const char *start, char *end)
{
	if (start == tmp)
		sbuf_putn(sb, tmp, (size_t)(end - tmp));
	else
		sbuf_commit(sb, end);
}

/* ---- writers into room the caller made: each returns its text's end ---- */

static inline char *raw_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define raw_lit(p, lit) raw_put(p, "" lit, sizeof(lit) - 1)

#define RAW_U64_MAX 20
extern const char sbuf_digits2[201];  /* "00" .. "99" */
extern const uint32_t sbuf_pow10[10]; /* 1 .. 10^9 */

/* How many decimal digits v has: from its bit length, then one compare. */
static inline unsigned int raw_ndigits32(uint32_t v)
{
	unsigned int t = ((32 - (unsigned int)__builtin_clz(v | 1)) * 1233) >> 12;

	return t + ((v | 1) >= sbuf_pow10[t]);
}

/* Decimal, at most 10 bytes; two digits per division. */
static inline char *raw_u32(char *p, uint32_t v)
{
	char *end = p + raw_ndigits32(v), *q = end;

	while (v >= 100) {
		q -= 2;
		memcpy(q, sbuf_digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, sbuf_digits2 + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return end;
}

char *raw_u64_big(char *p, uint64_t v);

/* Decimal, at most RAW_U64_MAX bytes. */
static inline char *raw_u64(char *p, uint64_t v)
{
	return v <= UINT32_MAX ? raw_u32(p, (uint32_t)v) : raw_u64_big(p, v);
}
/* Decimal with its sign, at most RAW_U64_MAX + 1 bytes. */
static inline char *raw_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return raw_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return raw_u64(p, (uint64_t)v);
}

/* Exactly digits decimal digits of v (< 10^digits), zero-padded. */
char *raw_u32_fixed(char *p, uint32_t v, unsigned int digits);
/* n spaces */
static inline char *raw_spaces(char *p, size_t n)
{
	memset(p, ' ', n);
	return p + n;
}

#endif
