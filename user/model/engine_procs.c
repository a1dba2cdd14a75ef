// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's process table (see engine_procs.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "model/engine_procs.h"

/* Fixed: a host runs a few thousand processes that hold sockets; chains
 * stay short enough without the rehash the socket table needs. */
#define PROC_BUCKETS 4096

int eng_proc__grow(struct eng_proc *p)
{
	size_t cap = p->cap;

	if (cap >= UINT32_MAX / 2 || grow_array(&p->cookies, &cap, sizeof(*p->cookies), 8))
		return -ENOMEM;
	p->cap = (uint32_t)cap;
	return 0;
}

struct eng_proc *proc_table__add(struct proc_table *t, uint32_t pid, uint32_t uid, const char *comm)
{
	struct eng_proc *p;
	size_t h;

	if (!t->nr_buckets) {
		t->buckets = calloc(PROC_BUCKETS, sizeof(*t->buckets));
		if (!t->buckets)
			return NULL;
		t->nr_buckets = PROC_BUCKETS;
	}
	/* with room for its first sockets: it is added to hold one */
	p = calloc(1, sizeof(*p));
	if (!p || eng_proc__grow(p)) {
		free(p);
		return NULL;
	}
	p->pid = pid;
	p->uid = uid;
	if (comm)
		memcpy(p->comm, comm, SS_COMM_LEN);
	h = engine_hash64(pid, t->nr_buckets);
	p->next = t->buckets[h];
	t->buckets[h] = p;
	return p;
}

void proc_table__drop(struct proc_table *t, struct eng_proc *p)
{
	struct eng_proc **pp = &t->buckets[engine_hash64(p->pid, t->nr_buckets)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	free(p->cookies);
	free(p);
}

void proc_table__free(struct proc_table *t)
{
	for (size_t i = 0; i < t->nr_buckets; i++) {
		struct eng_proc *p = t->buckets[i], *next;

		for (; p; p = next) {
			next = p->next;
			free(p->cookies);
			free(p);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->nr_buckets = 0;
}
