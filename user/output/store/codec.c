// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The holders columns, little-endian and bounds-checked both ways: the
 * reader trusts nothing in the file (it may have been tampered with).
 *
 * socket.holders: per holder pid, uid (u32) and comm[16]; 24 bytes each.
 *
 * failure.holders: version byte FHOLDERS_V1, count byte, then per holder a
 * flags byte (FH_*), pid, uid (u32) and comm (string) if FH_PROCESS,
 * cookie (u64), state, laddr (strings), lport (u16), raddr (string), rport
 * (u16). A string is a length byte and that many bytes, no NUL. An empty
 * blob: no holders. Anything else (the JSON text older versions wrote) is
 * read as no holders.
 */
#include <string.h>

#include "output/store/store_internal.h"

#define FHOLDERS_V1 1
#define FH_PROCESS 0x1
#define FH_REUSEADDR 0x2
#define FH_REUSEPORT 0x4

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t holders_encode(unsigned char *blob, const struct store_holder *h, uint32_t n)
{
	memset(blob, 0, n * HOLDER_BLOB);
	for (uint32_t i = 0; i < n; i++) {
		unsigned char *p = blob + i * HOLDER_BLOB;

		put_le(p, h[i].pid, 4);
		put_le(p + 4, h[i].uid, 4);
		memcpy(p + 8, h[i].comm, 16);
	}
	return n * HOLDER_BLOB;
}

uint32_t holders_decode(struct store_holder *h, const void *blob, size_t len)
{
	uint32_t n = 0;

	for (; blob && n < 8 && (n + 1) * HOLDER_BLOB <= len; n++) {
		const unsigned char *p = (const unsigned char *)blob + n * HOLDER_BLOB;

		h[n].pid = (uint32_t)get_le(p, 4);
		h[n].uid = (uint32_t)get_le(p + 4, 4);
		memcpy(h[n].comm, p + 8, 16);
	}
	return n;
}

/* A writer's cursor; the sizes are fixed, so it cannot run over. */
static unsigned char *put_str(unsigned char *p, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	*p++ = (unsigned char)n;
	memcpy(p, s, n);
	return p + n;
}

size_t fholders_encode(unsigned char *blob, const struct store_failure *r)
{
	uint32_t n = r->nr_holders < 8 ? r->nr_holders : 8;
	unsigned char *p = blob;

	if (!n)
		return 0;
	*p++ = FHOLDERS_V1;
	*p++ = (unsigned char)n;
	for (uint32_t i = 0; i < n; i++) {
		const struct store_failure_holder *h = &r->holders[i];

		*p++ = (h->has_process ? FH_PROCESS : 0) | (h->reuseaddr ? FH_REUSEADDR : 0) |
		       (h->reuseport ? FH_REUSEPORT : 0);
		if (h->has_process) {
			put_le(p, h->pid, 4);
			put_le(p + 4, h->uid, 4);
			p = put_str(p + 8, h->comm, sizeof(h->comm));
		}
		put_le(p, h->cookie, 8);
		p = put_str(p + 8, h->state, sizeof(h->state));
		p = put_str(p, h->laddr, sizeof(h->laddr));
		put_le(p, h->lport, 2);
		p = put_str(p + 2, h->raddr, sizeof(h->raddr));
		put_le(p, h->rport, 2);
		p += 2;
	}
	return (size_t)(p - blob);
}

struct cursor {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t get_num(struct cursor *c, int bytes)
{
	uint64_t v;

	if (c->bad || c->end - c->p < bytes) {
		c->bad = true;
		return 0;
	}
	v = get_le(c->p, bytes);
	c->p += bytes;
	return v;
}

/* Into dst[size]: NUL-terminated, or filling it. */
static void get_str(struct cursor *c, char *dst, size_t size)
{
	size_t n = (size_t)get_num(c, 1);

	if (c->bad || n > size || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	memcpy(dst, c->p, n);
	if (n < size)
		dst[n] = '\0';
	c->p += n;
}

uint32_t fholders_decode(struct store_failure *r, const void *blob, size_t len)
{
	struct cursor c = {blob, (const unsigned char *)blob + len, !blob};
	uint32_t n;

	r->nr_holders = 0;
	memset(r->holders, 0, sizeof(r->holders));
	if (get_num(&c, 1) != FHOLDERS_V1)
		return 0;
	n = (uint32_t)get_num(&c, 1);
	if (c.bad || n > 8)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		struct store_failure_holder *h = &r->holders[i];
		unsigned int flags = (unsigned int)get_num(&c, 1);

		h->has_process = !!(flags & FH_PROCESS);
		h->reuseaddr = !!(flags & FH_REUSEADDR);
		h->reuseport = !!(flags & FH_REUSEPORT);
		if (h->has_process) {
			h->pid = (uint32_t)get_num(&c, 4);
			h->uid = (uint32_t)get_num(&c, 4);
			get_str(&c, h->comm, sizeof(h->comm));
		}
		h->cookie = get_num(&c, 8);
		get_str(&c, h->state, sizeof(h->state));
		get_str(&c, h->laddr, sizeof(h->laddr));
		h->lport = (uint16_t)get_num(&c, 2);
		get_str(&c, h->raddr, sizeof(h->raddr));
		h->rport = (uint16_t)get_num(&c, 2);
	}
	if (c.bad || c.p != c.end) {
		memset(r->holders, 0, sizeof(r->holders));
		return 0;
	}
	r->nr_holders = n;
	return n;
}
