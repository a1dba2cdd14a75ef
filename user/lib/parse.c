// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
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
