/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the host must provide before any BPF is loaded. Each check returns 0,
 * or -errno (-EPERM: privileges, -EOPNOTSUPP: a kernel feature) with a
 * one-line reason in err naming what is missing.
 */
#ifndef SS_SYSTEM_H
#define SS_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>

int sys_check_privileges(char *err, size_t errlen);
int sys_check_btf(char *err, size_t errlen);
/* Mount point of the cgroup v2 hierarchy, from /proc/mounts. */
int sys_find_cgroup2(char *path, size_t pathlen, char *err, size_t errlen);
/* Classic tracepoints need tracefs; mount it where libbpf looks if missing.
 * *mounted tells whether this call mounted it. */
int sys_ensure_tracefs(bool *mounted, char *err, size_t errlen);

#endif
