// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The shared grammars of lib/parse.c: whole numbers, sizes and ADDR:PORT
 * (command lines, the config file, sink specs, --metrics). The first byte
 * picks the parser and its flags, the rest is the text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct addrport ap;
	const char *why = NULL;
	uint64_t v = 0;
	unsigned int sel;
	char *s;
	int rc;

	if (!size)
		return 0;
	sel = data[0];
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (sel % 3) {
	case 0: {
		/* bounds from the selector byte: 0..2^k */
		uint64_t max = (sel >> 2) >= 64 ? UINT64_MAX : (1ull << (sel >> 2));

		rc = parse_u64(s, 1, max, &v);
		if (!rc && (v < 1 || v > max))
			abort();
		break;
	}
	case 1:
		rc = parse_size(s, &v);
		break;
	default:
		rc = parse_addrport(s, (sel >> 2) & 3, &ap, &why);
		if (!rc) {
			socklen_t len = addrport_sockaddr(&ap, &ss);

			(void)addrport_is_loopback(&ap);
			if (ap.family != AF_UNSPEC && ap.family != AF_INET && ap.family != AF_INET6)
				abort();
			if (!((sel >> 2) & ADDRPORT_PORT_OPTIONAL) && !ap.port)
				abort(); /* a port is required */
			if (ap.family == AF_UNSPEC ? len != 0 : len == 0)
				abort();
		}
		break;
	}
	if (rc && rc != -EINVAL && rc != -ERANGE)
		abort();
	free(s);
	return 0;
}
