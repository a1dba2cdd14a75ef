/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who holds a socket (model/engine*.c only). A socket lists its current
 * holders (s->holders) and up to ENGINE_PAST_HOLDERS that let go (s->past);
 * each process lists the cookies it holds (engine_procs.h). A holder entry
 * records its index in its process's list (holder.slot), so a holder comes
 * and goes in O(holders of the socket), whatever the process holds.
 */
#ifndef SS_ENGINE_HOLDERS_H
#define SS_ENGINE_HOLDERS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "model/engine.h"
#include "model/engine_procs.h"
#include "model/engine_socks.h"

static inline struct holder *eng_sock__holder(struct eng_sock *s, uint32_t pid)
{
	for (uint32_t i = 0; i < s->nr_holders; i++)
		if (s->holders[i].pid == pid)
			return &s->holders[i];
	return NULL;
}

/* Room for one more holder of s: 0 or -ENOMEM. */
int eng_sock__grow_holders(struct eng_sock *s);

/*
 * s gains holder pid (process uid, comm), which must not hold it yet
 * (eng_sock__holder): 0 or -ENOMEM. Inline, so that the caller's check
 * "holds it already", true for most events, stays a few instructions.
 */
static inline int holders__add(struct proc_table *procs, struct eng_sock *s, uint32_t pid,
			       uint32_t uid, const char *comm)
{
	struct eng_proc *p;
	struct holder *h;

	p = proc_table__get(procs, pid, uid, comm);
	if (!p || eng_proc__reserve(p))
		return -ENOMEM;
	if (s->nr_holders == s->cap_holders && eng_sock__grow_holders(s))
		return -ENOMEM;
	h = &s->holders[s->nr_holders++];
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->uid = uid;
	h->fd = -1;
	memcpy(h->comm, comm && comm[0] ? comm : p->comm, SS_COMM_LEN);
	h->slot = p->nr; /* the entry and the list change together */
	p->cookies[p->nr++] = s->info.cookie;
	s->released = false;
	return 0;
}

/* s loses holder pid, which joins its past holders; the process's list is
 * kept in step (socks finds the socket whose entry moves). Whether pid
 * held s. */
bool holders__remove(struct proc_table *procs, struct sock_table *socks, struct eng_sock *s,
		     uint32_t pid);

/* h held s (once per pid, the first ENGINE_PAST_HOLDERS kept; their room
 * comes from socks). */
static inline void holders__remember_past(struct sock_table *socks, struct eng_sock *s,
					  const struct holder *h)
{
	for (uint32_t i = 0; i < s->nr_past; i++)
		if (s->past[i].pid == h->pid)
			return;
	if (s->nr_past == ENGINE_PAST_HOLDERS)
		return;
	if (!s->past && !(s->past = sock_table__past_get(socks)))
		return; /* out of memory: a past holder less to show */
	s->past[s->nr_past++] = *h;
}

#endif
