/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A point-in-time view of every TCP/UDP socket and of who holds it, read
 * from the kernel with BPF iterators: iter/task_file for holders (all
 * namespaces at once), iter/tcp and iter/udp for the sockets of each
 * network namespace (entered with setns), TIME_WAIT included.
 */
#ifndef SS_SNAPSHOT_H
#define SS_SNAPSHOT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/keysort.h"
#include "sockscope_abi.h"

struct snapshot_loader; /* the loaded iterator programs, reusable */

/* A holder's cgroup (snapshot_cgroups.c): the records carry none. */
struct snap_pidcg {
	uint32_t pid;
	uint64_t cgroup_id;
};

struct snapshot {
	struct ss_sockinfo *socks; /* SS_REC_SOCK, sorted by (netns, proto, lport) */
	size_t nr_socks;
	struct ss_sockinfo *holders; /* SS_REC_HOLDER, sorted by cookie, pid */
	size_t nr_holders;
	uint32_t nr_netns;     /* namespaces visited */
	uint32_t netns_failed; /* namespaces that could not be entered */
	/* the holders' cgroups by pid; NULL: not read */
	struct snap_pidcg *pid_cgroups;
	size_t nr_pid_cgroups;
};

/* Loads the iterator programs. 0 or -errno (-EPERM/-EACCES:
 * privileges, -EOPNOTSUPP: no iterators) with a reason in err. */
int snapshot_loader__open(struct snapshot_loader **out, int verbose, char *err, size_t errlen);
void snapshot_loader__close(struct snapshot_loader *l);

/*
 * Takes a snapshot. only_netns != 0 limits the socket tables read to that
 * namespace (holders are always read for all). Returns 0 or -errno with a
 * reason in err.
 */
int snapshot__take(struct snapshot_loader *l, struct snapshot *s, uint32_t only_netns, char *err,
		   size_t errlen);
void snapshot__free(struct snapshot *s);
/* The order of a port table: (netns, proto, lport, cookie). */
int sockinfo_cmp(const struct ss_sockinfo *a, const struct ss_sockinfo *b);
/* sockinfo_cmp's order as a keysort key, for the record at index at */
struct sortkey sockinfo_key(const struct ss_sockinfo *x, size_t at);
/* Orders socks by sockinfo_cmp, holders by (cookie, pid, fd). */
void snapshot__sort(struct snapshot *s);

/* Holders of one socket: a pointer into s->holders and their count. */
const struct ss_sockinfo *snapshot__holders(const struct snapshot *s, uint64_t cookie,
					    size_t *count);

/*
 * The holders' cgroups (snapshot_cgroups.c): read from /proc/PID/cgroup for
 * each holding process, when cgroup identities are resolved in this process
 * (kernel/cgroups.h); kept sorted by pid. 0 or -ENOMEM.
 */
int snapshot__read_cgroups(struct snapshot *s);
/* Sets the table from n (pid, cgroup) pairs (any order; 0 ids dropped). */
int snapshot__set_cgroups(struct snapshot *s, const struct snap_pidcg *v, size_t n);
/* The cgroup id of holder pid, 0 when not known. */
uint64_t snapshot__pid_cgroup(const struct snapshot *s, uint32_t pid);

#endif
