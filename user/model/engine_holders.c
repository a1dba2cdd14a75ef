// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sockets and their holders, kept in step with the processes' lists (see
 * engine_holders.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine_holders.h"

int eng_sock__grow_holders(struct eng_sock *s)
{
	uint32_t cap = s->cap_holders * 2;
	struct holder *n = malloc(cap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	memcpy(n, s->holders, s->nr_holders * sizeof(*n));
	if (s->holders != s->inline_holders)
		free(s->holders);
	s->holders = n;
	s->cap_holders = cap;
	return 0;
}

/* The cookie at slot leaves p's list; the last one moves into its place,
 * and the holder entry of that socket follows. */
static void proc_list_remove(struct proc_table *procs, const struct sock_table *socks,
			     struct eng_proc *p, uint32_t slot)
{
	uint64_t moved = p->cookies[--p->nr];

	p->cookies[slot] = moved;
	if (slot < p->nr) {
		struct eng_sock *m = sock_table__find(socks, moved);
		struct holder *mh = m ? eng_sock__holder(m, p->pid) : NULL;

		if (mh)
			mh->slot = slot;
	}
	if (!p->nr)
		proc_table__drop(procs, p);
}

bool holders__remove(struct proc_table *procs, struct sock_table *socks, struct eng_sock *s,
		     uint32_t pid)
{
	struct holder *h = eng_sock__holder(s, pid);
	struct eng_proc *p;

	if (!h)
		return false;
	p = proc_table__find(procs, pid);
	if (p && h->slot < p->nr && p->cookies[h->slot] == s->info.cookie)
		proc_list_remove(procs, socks, p, h->slot);
	holders__remember_past(socks, s, h);
	*h = s->holders[--s->nr_holders];
	return true;
}

size_t eng_sock__all_holders(const struct eng_sock *s, struct holder *out, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nr_holders && n < max; i++)
		out[n++] = s->holders[i];
	for (uint32_t i = 0; i < s->nr_past && n < max; i++) {
		bool dup = false;

		for (size_t k = 0; k < n; k++)
			dup |= out[k].pid == s->past[i].pid;
		if (!dup)
			out[n++] = s->past[i];
	}
	return n;
}
