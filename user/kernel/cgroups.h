/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup id -> path -> identity (unit, container, pod), cached.
 *
 * An event's cgroup_id is the inode number of the cgroup's directory under
 * the cgroup2 mount (found from /proc/mounts: /sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on hybrid hosts). An unknown id is resolved at
 * once with open_by_handle_at() (cgroup2 takes the id as a FILEID_KERNFS
 * file handle: O(1), one directory, no walk), or, where handles are refused,
 * by walking the tree at most once a second. Ids that do not resolve are
 * remembered as unknown and retried a few times with backoff, and only so
 * many resolutions run per 100 ms, so a flood of unknown ids cannot stall
 * the loop. A known id costs one hash probe.
 */
#ifndef SS_CGROUPS_H
#define SS_CGROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "model/cgroup_ident.h"

struct cgroups;

struct cgroups_stats {
	uint64_t hits, misses; /* lookups answered from the cache, or not */
	uint64_t resolved;     /* ids resolved (handle, walk, /proc/PID/cgroup) */
	uint64_t failed;       /* resolution attempts that found nothing */
	uint64_t throttled;    /* misses not tried: over the budget */
	uint64_t walks;	       /* tree walks (fallback) */
	uint64_t entries;      /* cached ids, known and unknown */
};

/* mount: the cgroup2 mount point, NULL to find it. 0 or -errno with a reason. */
int cgroups__open(struct cgroups **out, const char *mount, char *err, size_t errlen);
void cgroups__close(struct cgroups *c);

/* The identity of cgroup id, NULL when unknown (or not resolvable now). */
const struct cg_ident *cgroups__ident(struct cgroups *c, uint64_t id);
/* Records that id is the cgroup at path (relative to the root). 0 or -errno. */
int cgroups__insert(struct cgroups *c, uint64_t id, const char *path);
/* The cgroup id of process pid from /proc/PID/cgroup (its "0::" line), its
 * path cached on the way; 0 when it cannot be read (the process is gone). */
uint64_t cgroups__pid_id(struct cgroups *c, uint32_t pid);
void cgroups__stats(const struct cgroups *c, struct cgroups_stats *st);

/*
 * The process's instance, once cgroups__install() was called (main does;
 * unit tests do not, so nothing outside resolves there): opened on first use
 * and installed as cg_ident_lookup()'s resolver. NULL when not installed or
 * there is no cgroup2 mount: identities are then omitted.
 */
void cgroups__install(void);
struct cgroups *cgroups__shared(void);

#endif
