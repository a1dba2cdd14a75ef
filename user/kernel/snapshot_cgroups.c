// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cgroups of a snapshot's holders. The iterator's records have no room
 * for a cgroup id without an ABI change, so the holders' processes are
 * looked up in /proc once per process per snapshot (a few µs each; the path
 * read there also fills the id cache, so printing the rows costs nothing
 * more).
 */
#include <errno.h>
#include <stdlib.h>

#include "kernel/cgroups.h"
#include "kernel/snapshot.h"

static int cmp_pid(const void *a, const void *b)
{
	const struct snap_pidcg *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct sortkey pid_key(const void *rec, size_t at)
{
	return (struct sortkey){.hi = ((const struct snap_pidcg *)rec)->pid, .at = at};
}

/* Sorts v by pid (stable) and drops duplicates and unknown ids: the new
 * length. A holder per socket: 20000 of them for a few processes. */
static size_t sort_unique(struct snap_pidcg *v, size_t n)
{
	size_t k = 0;

	keysort_array(v, n, sizeof(*v), pid_key, cmp_pid);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].cgroup_id || (k && v[k - 1].pid == v[i].pid))
			continue;
		v[k++] = v[i];
	}
	return k;
}

int snapshot__set_cgroups(struct snapshot *s, const struct snap_pidcg *v, size_t n)
{
	struct snap_pidcg *t;

	free(s->pid_cgroups);
	s->pid_cgroups = NULL;
	s->nr_pid_cgroups = 0;
	if (!n)
		return 0;
	t = malloc(n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		t[i] = v[i];
	s->pid_cgroups = t;
	s->nr_pid_cgroups = sort_unique(t, n);
	return 0;
}

int snapshot__read_cgroups(struct snapshot *s)
{
	struct cgroups *c = cgroups__shared();
	struct snap_pidcg *t;
	size_t n;

	if (!c || !s->nr_holders)
		return 0;
	t = malloc(s->nr_holders * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_holders; i++)
		t[i] = (struct snap_pidcg){s->holders[i].pid, 1};
	/* one read per process, not per socket */
	n = sort_unique(t, s->nr_holders);
	for (size_t i = 0; i < n; i++)
		t[i].cgroup_id = cgroups__pid_id(c, t[i].pid);
	/* a process holds many sockets: give back the room for one per socket
	 * (1.6 MB for 100,000 sockets, kept while the snapshot is) */
	if (n < s->nr_holders) {
		struct snap_pidcg *fit = realloc(t, (n ? n : 1) * sizeof(*t));

		if (fit)
			t = fit;
	}
	free(s->pid_cgroups);
	s->pid_cgroups = t;
	s->nr_pid_cgroups = sort_unique(t, n);
	return 0;
}

uint64_t snapshot__pid_cgroup(const struct snapshot *s, uint32_t pid)
{
	struct snap_pidcg k = {.pid = pid}, *f;

	if (!s->nr_pid_cgroups)
		return 0;
	f = bsearch(&k, s->pid_cgroups, s->nr_pid_cgroups, sizeof(k), cmp_pid);
	return f ? f->cgroup_id : 0;
}
