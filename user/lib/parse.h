/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The grammars every command line, configuration file and sink spec shares:
 * whole numbers, sizes and ADDR:PORT. Each returns 0 or -EINVAL/-ERANGE and
 * never accepts trailing garbage; callers word the message.
 */
#ifndef SS_LIB_PARSE_H
#define SS_LIB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Plain decimal digits (no sign, no spaces) within [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A size: digits with an optional binary suffix K, M, G or T (either case),
 * optionally followed by "B" or "iB": 4096, 64K, 16M, 1GiB, 2TB. -ERANGE if
 * it does not fit 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/* An IP address and port. */
struct addrport {
	int family;	   /* AF_INET, AF_INET6; AF_UNSPEC: no address given */
	uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes */
	uint16_t port;	   /* 0: none given (only with ADDRPORT_PORT_OPTIONAL) */
	uint32_t scope_id; /* IPv6 zone, "[fe80::1%eth0]" (0: none) */
};

#define ADDRPORT_ADDR_OPTIONAL 0x1 /* "8080" and ":8080" are accepted */
#define ADDRPORT_PORT_OPTIONAL 0x2 /* "127.0.0.1", "[::1]" are accepted */

/*
 * "127.0.0.1:8080", "[::1]:8080", and with the flags above "8080" or
 * "10.0.0.1". IPv6 must be in brackets when a port follows ("::1:8080" is
 * ambiguous and refused). Numeric addresses only: a name would need DNS,
 * and a DNS outage must not stall the tracer. A link-local IPv6 address
 * may name its interface, by name or index: "[fe80::1%eth0]:514". Ports are
 * 1-65535.
 * On -EINVAL, why (if not NULL) names the part that was wrong.
 */
int parse_addrport(const char *s, unsigned int flags, struct addrport *out, const char **why);

/* An address prefix: ADDR or ADDR/LEN. */
struct addr_prefix {
	int family;	  /* AF_INET, AF_INET6 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
	unsigned int len; /* 0-32 (IPv4), 0-128 (IPv6) */
};

/*
 * "10.0.0.0/8", "192.168.1.7" (a /32), "fd00::/8", "::1" (a /128); an IPv6
 * address may be in brackets ("[fd00::]/8"). Numeric only. Refused: a
 * length past the family's bits ("10.0.0.0/33", "::1/129"), a length that
 * is not plain digits ("/08" is fine, "/+8", "/8 " are not), and an address
 * with bits set past the length ("1.2.3.4/8"): that is a typo for a host or
 * for another length, and silently masking it would answer another question.
 * On -EINVAL, why names the part that was wrong; for host bits, net (if not
 * NULL) receives the network the prefix would be.
 */
int parse_prefix(const char *s, struct addr_prefix *out, struct addr_prefix *net, const char **why);

/* Whether addr (family AF_INET/AF_INET6) is within p; an IPv4 prefix also
 * covers the v4-mapped IPv6 addresses (::ffff:a.b.c.d) of its range. */
bool prefix_covers(const struct addr_prefix *p, int family, const uint8_t *addr);

/* "10.0.0.0/8" into buf (INET6_ADDRSTRLEN + 5 bytes suffice) */
const char *prefix_str(const struct addr_prefix *p, char *buf, size_t len);

/* Fills a sockaddr_in/in6 for ap; returns its length (0 if no address). */
socklen_t addrport_sockaddr(const struct addrport *ap, struct sockaddr_storage *ss);

/* Whether the address is loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
bool addrport_is_loopback(const struct addrport *ap);

#endif
