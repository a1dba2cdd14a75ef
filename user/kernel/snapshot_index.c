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

struct sortkey sockinfo_key(const struct ss_sockinfo *x, size_t at)
{
	return (struct sortkey){
		.hi = (uint64_t)x->netns << 32 | (uint64_t)x->proto << 16 | x->lport,
		.lo = x->cookie,
		.at = at,
	};
}

static struct sortkey sock_key(const void *rec, size_t at)
{
	return sockinfo_key(rec, at);
}

static struct sortkey holder_key(const void *rec, size_t at)
{
	const struct ss_sockinfo *x = rec;

	return (struct sortkey){.hi = x->cookie, .lo = (uint64_t)x->pid << 32 | x->fd, .at = at};
}

/* keysort() of 20000 records takes a tenth of qsort()'s time */
void snapshot__sort(struct snapshot *s)
{
	keysort_array(s->socks, s->nr_socks, sizeof(*s->socks), sock_key, cmp_sock);
	keysort_array(s->holders, s->nr_holders, sizeof(*s->holders), holder_key, cmp_holder);
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
