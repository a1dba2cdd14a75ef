// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kernel/resolve.h"
#include "kernel/system.h"
#include "lib/err.h"
#include "lib/parse.h"

#define NSFS_MAGIC_NR 0x6e736673
#define CGROUP2_MAGIC_NR 0x63677270

int resolve_uid(const char *s, uint32_t *uid, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	uint64_t v;
	int rc;

	rc = parse_u64(s, 0, UINT32_MAX - 1, &v);
	if (!rc) {
		*uid = (uint32_t)v;
		return 0;
	}
	/* (uid_t)-1 is "no uid" to the kernel */
	if (rc == -ERANGE)
		return errf(err, errlen, -ERANGE, "expected a uid 0-4294967294 or a user name");
	if (!*s || strlen(s) > 256 || strchr(s, ':') || strchr(s, '\n'))
		return errf(err, errlen, -EINVAL, "expected a uid (0-4294967294) or a user name");
	rc = getpwnam_r(s, &pw, buf, sizeof(buf), &res);
	if (rc || !res)
		return errf(err, errlen, -ENOENT, "no such user");
	*uid = res->pw_uid;
	return 0;
}

int resolve_netns(const char *s, uint32_t *inode, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	uint64_t v;

	if (!parse_u64(s, 1, UINT32_MAX, &v)) {
		*inode = (uint32_t)v;
		return 0;
	}
	/* a name as 'ip netns' takes it: one path component */
	if (!*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > NAME_MAX)
		return errf(err, errlen, -EINVAL,
			    "expected a namespace inode number or a name from 'ip netns'");
	snprintf(path, sizeof(path), "/run/netns/%s", s);
	if (stat(path, &st) || statfs(path, &sfs))
		return errf(err, errlen, -ENOENT, "no network namespace of that name (ip netns)");
	if ((unsigned long)sfs.f_type != NSFS_MAGIC_NR || st.st_ino > UINT32_MAX)
		return errf(err, errlen, -EINVAL, "%s is not a network namespace", path);
	*inode = (uint32_t)st.st_ino;
	return 0;
}

/* in -> "/a/b" (relative to the root) with its depth; "." and ".." refused */
static int normalise(const char *in, char *out, size_t outlen, uint32_t *level)
{
	size_t n = 0;

	*level = 0;
	for (const char *p = in; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (n + 1 + len + 1 > outlen)
			return -ENAMETOOLONG;
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
		(*level)++;
		p += len;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

int resolve_cgroup_path(const char *s, char *path, size_t len, uint32_t *level, char *mnt,
			size_t mntlen, char *err, size_t errlen)
{
	const char *rel = s;
	char why[256];
	size_t mlen;
	int rc;

	if (!*s)
		return errf(err, errlen, -EINVAL, "expected a cgroup path");
	rc = sys_find_cgroup2(mnt, mntlen, why, sizeof(why));
	if (rc)
		return errf(err, errlen, rc, "%s", why);
	mlen = strlen(mnt);
	while (mlen > 1 && mnt[mlen - 1] == '/')
		mnt[--mlen] = '\0';
	/* under the mount: absolute; anything else is relative to the root */
	if (!strncmp(s, mnt, mlen) && (s[mlen] == '/' || !s[mlen]))
		rel = s + mlen;
	rc = normalise(rel, path, len, level);
	if (rc == -EINVAL)
		return errf(err, errlen, rc, "'.' and '..' are not allowed in a cgroup path");
	if (rc)
		return errf(err, errlen, rc, "path too long");
	return 0;
}

int resolve_cgroup(const char *s, struct cgroup_target *out, char *err, size_t errlen)
{
	char mnt[PATH_MAX], full[PATH_MAX + 4096];
	struct statfs sfs;
	struct stat st;
	int rc;

	rc = resolve_cgroup_path(s, out->path, sizeof(out->path), &out->level, mnt, sizeof(mnt),
				 err, errlen);
	if (rc)
		return rc;
	snprintf(full, sizeof(full), "%s%s", mnt, out->path);
	if (stat(full, &st) || statfs(full, &sfs))
		return errf(err, errlen, -ENOENT, "no such cgroup (%s: %s)", full, strerror(errno));
	if (!S_ISDIR(st.st_mode) || (unsigned long)sfs.f_type != CGROUP2_MAGIC_NR)
		return errf(err, errlen, -EINVAL, "%s is not a cgroup-v2 directory", full);
	/* on 64-bit hosts a cgroup's id is its kernfs inode number */
	out->id = st.st_ino;
	return 0;
}

bool cgroup_path_within(const char *p, const char *path)
{
	size_t plen = strlen(path);

	if (plen == 1) /* the root holds everything */
		return true;
	return !strncmp(p, path, plen) && (p[plen] == '/' || !p[plen]);
}

int cgroup_pid_within(uint32_t pid, const char *path)
{
	char file[64], line[4096 + 8];
	int found = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *p;

		if (strncmp(line, "0::", 3))
			continue;
		p = line + 3;
		line[strcspn(line, "\n")] = '\0';
		found = cgroup_path_within(p, path);
		break;
	}
	fclose(f);
	return found;
}
