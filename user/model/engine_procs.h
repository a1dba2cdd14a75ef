/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine's processes (model/engine*.c only), by pid: each keeps the
 * cookies of the sockets it holds, so fork and exit touch that process's
 * sockets, never all of them. engine_holders.h keeps the lists in step
 * with the sockets' holders.
 */
#ifndef SS_ENGINE_PROCS_H
#define SS_ENGINE_PROCS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/engine_util.h"
#include "sockscope_abi.h"

struct eng_proc {
	uint32_t pid;
	uint32_t uid;
	char comm[SS_COMM_LEN];
	uint64_t *cookies; /* sockets this process holds */
	uint32_t nr;
	uint32_t cap;
	struct eng_proc *next;
};

/* Zeroed is empty; the buckets come with the first process. */
struct proc_table {
	struct eng_proc **buckets;
	size_t nr_buckets; /* power of two */
};

static inline struct eng_proc *proc_table__find(const struct proc_table *t, uint32_t pid)
{
	struct eng_proc *p;

	if (!t->nr_buckets)
		return NULL;
	for (p = t->buckets[engine_hash64(pid, t->nr_buckets)]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* Adds process pid (not in the table), with room for a few cookies:
 * NULL when out of memory. */
struct eng_proc *proc_table__add(struct proc_table *t, uint32_t pid, uint32_t uid,
				 const char *comm);

/* The process pid, added on first sight with (uid, comm); a known one
 * takes a non-empty comm (it may have exec'd). NULL when out of memory. */
static inline struct eng_proc *proc_table__get(struct proc_table *t, uint32_t pid, uint32_t uid,
					       const char *comm)
{
	struct eng_proc *p = proc_table__find(t, pid);

	if (!p)
		return proc_table__add(t, pid, uid, comm);
	if (comm && comm[0])
		memcpy(p->comm, comm, SS_COMM_LEN);
	return p;
}

/* Forgets p (and frees it). */
void proc_table__drop(struct proc_table *t, struct eng_proc *p);
/* Forgets every process; the table is empty again. */
void proc_table__free(struct proc_table *t);

/* Doubles p's list: 0 or -ENOMEM. */
int eng_proc__grow(struct eng_proc *p);

/* Room for one more cookie in p's list: 0 or -ENOMEM. */
static inline int eng_proc__reserve(struct eng_proc *p)
{
	return p->nr < p->cap ? 0 : eng_proc__grow(p);
}

#endif
