/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading sockets: which ones we trace, their identity and tuple, and the
 * way from a file descriptor or a cgroup hook's context to the struct sock.
 * Shared by the tracing and the snapshot objects.
 */
#ifndef SS_SOCK_READ_BPF_H
#define SS_SOCK_READ_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sockscope_abi.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCK_STREAM 1
#define SOCK_DGRAM 2

/* TCP over SOCK_STREAM and UDP over SOCK_DGRAM, IPv4 or IPv6. */
static __always_inline bool sock_is_traced(__u16 family, __u16 type, __u16 proto)
{
	if (family != SS_AF_INET && family != SS_AF_INET6)
		return false;
	if (type == SOCK_STREAM)
		return proto == SS_PROTO_TCP;
	if (type == SOCK_DGRAM)
		return proto == SS_PROTO_UDP;
	return false;
}

static __always_inline bool sk_is_traced(struct sock *sk)
{
	if (!sk)
		return false;
	return sock_is_traced(BPF_CORE_READ(sk, __sk_common.skc_family), BPF_CORE_READ(sk, sk_type),
			      BPF_CORE_READ(sk, sk_protocol));
}

/* The cookie as stored: 0 until a hook or iterator generated it. */
static __always_inline __u64 sk_cookie(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

static __always_inline __u32 sk_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * Local and remote address of a sock_common (full, TIME_WAIT or request
 * socket): IPv4 into the first 4 bytes, IPv6 as 16. Works on trusted BTF
 * pointers and on addresses read with bpf_probe_read alike.
 */
static __always_inline void read_addrs(struct sock_common *skc, __u16 family, __u8 *laddr,
				       __u8 *raddr)
{
	if (family == SS_AF_INET) {
		bpf_core_read(laddr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(raddr, 4, &skc->skc_daddr);
	} else {
		bpf_core_read(laddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(raddr, 16, &skc->skc_v6_daddr);
	}
}

/*
 * iter/task_file: the socket behind one of the task's files if it is one we
 * trace, and its protocol. Fields are read straight from the BTF pointer
 * (the verifier guards those loads), not with a helper call each.
 */
static __always_inline struct sock *iter_file_sock(struct file *file, __u16 *proto)
{
	struct socket *sock;
	struct sock *sk;

	if (!file)
		return NULL;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return NULL;
	sk = sock->sk;
	if (!sk)
		return NULL;
	*proto = sk->sk_protocol;
	if (!sock_is_traced(sk->__sk_common.skc_family, sk->sk_type, *proto))
		return NULL;
	return sk;
}

/*
 * What every socket's file points to as its f_op (socket_file_ops, static
 * in net/socket.c: in no symbol table we can read). ss_seed records it from
 * the first socket it meets; until then the inode's mode says.
 */
extern __u64 sock_file_ops;

/*
 * The current task's file at fd, as the fd table holds it (0: none): the
 * table is reached with plain loads from the BTF task pointer; an array of
 * pointers is no BTF object, so the slot itself is copied.
 */
static __always_inline __u64 fd_slot(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	__u64 slot = 0;

	if (fd < 0 || !task->files)
		return 0;
	fdt = task->files->fdt;
	if (!fdt || (unsigned int)fd >= fdt->max_fds)
		return 0;
	if (bpf_probe_read_kernel(&slot, sizeof(slot), &fdt->fd[fd]))
		return 0;
	return slot;
}

/*
 * fd of the current task -> its socket's struct file, or NULL if not a
 * socket. sys_enter_close runs this for every close() on the host: a file
 * that is no socket costs two helper reads (its slot, its f_op) where the
 * walk to its inode's mode took seven.
 */
static __always_inline struct file *fd_to_sock_file(int fd)
{
	struct file *file = (struct file *)fd_slot(fd);
	__u64 fop = 0;

	if (!file)
		return NULL;
	if (sock_file_ops) {
		if (bpf_probe_read_kernel(&fop, sizeof(fop), &file->f_op) || fop != sock_file_ops)
			return NULL;
	} else if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK) {
		return NULL;
	}
	return file;
}

static __always_inline struct sock *file_to_sock(struct file *file)
{
	struct socket *sock;

	if (!file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/* fd of the current task -> its struct sock, or NULL if not a socket. */
static __always_inline struct sock *fd_to_sock(int fd)
{
	return file_to_sock(fd_to_sock_file(fd));
}

#endif
