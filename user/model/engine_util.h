/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small helpers the engine's files share (model/engine*.c only). */
#ifndef SS_ENGINE_UTIL_H
#define SS_ENGINE_UTIL_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sockscope_abi.h"

/* Bucket of v in a table of n buckets (n a power of two): cookies and pids
 * are not random in their low bits, so they are mixed first. */
static inline size_t engine_hash64(uint64_t v, size_t n)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (size_t)v & (n - 1);
}

/* The IPv6 form of (family, a): IPv4 as ::ffff:a.b.c.d. */
static inline void engine_v6_form(uint8_t out[SS_ADDR_LEN], unsigned int family, const uint8_t *a)
{
	if (family == SS_AF_INET) {
		memset(out, 0, SS_ADDR_LEN);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else {
		memcpy(out, a, SS_ADDR_LEN);
	}
}

#endif
