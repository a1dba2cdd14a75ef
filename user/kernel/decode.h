/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checking ring-buffer records and turning their addresses into text. */
#ifndef SS_DECODE_H
#define SS_DECODE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "sockscope_abi.h"

/*
 * Validates one record: 0 and *ev set, or -EINVAL (truncated, unknown type,
 * size field inconsistent; SS_EV_PROC: shorter than struct ss_proc or its
 * offsets outside it) or -EPROTO (another ABI version).
 */
int event_decode(const void *data, size_t size, const struct ss_event **ev);
/* An SS_EV_PROC record event_decode() accepted, as what it is. */
static inline const struct ss_proc *event_proc(const struct ss_event *e)
{
	return (const struct ss_proc *)(const void *)e;
}

bool addr_is_v4mapped(const __u8 addr[SS_ADDR_LEN]);
bool addr_is_zero(unsigned int family, const __u8 addr[SS_ADDR_LEN]);

#define SS_ADDRSTRLEN 48
/* IPv4 dotted quad, IPv6 RFC 5952 text; a v4-mapped IPv6 address prints as
 * IPv4. Returns buf ("?" for an unknown family). */
const char *addr_str(char buf[SS_ADDRSTRLEN], unsigned int family, const __u8 addr[SS_ADDR_LEN]);
/* Whether addr_str() would print an IPv6 form (brackets needed before :port) */
bool addr_prints_v6(unsigned int family, const __u8 addr[SS_ADDR_LEN]);

#endif
