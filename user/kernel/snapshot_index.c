// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Snapshot queries: pure functions, no BPF (unit-tested). */
#include <stdlib.h>
#include <string.h>

#include "kernel/snapshot.h"

int sockinfo_cmp(const struct ss_sockinfo *x, const struct ss_sockinfo *y)
{

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lport != y->lport)
		return x->lport < y->lport ? -1 : 1;
	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return 0;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct ss_sockinfo *x = a, *y = b;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	return 0;
}

static int cmp_sock(const void *a, const void *b)
{
	return sockinfo_cmp(a, b);
}

void snapshot__sort(struct snapshot *s)
{
	if (s->nr_socks)
		qsort(s->socks, s->nr_socks, sizeof(*s->socks), cmp_sock);
	if (s->nr_holders)
		qsort(s->holders, s->nr_holders, sizeof(*s->holders), cmp_holder);
}

void snapshot__free(struct snapshot *s)
{
	free(s->socks);
	free(s->holders);
	free(s->pid_cgroups);
	memset(s, 0, sizeof(*s));
}

const struct ss_sockinfo *snapshot__holders(const struct snapshot *s, uint64_t cookie,
					    size_t *count)
{
	size_t lo = 0, hi = s->nr_holders, first;

	*count = 0;
	while (lo < hi) { /* first holder with this cookie */
		size_t mid = lo + (hi - lo) / 2;

		if (s->holders[mid].cookie < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < s->nr_holders && s->holders[lo].cookie == cookie)
		lo++;
	*count = lo - first;
	return *count ? &s->holders[first] : NULL;
}
