// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ports bound without bind(): listen() and connect() report theirs; a UDP
 * sendto() on an unbound socket is caught by cgroup/sendmsg{4,6}, once per
 * socket. The socket's owner (lifecycle.bpf.c) says whether its port was
 * reported already (port_reported, set by a successful bind()): a flag in
 * the entry every socket has anyway, where a cgroup/post_bind hook creating
 * sk_storage cost ~400 ns on every bind.
 */
#include "sockscope.bpf.h"
#include "emit.bpf.h"

/* The same flag for sockets without an owner entry (older than the tracer
 * and not seeded, or evicted from the LRU): created on their first sendto. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32); /* 1: its port was reported */
} port_reported SEC(".maps");

/* The socket's port_reported flag, or NULL. */
static __always_inline __u32 *port_reported_flag(struct bpf_sock *sk, __u64 cookie)
{
	struct owner *o = bpf_map_lookup_elem(&owners, &cookie);

	if (o)
		return &o->port_reported;
	return bpf_sk_storage_get(&port_reported, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
}

static __always_inline int on_udp_sendmsg(struct bpf_sock_addr *ctx)
{
	struct task_struct *task;
	struct bpf_sock *sk = ctx->sk;
	struct ss_event e;
	__u64 cookie;
	__u32 *seen;

	if (!sk || !sk->src_port || sk->protocol != SS_PROTO_UDP)
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	seen = port_reported_flag(sk, cookie);
	if (!seen || *seen)
		return 1;
	*seen = 1;

	init_event(&e, SS_EV_BIND, bpf_ktime_get_ns());
	fill_current(&e);
	task = (void *)bpf_get_current_task();
	e.netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	e.cookie = cookie;
	e.family = sk->family;
	e.proto = SS_PROTO_UDP;
	e.lport = sk->src_port;
	e.laddr_family = sk->family;
	if (sk->family == SS_AF_INET) {
		__u32 a = sk->src_ip4;

		__builtin_memcpy(e.laddr, &a, 4);
	} else {
		__u32 a[4] = {sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3]};

		__builtin_memcpy(e.laddr, a, 16);
	}
	e.hdr.flags |= SS_F_LOCAL | SS_F_IMPLICIT;
	emit(&e);
	return 1;
}

SEC("cgroup/sendmsg4")
int ss_sendmsg4(struct bpf_sock_addr *ctx)
{
	return on_udp_sendmsg(ctx);
}

SEC("cgroup/sendmsg6")
int ss_sendmsg6(struct bpf_sock_addr *ctx)
{
	return on_udp_sendmsg(ctx);
}
