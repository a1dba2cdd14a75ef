// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;
	unsigned int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*p) {
		p++;
		if (*p && strcmp(p, "B") && strcmp(p, "iB"))
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

static int set_why(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

/* Cuts "%eth0" or "%2" off an IPv6 address: its interface index. */
static int parse_zone(char *host, uint32_t *scope_id)
{
	char *zone = strchr(host, '%');
	uint64_t v;

	if (!zone)
		return 0;
	*zone++ = '\0';
	if (!parse_u64(zone, 1, UINT32_MAX, &v)) {
		*scope_id = (uint32_t)v;
		return 0;
	}
	*scope_id = *zone ? if_nametoindex(zone) : 0;
	return *scope_id ? 0 : -EINVAL;
}

int parse_addrport(const char *s, unsigned int flags, struct addrport *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1]; /* zone: "%eth0" */
	const char *port = NULL;
	size_t hlen;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->family = AF_UNSPEC;
	if (!s || !*s)
		return set_why(why, "empty");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return set_why(why, "missing ']'");
		hlen = (size_t)(close - s - 1);
		if (!hlen || hlen >= sizeof(host))
			return set_why(why, "bad IPv6 address");
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (parse_zone(host, &out->scope_id))
			return set_why(why, "unknown interface after '%'");
		if (inet_pton(AF_INET6, host, out->addr) != 1)
			return set_why(why, "bad IPv6 address");
		out->family = AF_INET6;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return set_why(why, "expected ':PORT' after ']'");
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':'))
			return set_why(why, "an IPv6 address goes in brackets, "
					    "e.g. [::1]:8080");
		if (!colon && !strchr(s, '.') && (flags & ADDRPORT_ADDR_OPTIONAL)) {
			port = s; /* a bare port */
		} else {
			hlen = colon ? (size_t)(colon - s) : strlen(s);
			if (hlen >= sizeof(host))
				return set_why(why, "bad IPv4 address");
			memcpy(host, s, hlen);
			host[hlen] = '\0';
			if (hlen) {
				if (inet_pton(AF_INET, host, out->addr) != 1)
					return set_why(why, "bad IPv4 address");
				out->family = AF_INET;
			} else if (!(flags & ADDRPORT_ADDR_OPTIONAL)) {
				return set_why(why, "missing address");
			}
			if (colon)
				port = colon + 1;
		}
	}
	if (!port) {
		if (!(flags & ADDRPORT_PORT_OPTIONAL))
			return set_why(why, "missing ':PORT'");
		return out->family == AF_UNSPEC ? set_why(why, "missing address") : 0;
	}
	if (parse_u64(port, 1, 65535, &v))
		return set_why(why, "bad port: expected 1-65535");
	out->port = (uint16_t)v;
	return 0;
}

socklen_t addrport_sockaddr(const struct addrport *ap, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ap->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(ap->port);
		memcpy(&in->sin_addr, ap->addr, 4);
		return sizeof(*in);
	}
	if (ap->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(ap->port);
		in6->sin6_scope_id = ap->scope_id;
		memcpy(&in6->sin6_addr, ap->addr, 16);
		return sizeof(*in6);
	}
	return 0;
}

bool addrport_is_loopback(const struct addrport *ap)
{
	static const uint8_t v6_loop[16] = {[15] = 1};
	static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (ap->family == AF_INET)
		return ap->addr[0] == 127;
	if (ap->family == AF_INET6)
		return !memcmp(ap->addr, v6_loop, 16) ||
		       (!memcmp(ap->addr, v4_mapped, 12) && ap->addr[12] == 127);
	return false;
}

/* The bits of addr past len bits, cleared in out; whether any was set. */
static bool mask_host_bits(const uint8_t *addr, unsigned int bytes, unsigned int len, uint8_t *out)
{
	bool host = false;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		uint8_t m = keep ? (uint8_t)(0xff << (8 - keep)) : 0;

		out[i] = addr[i] & m;
		host |= (addr[i] & ~m) != 0;
	}
	return host;
}

int parse_prefix(const char *s, struct addr_prefix *out, struct addr_prefix *net, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	uint8_t masked[16];
	const char *slash, *a = s;
	unsigned int bits;
	size_t hlen;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (net)
		memset(net, 0, sizeof(*net)); /* family 0: no network to name */
	if (!s || !*s)
		return set_why(why, "empty");
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		a = s + 1;
		hlen -= 2;
	}
	if (!hlen || hlen >= sizeof(host))
		return set_why(why, "bad address");
	memcpy(host, a, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1 && a == s) {
		out->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		bits = 128;
	} else {
		return set_why(why, strchr(host, ':') ? "bad IPv6 address" : "bad IPv4 address");
	}
	out->len = bits;
	if (slash) {
		int rc = parse_u64(slash + 1, 0, bits, &v);

		if (rc == -ERANGE)
			return set_why(why, bits == 32 ? "prefix length past 32"
						       : "prefix length past 128");
		if (rc)
			return set_why(why, "bad prefix length");
		out->len = (unsigned int)v;
	}
	if (net) {
		*net = *out;
		memset(net->addr, 0, sizeof(net->addr));
	}
	if (mask_host_bits(out->addr, bits / 8, out->len, masked)) {
		if (net)
			memcpy(net->addr, masked, bits / 8);
		return set_why(why, "host bits set past the prefix length");
	}
	return 0;
}

bool prefix_covers(const struct addr_prefix *p, int family, const uint8_t *addr)
{
	static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
	uint8_t masked[16];

	if (family == AF_INET6 && p->family == AF_INET) {
		/* ::ffff:a.b.c.d is the IPv4 host a.b.c.d on an IPv6 socket */
		if (memcmp(addr, v4_mapped, 12))
			return false;
		addr += 12;
		family = AF_INET;
	}
	if (family != p->family)
		return false;
	mask_host_bits(addr, family == AF_INET ? 4 : 16, p->len, masked);
	return !memcmp(masked, p->addr, family == AF_INET ? 4 : 16);
}

const char *prefix_str(const struct addr_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		a[0] = '\0';
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}
