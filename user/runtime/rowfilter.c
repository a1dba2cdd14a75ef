// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "runtime/rowfilter.h"

bool rowfilter_match(const struct ss_sockinfo *sock, const struct holder *h, size_t nr,
		     const struct cli_opts *o)
{
	const struct ss_filter *f = &o->filter;

	if (o->netns && sock->netns != o->netns)
		return false;
	if (f->proto && sock->proto != f->proto)
		return false;
	if (f->family && sock->family != f->family)
		return false;
	if (f->port && sock->lport != f->port && sock->rport != f->port)
		return false;
	if (f->pid || f->has_comm) {
		size_t i;

		for (i = 0; i < nr; i++) {
			if (f->pid && h[i].pid != f->pid)
				continue;
			if (f->has_comm && strncmp(h[i].comm, f->comm, SS_COMM_LEN))
				continue;
			break;
		}
		if (i == nr)
			return false;
	}
	return true;
}
