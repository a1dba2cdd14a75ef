/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A record's address as text, written in place (lib/sbuf.h): the same
 * bytes as addr_str() (kernel/decode.h), which asks inet_ntop(3), without
 * its sprintf per address. Formatting every event's addresses was a fifth
 * of the consumer's cost.
 */
#ifndef SS_ADDRFMT_H
#define SS_ADDRFMT_H

#include <stdint.h>

#define RAW_ADDR_MAX 46 /* INET6_ADDRSTRLEN without its NUL */

/* IPv4 dotted quad; IPv6 as glibc's inet_ntop prints it (RFC 5952, with
 * ::a.b.c.d and ::ffff:a.b.c.d); a v4-mapped IPv6 address as IPv4;
 * "?" for another family. Returns the end; p needs RAW_ADDR_MAX bytes
 * (a few past the end may be written, as scratch). */
char *raw_addr(char *p, unsigned int family, const uint8_t addr[16]);

#endif
