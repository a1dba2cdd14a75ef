/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reaching a struct sock as a BTF pointer, so that its fields are plain
 * loads instead of a bpf_probe_read_kernel() call each (~20 ns apiece in a
 * VM; a connect() read fourteen of them).
 *
 *   cgroup sock hooks   bpf_cast_to_kern_ctx(): the context is the sock
 *                       itself, as a trusted pointer
 *   syscalls (an fd)    the fd table's slot is copied (an array of
 *                       pointers is no BTF object), then bpf_rdonly_cast()
 *                       makes the file, its socket and its sock untrusted
 *                       BTF pointers: loads the verifier turns into
 *                       fault-safe ones
 *
 * Only lifecycle.bpf.c includes this: libbpf 1.1's linker refuses a kfunc
 * declared in two of the objects it links ("failed to resolve size of
 * underlying type").
 */
#ifndef SS_SOCK_BTF_BPF_H
#define SS_SOCK_BTF_BPF_H

#include "sock_read.bpf.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

/* A cgroup sock hook's socket. */
static __always_inline struct sock *ctx_sk(struct bpf_sock *ctx)
{
	return bpf_cast_to_kern_ctx(ctx);
}

/* fd of the current task -> its struct sock, if it is a socket we trace. */
static __always_inline struct sock *fd_sk(int fd)
{
	__u64 slot = fd_slot(fd);
	struct socket *sock;
	struct file *file;
	struct sock *sk;

	if (!slot)
		return NULL;
	file = bpf_rdonly_cast((void *)slot, bpf_core_type_id_kernel(struct file));
	if (sock_file_ops) {
		if ((__u64)file->f_op != sock_file_ops)
			return NULL;
	} else if ((file->f_inode->i_mode & S_IFMT) != S_IFSOCK) {
		return NULL;
	}
	sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	sk = sock->sk;
	if (!sk || !sock_is_traced(sk->__sk_common.skc_family, sk->sk_type, sk->sk_protocol))
		return NULL;
	return sk;
}

/*
 * The socket's identity and tuple as the kernel holds it now, into e, from
 * a BTF pointer (trusted or not).
 */
static __always_inline void fill_sk(struct ss_event *e, struct sock *sk)
{
	struct sock_common *c = &sk->__sk_common;
	__u16 family = c->skc_family;

	e->family = family;
	e->proto = sk->sk_protocol;
	e->netns = c->skc_net.net->ns.inum;
	e->cookie = c->skc_cookie.counter;
	if (!e->cookie)
		e->hdr.flags |= SS_F_NO_COOKIE;
	e->lport = c->skc_num;
	e->rport = bpf_ntohs(c->skc_dport);
	if (BPF_CORE_READ_BITFIELD(c, skc_reuse))
		e->hdr.flags |= SS_F_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD(c, skc_reuseport))
		e->hdr.flags |= SS_F_REUSEPORT;
	/* an inet6 socket without it also holds the IPv4 port (dual-stack) */
	if (family == SS_AF_INET6 && BPF_CORE_READ_BITFIELD(c, skc_ipv6only))
		e->hdr.flags |= SS_F_V6ONLY;
	e->laddr_family = family;
	e->raddr_family = family;
	if (family == SS_AF_INET) {
		*(__u32 *)e->laddr = c->skc_rcv_saddr;
		*(__u32 *)e->raddr = c->skc_daddr;
	} else {
		__builtin_memcpy(e->laddr, &c->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(e->raddr, &c->skc_v6_daddr, 16);
	}
	/* A local address without a port is not bound to anything yet. */
	if (e->lport)
		e->hdr.flags |= SS_F_LOCAL;
	if (e->rport)
		e->hdr.flags |= SS_F_REMOTE;
}

#endif
