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
	if (!rowfilter_holders_identity(h, nr, o))
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

bool rowfilter_identity(const struct cg_ident *id, const struct cli_opts *o)
{
	if (o->container && !cg_ident_container_matches(id, o->container))
		return false;
	if (o->unit && (!id || strcmp(id->unit, o->unit)))
		return false;
	return true;
}

bool rowfilter_holders_identity(const struct holder *h, size_t nr, const struct cli_opts *o)
{
	if (!o->container && !o->unit)
		return true;
	for (size_t i = 0; i < nr; i++)
		if (rowfilter_identity(cg_ident_lookup(h[i].cgroup_id), o))
			return true;
	return false;
}
