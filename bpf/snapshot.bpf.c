// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sockscope snapshot: the sockets that exist right now, read from the kernel
 * with BPF iterators (no /proc scanning, no netlink):
 *
 *   iter/task_file   every fd of every process that refers to a TCP/UDP
 *                    socket: who holds what (SS_REC_HOLDER)
 *   iter/tcp         every TCP socket of the current netns, TIME_WAIT
 *                    included (SS_REC_SOCK)
 *   iter/udp         every UDP socket of the current netns (SS_REC_SOCK)
 *
 * The tcp/udp iterators see the network namespace of the task that creates
 * the iterator fd; userspace enters each namespace in turn.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sockscope_abi.h"
#include "compat.bpf.h"
#include "sock_read.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Fields of sock_common: valid for full, TIME_WAIT and request sockets. */
static __always_inline void fill_common(struct ss_sockinfo *r, struct sock_common *skc)
{
	__u16 family = BPF_CORE_READ(skc, skc_family);

	r->hdr.size = sizeof(*r);
	r->hdr.version = SS_ABI_VERSION;
	r->family = family;
	r->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	r->lport = BPF_CORE_READ(skc, skc_num);
	r->rport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	r->state = BPF_CORE_READ(skc, skc_state);
	r->reuseaddr = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuse);
	r->reuseport = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuseport);
	r->v6only = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only);
	read_addrs(skc, family, r->laddr, r->raddr);
}

SEC("iter/task_file")
int ss_snap_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct ss_sockinfo r = {};
	struct sock *sk;
	__u16 proto;

	if (!task)
		return 0;
	sk = iter_file_sock(ctx->file, &proto);
	if (!sk)
		return 0;

	fill_common(&r, &sk->__sk_common);
	r.hdr.type = SS_REC_HOLDER;
	r.proto = proto;
	/*
	 * Not bpf_get_socket_cookie(): see file_sock_cookie(). iter/tcp and
	 * iter/udp, run first, generated it for every socket in the tables;
	 * one without a cookie is in none of them and cannot be joined.
	 */
	r.cookie = file_sock_cookie(sk);
	if (!r.cookie)
		return 0;
	r.pid = task->tgid;
	r.uid = BPF_CORE_READ(task, cred, uid.val);
	r.fd = ctx->fd;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

SEC("iter/tcp")
int ss_snap_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ss_sockinfo r = {};

	if (!skc)
		return 0;
	fill_common(&r, skc);
	/* Half-open request sockets live in the listener's queue. */
	if (r.state == TCP_NEW_SYN_RECV)
		return 0;
	r.hdr.type = SS_REC_SOCK;
	r.proto = SS_PROTO_TCP;
	r.cookie = bpf_get_socket_cookie(skc);
	if (r.state != TCP_TIME_WAIT)
		r.uid = BPF_CORE_READ((struct sock *)skc, sk_uid.val);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/udp")
int ss_snap_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;
	struct ss_sockinfo r = {};
	struct sock *sk;

	if (!udp)
		return 0;
	sk = (struct sock *)udp;
	fill_common(&r, &udp->inet.sk.__sk_common);
	r.hdr.type = SS_REC_SOCK;
	r.proto = SS_PROTO_UDP;
	r.cookie = bpf_get_socket_cookie(sk);
	r.uid = BPF_CORE_READ(sk, sk_uid.val);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
