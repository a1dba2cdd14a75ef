// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "kernel/decode.h"

int event_decode(const void *data, size_t size, const struct ss_event **ev)
{
	const struct ss_hdr *h = data;

	if (!data || size < sizeof(*h))
		return -EINVAL;
	if (h->version != SS_ABI_VERSION)
		return -EPROTO;
	if (h->size < sizeof(struct ss_event) || h->size > size)
		return -EINVAL;
	if (h->type == 0 || h->type >= SS_EV_MAX || h->type == SS_EV_LOST)
		return -EINVAL;
	/* read as struct ss_proc (event_proc()): its size, its exe offset */
	if (h->type == SS_EV_PROC && (h->size < sizeof(struct ss_proc) ||
				      ((const struct ss_proc *)data)->exe_off >= SS_EXE_LEN ||
				      ((const struct ss_proc *)data)->cmdline_len > SS_CMDLINE_LEN))
		return -EINVAL;
	*ev = data;
	return 0;
}

bool addr_is_v4mapped(const __u8 addr[SS_ADDR_LEN])
{
	static const __u8 prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(addr, prefix, sizeof(prefix));
}

bool addr_is_zero(unsigned int family, const __u8 addr[SS_ADDR_LEN])
{
	size_t n = family == SS_AF_INET ? 4 : SS_ADDR_LEN;

	for (size_t i = 0; i < n; i++)
		if (addr[i])
			return false;
	return true;
}

bool addr_prints_v6(unsigned int family, const __u8 addr[SS_ADDR_LEN])
{
	return family == SS_AF_INET6 && !addr_is_v4mapped(addr);
}

const char *addr_str(char buf[SS_ADDRSTRLEN], unsigned int family, const __u8 addr[SS_ADDR_LEN])
{
	if (family == SS_AF_INET) {
		inet_ntop(AF_INET, addr, buf, SS_ADDRSTRLEN);
	} else if (family == SS_AF_INET6 && addr_is_v4mapped(addr)) {
		inet_ntop(AF_INET, addr + 12, buf, SS_ADDRSTRLEN);
	} else if (family == SS_AF_INET6) {
		inet_ntop(AF_INET6, addr, buf, SS_ADDRSTRLEN);
	} else {
		strcpy(buf, "?");
	}
	return buf;
}
