/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-version quirks, one shim each, after libbpf-tools' core_fixes.bpf.h:
 * CO-RE flavor structs (struct x___old) and bpf_core_field_exists(), never a
 * version number. Each names the kernel change behind it.
 */
#ifndef SS_COMPAT_BPF_H
#define SS_COMPAT_BPF_H

#include "sock_read.bpf.h"

/*
 * 6.13, commit 90ee6ed776c0 ("fs: port files to file_ref"; the type is
 * from 08ef26ea9ab3, "fs: add file_ref") replaced file->f_count with
 * file->f_ref, which counts from 0 for one reference (FILE_REF_ONEREF);
 * f_count counted from 1. True if another reference to this open file exists (a
 * forked child's fd table, a dup): closing one fd will not release the socket.
 */
struct file___pre613 {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

static __always_inline bool file_is_shared(struct file *file)
{
	if (bpf_core_field_exists(file->f_ref))
		return (__s64)BPF_CORE_READ(file, f_ref.refcnt.counter) > 0;
	return BPF_CORE_READ((struct file___pre613 *)file, f_count.counter) > 1;
}

/*
 * 6.18 (seen on 6.18.44 here; the upstream commit is not pinned down yet):
 * the socket behind a file, bpf_sock_from_file(file)->sk in iter/task_file,
 * is an untrusted pointer, and the verifier refuses it as the argument of
 * bpf_get_socket_cookie() (EACCES at load). Read the cookie sock_common
 * holds instead, on every kernel: it is 0 until something generated it (a
 * cgroup sock hook, the tcp/udp iterators), which callers must handle.
 */
static __always_inline __u64 file_sock_cookie(struct sock *sk)
{
	return sk_cookie(sk);
}

#endif
