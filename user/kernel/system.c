// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <mntent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/err.h"
#include "kernel/system.h"

#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_PERFMON 38
#define CAP_BPF 39

static int effective_caps(uint64_t *caps)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			*caps = v;
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

int sys_check_privileges(char *err, size_t errlen)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{CAP_BPF, "CAP_BPF"},
		{CAP_PERFMON, "CAP_PERFMON"},
		{CAP_NET_ADMIN, "CAP_NET_ADMIN"},
	};
	uint64_t caps = 0;

	if (effective_caps(&caps))
		return errf(err, errlen, -EPERM, "cannot read capabilities from /proc/self/status");
	/* CAP_SYS_ADMIN implies CAP_BPF and CAP_PERFMON on older kernels. */
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!(caps & (1ull << need[i].cap)))
			return errf(err, errlen, -EPERM,
				    "missing %s: run sockscope as root (uid %u "
				    "has capabilities %#llx)",
				    need[i].name, getuid(), (unsigned long long)caps);
	}
	return 0;
}

int sys_check_btf(char *err, size_t errlen)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return errf(err, errlen, -EOPNOTSUPP,
			    "kernel BTF not found at /sys/kernel/btf/vmlinux "
			    "(needs CONFIG_DEBUG_INFO_BTF=y)");
	return 0;
}

int sys_find_cgroup2(char *path, size_t pathlen, char *err, size_t errlen)
{
	FILE *f = setmntent("/proc/mounts", "re");
	struct mntent *m;
	int rc = -EOPNOTSUPP;

	if (!f)
		return errf(err, errlen, -EOPNOTSUPP, "cannot read /proc/mounts: %s",
			    strerror(errno));
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(path, pathlen, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	}
	endmntent(f);
	if (rc)
		return errf(err, errlen, rc,
			    "no cgroup v2 hierarchy mounted (needed for socket "
			    "create/release hooks; mount -t cgroup2 none "
			    "/sys/fs/cgroup)");
	return 0;
}

int sys_ensure_tracefs(bool *mounted, char *err, size_t errlen)
{
	*mounted = false;
	/* libbpf uses debugfs' tracing dir when it exists (it automounts). */
	if (!access("/sys/kernel/debug/tracing", F_OK))
		return 0;
	if (!access("/sys/kernel/tracing/events", F_OK))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int e = errno;

		return errf(err, errlen, e == EPERM ? -EPERM : -EOPNOTSUPP,
			    "tracefs is not mounted and mounting it at "
			    "/sys/kernel/tracing failed: %s",
			    strerror(e));
	}
	*mounted = true;
	return 0;
}
