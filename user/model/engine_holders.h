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

#include <stdbool.h>
#include <stdint.h>

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

/* Adds pid, which does not hold s yet: 1, or -ENOMEM. */
int holders__add_new(struct proc_table *procs, struct eng_sock *s, uint32_t pid,
		     uint32_t uid, const char *comm);

/*
 * s gains holder pid (process uid, comm): 1 when it did, 0 when pid is 0 or
 * holds s already, -ENOMEM. Inline: most events come from a process that
 * holds its socket already.
 */
static inline int holders__add(struct proc_table *procs, struct eng_sock *s,
			       uint32_t pid, uint32_t uid, const char *comm)
{
	if (!pid || eng_sock__holder(s, pid))
		return 0;
	return holders__add_new(procs, s, pid, uid, comm);
}

/* s loses holder pid, which joins its past holders; the process's list is
 * kept in step (socks finds the socket whose entry moves). Whether pid
 * held s. */
bool holders__remove(struct proc_table *procs, const struct sock_table *socks,
		     struct eng_sock *s, uint32_t pid);

/* h held s (once per pid, the first ENGINE_PAST_HOLDERS kept). */
static inline void holders__remember_past(struct eng_sock *s,
					  const struct holder *h)
{
	for (uint32_t i = 0; i < s->nr_past; i++)
		if (s->past[i].pid == h->pid)
			return;
	if (s->nr_past < ENGINE_PAST_HOLDERS)
		s->past[s->nr_past++] = *h;
}

#endif
