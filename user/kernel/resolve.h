/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The names the filters take, resolved to what the kernel reports: a user
 * name to its uid, a network namespace name from 'ip netns' to its inode,
 * a cgroup path to the cgroup's id and depth. Each returns 0 or -errno with
 * a one-line reason in err (the caller adds which option it was).
 */
#ifndef SS_RESOLVE_H
#define SS_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "1000" or "www-data" (from the passwd database). -ENOENT: no such user. */
int resolve_uid(const char *s, uint32_t *uid, char *err, size_t errlen);

/* "4026531840" or a name under /run/netns (ip netns add NAME). */
int resolve_netns(const char *s, uint32_t *inode, char *err, size_t errlen);

/* A cgroup-v2 directory, resolved. */
struct cgroup_target {
	uint64_t id;	 /* its inode on cgroup2: the kernel's cgroup id */
	uint32_t level;	 /* components below the root (root: 0) */
	char path[4096]; /* relative to the root, normalised: "/a/b" ("/": root) */
};

/*
 * PATH relative to the cgroup-v2 root ("/system.slice", "system.slice/x")
 * or absolute under its mount ("/sys/fs/cgroup/unified/system.slice"): the
 * mount is found in /proc/mounts. "." and ".." components are refused (the
 * depth must be the real one); the directory must exist on cgroup2.
 */
int resolve_cgroup(const char *s, struct cgroup_target *out, char *err, size_t errlen);
/*
 * Only the path part of resolve_cgroup() (path "/a/b", its depth, the
 * mount found), for cgroups that may be gone: history's rows.
 */
int resolve_cgroup_path(const char *s, char *path, size_t len, uint32_t *level, char *mnt,
			size_t mntlen, char *err, size_t errlen);
/* Whether cgroup path p ("/a/b/c") is path or below it. */
bool cgroup_path_within(const char *p, const char *path);

/*
 * Whether process pid's cgroup-v2 cgroup (/proc/PID/cgroup, "0::PATH") is
 * path or below it. 0: no; 1: yes; -errno: unknown (the process is gone).
 */
int cgroup_pid_within(uint32_t pid, const char *path);

#endif
