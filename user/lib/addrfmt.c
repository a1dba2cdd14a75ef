// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <linux/types.h>
#include <string.h>

#include "lib/addrfmt.h"
#include "lib/sbuf.h"
#include "sockscope_abi.h"

static char *octet(char *p, unsigned int v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		memcpy(p, sbuf_digits2 + 2 * v, 2);
		return p + 2;
	}
	if (v >= 10) {
		memcpy(p, sbuf_digits2 + 2 * v, 2);
		return p + 2;
	}
	*p = (char)('0' + v);
	return p + 1;
}

static char *v4(char *p, const uint8_t *a)
{
	p = octet(p, a[0]);
	*p++ = '.';
	p = octet(p, a[1]);
	*p++ = '.';
	p = octet(p, a[2]);
	*p++ = '.';
	return octet(p, a[3]);
}

/* "%x" */
static char *hex16(char *p, unsigned int w)
{
	static const char hex[] = "0123456789abcdef";
	int shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(w >> shift) & 15];
	return p;
}

/* glibc's inet_ntop6(), step by step: the longest run of two or more zero
 * words (the first of equal ones) becomes "::"; an address that is six zero
 * words, or five and ffff, then 32 bits, ends in IPv4 form. */
static char *v6(char *p, const uint8_t *a)
{
	unsigned int w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			continue;
		}
		if (cur >= 0 && (best < 0 || cur_len > best_len))
			best = cur, best_len = cur_len;
		cur = -1;
	}
	if (cur >= 0 && (best < 0 || cur_len > best_len))
		best = cur, best_len = cur_len;
	if (best >= 0 && best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return v4(p, a + 12);
		p = hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

char *raw_addr(char *p, unsigned int family, const uint8_t addr[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (family == SS_AF_INET)
		return v4(p, addr);
	if (family == SS_AF_INET6 && !memcmp(addr, mapped, sizeof(mapped)))
		return v4(p, addr + 12);
	if (family == SS_AF_INET6)
		return v6(p, addr);
	*p++ = '?';
	return p;
}
