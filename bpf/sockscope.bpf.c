// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sockscope kernel side: every TCP/UDP socket's lifecycle, on stable hooks
 * only (syscall tracepoints, tp_btf/inet_sock_set_state, cgroup sock hooks,
 * iter/task_file). See ../shared/PLATFORM.md for what attaches on our kernels.
 *
 *   socket   cgroup/sock_create        creating process, generates the cookie
 *   bind     sys_enter/exit_bind       requested address kept for failures
 *   listen   sys_enter/exit_listen     shows the auto-bound port
 *   connect  sys_enter_connect         the attempt
 *            sys_exit_connect          outcome when it is known synchronously
 *            inet_sock_set_state       outcome of SYN_SENT (blocking or not)
 *   accept   sys_exit_accept{,4}       the new socket, in the accepting task
 *   close    cgroup/sock_release       the process that released it
 *   state    inet_sock_set_state       TCP transitions
 *
 * Holder changes for the userspace engine (never printed by 'trace'):
 *   fork     tp_btf/sched_process_fork  the child inherits every socket fd
 *   exit     tp_btf/sched_process_exit  the process holds nothing any more
 *   fdclose  sys_enter_close            one process drops a socket that
 *                                       others (or other fds) still hold
 *   fdrecv   sys_{enter,exit}_recvmsg   a process received socket fds over
 *                                       a UNIX socket (SCM_RIGHTS)
 *
 * Ports bound without bind(): listen() and connect() report theirs; a UDP
 * sendto() on an unbound socket is caught by cgroup/sendmsg{4,6}, once per
 * socket (cgroup/post_bind{4,6} mark explicitly bound ones).
 *
 * Events raised in softirq (async connect outcome, state changes) are
 * attributed through the owners map (cookie -> last process that acted on the
 * socket), never to whatever task the softirq interrupted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "sockscope_abi.h"
#include "sock_read.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define EINPROGRESS 115
#define ECONNABORTED 103
#define EACCES 13
#define EADDRNOTAVAIL 99

/* Filled by userspace before load. */
const volatile struct ss_filter filter = {};
/* Wake the consumer only when this much data is pending (0: every record). */
const volatile __u32 wakeup_bytes = 0;
/* Emit fork/exit/fdclose records for the engine's holder sets. */
const volatile __u32 track_holders = 0;

/* Records the ring buffer refused; userspace reads it through mmap'ed .bss. */
__u64 lost_records = 0;
/* Sockets found by the start-up iterator (for the status line). */
__u64 seeded_sockets = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by --ring-size */
} events SEC(".maps");

/* Who to attribute a socket's asynchronous events to. */
struct owner {
	__u64 created_ns; /* creation, clone, or first sight at start */
	__u64 connect_ns; /* start of the connect() whose outcome is owed */
	__u64 cgroup_id;
	__u64 connect_pending; /* 1 while a connect outcome is owed; claimed by cmpxchg */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 released; /* socket released by its last holder */
	char comm[SS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, struct owner);
} owners SEC(".maps");

/* Listening sockets by (netns, port): owner of children not yet accepted. */
struct listen_key {
	__u32 netns;
	__u16 port;
	__u16 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct listen_key);
	__type(value, struct owner);
} listeners SEC(".maps");

/* Syscall arguments between sys_enter and sys_exit, by thread id. */
struct call_args {
	__u64 ts;
	__u64 cookie; /* connect: the socket, to recognise it in softirq */
	__s32 fd;
	__u32 backlog;
	__u16 sa_family; /* 0: no address copied */
	__u16 port; /* host order */
	__u32 _pad;
	__u8 addr[SS_ADDR_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct call_args);
} inflight SEC(".maps");

/* ---- filtering and delivery --------------------------------------------- */

static __always_inline bool event_wanted(__u32 type)
{
	return !filter.events || (filter.events & SS_EV_BIT(type));
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < SS_COMM_LEN; i++) {
		if (comm[i] != filter.comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

static __always_inline bool passes(const struct ss_event *e)
{
	if (!event_wanted(e->hdr.type))
		return false;
	if (filter.pid && e->pid != filter.pid)
		return false;
	if (filter.proto && e->proto != filter.proto)
		return false;
	if (filter.family && e->family != filter.family)
		return false;
	if (filter.port && e->lport != filter.port && e->rport != filter.port)
		return false;
	if (filter.failed_only && !e->err)
		return false;
	if (filter.has_comm && !comm_matches(e->comm))
		return false;
	return true;
}

/*
 * Batched wakeups: waking the consumer per record costs more than the record
 * itself. Records are submitted without a wakeup until wakeup_bytes are
 * pending; the consumer also drains on its poll timeout, so a quiet stream
 * is delayed by at most that timeout.
 */
static __always_inline __u64 wakeup_flags(void)
{
	if (!wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(struct ss_event *e)
{
	__u64 flags;

	if (!passes(e))
		return;
	/*
	 * Failures are rare and are explained from a snapshot of who holds
	 * the port: wake the consumer now, while the holder still holds it.
	 */
	flags = e->err ? BPF_RB_FORCE_WAKEUP : wakeup_flags();
	if (bpf_ringbuf_output(&events, e, sizeof(*e), flags))
		__sync_fetch_and_add(&lost_records, 1);
}

/* ---- filling records ------------------------------------------------------ */

static __always_inline void init_event(struct ss_event *e, __u16 type)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.type = type;
	e->hdr.size = sizeof(*e);
	e->hdr.version = SS_ABI_VERSION;
	e->ts_ns = bpf_ktime_get_ns();
}

static __always_inline void fill_current(struct ss_event *e)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void owner_from_current(struct owner *o)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	o->pid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

static __always_inline void fill_owner(struct ss_event *e, const struct owner *o)
{
	if (!o) {
		e->hdr.flags |= SS_F_NO_OWNER;
		return;
	}
	e->pid = o->pid;
	e->tid = o->tid;
	e->uid = o->uid;
	e->cgroup_id = o->cgroup_id;
	__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
}

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
	return sock_is_traced(BPF_CORE_READ(sk, __sk_common.skc_family),
			      BPF_CORE_READ(sk, sk_type),
			      BPF_CORE_READ(sk, sk_protocol));
}

static __always_inline __u64 sk_cookie(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

static __always_inline __u32 sk_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * The socket's tuple as the kernel holds it right now. Every record needs
 * it, and a helper call per field dominated our cost: the fields live
 * together at the start of sock_common, so one read brings them all and
 * CO-RE places each field within the copy (the verifier checks the
 * relocated offsets stay inside it).
 */
#define SKC_CHUNK 128

static __always_inline void fill_sock(struct ss_event *e, struct sock *sk)
{
	__u8 buf[SKC_CHUNK];
	struct sock_common *c = (void *)buf;
	struct net *net;
	__u16 family;

	if (bpf_probe_read_kernel(buf, sizeof(buf), &sk->__sk_common)) {
		e->hdr.flags |= SS_F_NO_COOKIE;
		return;
	}
	family = c->skc_family;
	e->family = family;
	e->proto = BPF_CORE_READ(sk, sk_protocol);
	net = c->skc_net.net;
	e->netns = BPF_CORE_READ(net, ns.inum);
	e->cookie = c->skc_cookie.counter;
	if (!e->cookie)
		e->hdr.flags |= SS_F_NO_COOKIE;
	e->lport = c->skc_num;
	e->rport = bpf_ntohs(c->skc_dport);
	/* from the same copy: bind/listen explanations need them */
	if (BPF_CORE_READ_BITFIELD(c, skc_reuse))
		e->hdr.flags |= SS_F_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD(c, skc_reuseport))
		e->hdr.flags |= SS_F_REUSEPORT;
	e->laddr_family = family;
	e->raddr_family = family;
	if (family == SS_AF_INET) {
		__builtin_memcpy(e->laddr, &c->skc_rcv_saddr, 4);
		__builtin_memcpy(e->raddr, &c->skc_daddr, 4);
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

/* fd of the current task -> its socket's struct file, or NULL if not a socket. */
static __always_inline struct file *fd_to_sock_file(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;
	__u16 mode;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
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

/*
 * cgroup sock programs receive the struct sock itself as their context
 * (__cgroup_bpf_run_filter_sk passes sk), but struct bpf_sock does not expose
 * the local address at release. We read the real sock through the context
 * address, and only after checking that the cookie stored at that address
 * is the one the kernel reports for this context: a layout change makes us
 * fall back to the bpf_sock fields instead of reading garbage.
 */
static __always_inline struct sock *ctx_sock(struct bpf_sock *ctx, __u64 cookie)
{
	struct sock *sk = (struct sock *)ctx;

	if (!cookie || sk_cookie(sk) != cookie)
		return NULL;
	return sk;
}

/* Copy a user sockaddr (AF_INET / AF_INET6 only) into call args. */
static __always_inline void copy_sockaddr(struct call_args *a, const void *uaddr,
					  int len)
{
	__u16 family = 0;

	if (!uaddr || bpf_probe_read_user(&family, sizeof(family), uaddr))
		return;
	if (family == SS_AF_INET && len >= (int)sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin = {};

		if (bpf_probe_read_user(&sin, sizeof(sin), uaddr))
			return;
		a->sa_family = SS_AF_INET;
		a->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(a->addr, &sin.sin_addr, 4);
	} else if (family == SS_AF_INET6 &&
		   len >= (int)sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6 = {};

		if (bpf_probe_read_user(&sin6, sizeof(sin6), uaddr))
			return;
		a->sa_family = SS_AF_INET6;
		a->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(a->addr, &sin6.sin6_addr, 16);
	} else if (family == 0) {
		/* AF_UNSPEC: connect() dissolving a UDP association */
		a->sa_family = 0;
	}
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* Record the current task as the socket's owner; keeps creation time. */
static __always_inline struct owner *owner_touch(__u64 cookie)
{
	struct owner *o, fresh = {};

	if (!cookie)
		return NULL;
	o = bpf_map_lookup_elem(&owners, &cookie);
	if (o) {
		owner_from_current(o);
		return o;
	}
	owner_from_current(&fresh);
	fresh.created_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&owners, &cookie, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&owners, &cookie);
}

/* ---- socket / close: cgroup hooks ------------------------------------------ */

SEC("cgroup/sock_create")
int ss_sock_create(struct bpf_sock *ctx)
{
	/* read the context once: clang may otherwise merge two reads of
	 * different fields into arithmetic on ctx, which the verifier refuses */
	__u32 family = ctx->family, type = ctx->type, protocol = ctx->protocol;
	struct owner o = {};
	struct ss_event e;
	struct sock *sk;
	__u64 cookie;

	if (!sock_is_traced(family, type, protocol))
		return 1;
	/* Generates the cookie now, so every later hook can read it. */
	cookie = bpf_get_socket_cookie(ctx);
	owner_from_current(&o);
	o.created_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&owners, &cookie, &o, BPF_ANY);

	if (!event_wanted(SS_EV_SOCKET))
		return 1;
	init_event(&e, SS_EV_SOCKET);
	e.ts_ns = o.created_ns;
	fill_current(&e);
	sk = ctx_sock(ctx, cookie);
	if (sk) {
		fill_sock(&e, sk);
	} else {
		e.family = family;
		e.proto = protocol;
		e.cookie = cookie;
	}
	e.u.socket.type = type;
	e.u.socket.protocol = protocol;
	emit(&e);
	return 1;
}

SEC("cgroup/sock_release")
int ss_sock_release(struct bpf_sock *ctx)
{
	__u32 family = ctx->family, type = ctx->type, protocol = ctx->protocol;
	struct ss_event e;
	struct owner *o;
	struct sock *sk;
	__u64 cookie, now;
	__u32 state;

	if (!sock_is_traced(family, type, protocol))
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	now = bpf_ktime_get_ns();
	state = ctx->state;
	sk = ctx_sock(ctx, cookie);

	init_event(&e, SS_EV_CLOSE);
	e.ts_ns = now;
	fill_current(&e);
	if (sk) {
		fill_sock(&e, sk);
	} else {
		e.family = family;
		e.proto = protocol;
		e.cookie = cookie;
	}
	e.u.close.state = state;
	if (sk && protocol == SS_PROTO_TCP) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;

		__u64 rcvd = BPF_CORE_READ(tp, bytes_received);

		/*
		 * Data bytes, not sequence space: bytes_acked would count our
		 * SYN and FIN, bytes_received counts the peer's FIN once it
		 * arrived (tcp_fin sets SOCK_DONE). bytes_sent counts data put
		 * on the wire, retransmissions included.
		 */
		if (rcvd && (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)))
			rcvd--;
		e.u.close.bytes_sent = BPF_CORE_READ(tp, bytes_sent);
		e.u.close.bytes_received = rcvd;
		e.hdr.flags |= SS_F_TCP_INFO;
	}

	o = bpf_map_lookup_elem(&owners, &cookie);
	if (o && o->created_ns && now > o->created_ns)
		e.u.close.duration_ns = now - o->created_ns;

	if (sk && state == TCP_LISTEN) {
		struct listen_key k = { .netns = sk_netns(sk), .port = e.lport };

		bpf_map_delete_elem(&listeners, &k);
	}
	/*
	 * A TCP socket may still change state after release (FIN_WAIT1 ->
	 * FIN_WAIT2 -> CLOSE); keep its owner, now the releasing task, until
	 * it reaches CLOSE. Anything else is finished here.
	 */
	if (o && protocol == SS_PROTO_TCP && state != TCP_CLOSE) {
		owner_from_current(o);
		o->released = 1;
	} else if (o) {
		bpf_map_delete_elem(&owners, &cookie);
	}
	emit(&e);
	return 1;
}

/* ---- bind ------------------------------------------------------------------ */

SEC("tracepoint/syscalls/sys_enter_bind")
int ss_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	struct call_args a = {};
	__u32 tid = current_tid();
	int fd = (int)ctx->args[0];

	if (!sk_is_traced(fd_to_sock(fd)))
		return 0;
	a.ts = bpf_ktime_get_ns();
	a.fd = fd;
	copy_sockaddr(&a, (const void *)ctx->args[1], (int)ctx->args[2]);
	bpf_map_update_elem(&inflight, &tid, &a, BPF_ANY);
	return 0;
}

/* Replace the local address with the one the caller asked for. */
static __always_inline void use_requested_local(struct ss_event *e,
						const struct call_args *a)
{
	if (!a->sa_family)
		return;
	e->laddr_family = a->sa_family;
	__builtin_memcpy(e->laddr, a->addr, SS_ADDR_LEN);
	e->lport = a->port;
	e->hdr.flags |= SS_F_LOCAL;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int ss_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = current_tid();
	struct call_args *ap, a;
	struct ss_event e;
	struct sock *sk;

	ap = bpf_map_lookup_elem(&inflight, &tid);
	if (!ap)
		return 0;
	a = *ap;
	bpf_map_delete_elem(&inflight, &tid);
	sk = fd_to_sock(a.fd);
	if (!sk)
		return 0;

	init_event(&e, SS_EV_BIND);
	fill_current(&e);
	fill_sock(&e, sk);
	if (ctx->ret < 0) {
		/* The socket holds nothing useful: report what was asked for. */
		e.err = -ctx->ret;
		use_requested_local(&e, &a);
		if (e.err == EACCES)
			e.u.bind.prot_sock = BPF_CORE_READ(sk, __sk_common.skc_net.net,
							   ipv4.sysctl_ip_prot_sock);
	}
	emit(&e);
	return 0;
}

/* ---- listen ---------------------------------------------------------------- */

SEC("tracepoint/syscalls/sys_enter_listen")
int ss_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct call_args a = {};
	__u32 tid = current_tid();
	int fd = (int)ctx->args[0];

	if (!sk_is_traced(fd_to_sock(fd)))
		return 0;
	a.ts = bpf_ktime_get_ns();
	a.fd = fd;
	a.backlog = (__u32)ctx->args[1];
	bpf_map_update_elem(&inflight, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int ss_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = current_tid();
	struct call_args *ap;
	struct ss_event e;
	struct sock *sk;
	__u32 backlog;
	int fd;

	ap = bpf_map_lookup_elem(&inflight, &tid);
	if (!ap)
		return 0;
	fd = ap->fd;
	backlog = ap->backlog;
	bpf_map_delete_elem(&inflight, &tid);
	sk = fd_to_sock(fd);
	if (!sk)
		return 0;

	init_event(&e, SS_EV_LISTEN);
	fill_current(&e);
	fill_sock(&e, sk);
	e.u.listen.backlog = backlog;
	if (ctx->ret < 0) {
		e.err = -ctx->ret;
	} else if (e.proto == SS_PROTO_TCP) {
		struct listen_key k = { .netns = e.netns, .port = e.lport };
		struct owner *o = owner_touch(e.cookie);

		if (o)
			bpf_map_update_elem(&listeners, &k, o, BPF_ANY);
	}
	emit(&e);
	return 0;
}

/* ---- connect --------------------------------------------------------------- */

SEC("tracepoint/syscalls/sys_enter_connect")
int ss_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct call_args a = {};
	__u32 tid = current_tid();
	int fd = (int)ctx->args[0];
	struct ss_event e;
	struct owner *o;
	struct sock *sk;
	__u8 state;

	sk = fd_to_sock(fd);
	if (!sk_is_traced(sk))
		return 0;
	a.ts = bpf_ktime_get_ns();
	a.fd = fd;
	a.cookie = sk_cookie(sk);
	copy_sockaddr(&a, (const void *)ctx->args[1], (int)ctx->args[2]);
	bpf_map_update_elem(&inflight, &tid, &a, BPF_ANY);

	/*
	 * Re-calling connect() on a TCP socket already connecting or connected
	 * (EALREADY/EISCONN polling loops) is not a new attempt.
	 */
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (BPF_CORE_READ(sk, sk_protocol) == SS_PROTO_TCP && state != TCP_CLOSE)
		return 0;

	o = owner_touch(sk_cookie(sk));
	if (o) {
		o->connect_ns = a.ts;
		o->connect_pending = 1;
	}

	init_event(&e, SS_EV_CONNECT);
	e.ts_ns = a.ts;
	fill_current(&e);
	fill_sock(&e, sk);
	if (a.sa_family) {
		e.raddr_family = a.sa_family;
		__builtin_memcpy(e.raddr, a.addr, SS_ADDR_LEN);
		e.rport = a.port;
		e.hdr.flags |= SS_F_REMOTE;
	} else {
		e.hdr.flags &= ~SS_F_REMOTE;
		e.rport = 0;
	}
	emit(&e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int ss_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = current_tid();
	struct call_args *ap, a;
	struct ss_event e;
	struct owner *o;
	struct sock *sk;
	__u64 cookie, now;

	ap = bpf_map_lookup_elem(&inflight, &tid);
	if (!ap)
		return 0;
	a = *ap;
	bpf_map_delete_elem(&inflight, &tid);
	sk = fd_to_sock(a.fd);
	if (!sk)
		return 0;
	/* Still in SYN_SENT: the outcome comes from inet_sock_set_state. */
	if (BPF_CORE_READ(sk, sk_protocol) == SS_PROTO_TCP &&
	    BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_SYN_SENT)
		return 0;

	now = bpf_ktime_get_ns();
	cookie = sk_cookie(sk);
	o = cookie ? bpf_map_lookup_elem(&owners, &cookie) : NULL;
	/* Whoever clears the pending flag reports the outcome, exactly once. */
	if (o && __sync_val_compare_and_swap(&o->connect_pending, 1, 0) != 1)
		return 0;

	init_event(&e, SS_EV_CONNECT_DONE);
	e.ts_ns = now;
	fill_current(&e);
	fill_sock(&e, sk);
	if (ctx->ret < 0) {
		e.err = -ctx->ret;
		if (e.err == EADDRNOTAVAIL) {
			/* low port in the low half, high in the high half */
			__u32 range = BPF_CORE_READ(sk, __sk_common.skc_net.net,
						    ipv4.ip_local_ports.range);

			e.u.connect.port_lo = range & 0xffff;
			e.u.connect.port_hi = range >> 16;
		}
		if (a.sa_family) {
			e.raddr_family = a.sa_family;
			__builtin_memcpy(e.raddr, a.addr, SS_ADDR_LEN);
			e.rport = a.port;
			e.hdr.flags |= SS_F_REMOTE;
		}
	}
	e.u.connect.latency_ns = now - (o ? o->connect_ns : a.ts);
	emit(&e);
	return 0;
}

/* ---- accept ---------------------------------------------------------------- */

static __always_inline int on_accept_exit(long ret)
{
	struct ss_event e;
	struct sock *sk;

	if (ret < 0)
		return 0; /* EAGAIN polling is noise, not an event */
	sk = fd_to_sock((int)ret);
	if (!sk_is_traced(sk))
		return 0;
	init_event(&e, SS_EV_ACCEPT);
	fill_current(&e);
	fill_sock(&e, sk);
	owner_touch(e.cookie);
	emit(&e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ss_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ss_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_exit(ctx->ret);
}

/* ---- TCP state: async connect outcome and transitions --------------------- */

/*
 * tcp_v4_connect() sets SYN_SENT, then CLOSE again if it finds no port
 * (EADDRNOTAVAIL) or route, all inside the syscall and with no sk_err: the
 * errno is only known at sys_exit_connect, which reports it.
 */
static __always_inline bool failing_inside_connect(struct sock *sk, __u64 cookie,
						   int newstate)
{
	__u32 tid = current_tid();
	struct call_args *a;

	if (newstate != TCP_CLOSE || BPF_CORE_READ(sk, sk_err))
		return false;
	a = bpf_map_lookup_elem(&inflight, &tid);
	return a && a->cookie == cookie;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ss_state, struct sock *sk, int oldstate, int newstate)
{
	struct ss_event e;
	struct owner *o;
	__u64 cookie, now;

	if (BPF_CORE_READ(sk, sk_protocol) != SS_PROTO_TCP)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	now = bpf_ktime_get_ns();
	o = bpf_map_lookup_elem(&owners, &cookie);

	/* A child cloned from a listener belongs to the listener's owner
	 * until some process accepts it. */
	if (!o && newstate == TCP_SYN_RECV) {
		struct listen_key k = { .netns = sk_netns(sk),
					.port = BPF_CORE_READ(sk, __sk_common.skc_num) };
		struct owner *lo = bpf_map_lookup_elem(&listeners, &k);

		if (lo) {
			struct owner child = *lo;

			child.created_ns = now;
			child.connect_pending = 0;
			child.released = 0;
			bpf_map_update_elem(&owners, &cookie, &child, BPF_NOEXIST);
			o = bpf_map_lookup_elem(&owners, &cookie);
		}
	}

	if (oldstate == TCP_SYN_SENT && o && !failing_inside_connect(sk, cookie, newstate) &&
	    __sync_val_compare_and_swap(&o->connect_pending, 1, 0) == 1) {
		init_event(&e, SS_EV_CONNECT_DONE);
		e.ts_ns = now;
		fill_owner(&e, o);
		fill_sock(&e, sk);
		e.hdr.flags |= SS_F_ASYNC;
		e.cookie = cookie;
		if (newstate != TCP_ESTABLISHED) {
			e.err = BPF_CORE_READ(sk, sk_err);
			if (!e.err)
				e.err = ECONNABORTED; /* closed while connecting */
		}
		e.u.connect.latency_ns = now - o->connect_ns;
		emit(&e);
	}

	/* tcp_close() after shutdown(SHUT_WR) "moves" FIN_WAIT1 to FIN_WAIT1. */
	if (event_wanted(SS_EV_STATE) && oldstate != newstate) {
		init_event(&e, SS_EV_STATE);
		e.ts_ns = now;
		fill_owner(&e, o);
		fill_sock(&e, sk);
		e.hdr.flags |= SS_F_ASYNC;
		e.cookie = cookie;
		e.hdr.flags &= ~SS_F_NO_COOKIE;
		e.u.state.old_state = oldstate;
		e.u.state.new_state = newstate;
		/* tells a TIME_WAIT hand-over from an orphan's FIN_WAIT2 one */
		if (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE))
			e.hdr.flags |= SS_F_FIN_RCVD;
		/* a reset or timeout kills the connection: no timewait after it */
		if (newstate == TCP_CLOSE && BPF_CORE_READ(sk, sk_err))
			e.hdr.flags |= SS_F_RESET;
		emit(&e);
	}

	if (o && newstate == TCP_CLOSE && o->released)
		bpf_map_delete_elem(&owners, &cookie);
	return 0;
}

/* ---- start-up: cookies and owners for sockets that already exist --------- */

SEC("iter/task_file")
int ss_seed(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct owner o = {};
	struct socket *sock;
	struct sock *sk;
	__u64 cookie;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk || !sk_is_traced(sk))
		return 0;
	/*
	 * Since 6.18 the socket behind a file is an untrusted pointer, which
	 * bpf_get_socket_cookie() refuses: read the cookie instead. Sockets
	 * without one yet are seeded again after the first snapshot, whose
	 * table iterators generate it (tracer__seed()).
	 */
	cookie = sk_cookie(sk);
	if (!cookie)
		return 0;
	o.pid = task->tgid;
	o.tid = task->pid;
	o.uid = BPF_CORE_READ(task, cred, uid.val);
	o.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(o.comm, sizeof(o.comm), task->comm);
	o.created_ns = bpf_ktime_get_ns();
	/* counted once: a second seeding only adds sockets that were missing */
	if (!bpf_map_update_elem(&owners, &cookie, &o, BPF_NOEXIST))
		__sync_fetch_and_add(&seeded_sockets, 1);

	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN &&
	    BPF_CORE_READ(sk, sk_protocol) == SS_PROTO_TCP) {
		struct listen_key k = { .netns = sk_netns(sk),
					.port = BPF_CORE_READ(sk, __sk_common.skc_num) };

		bpf_map_update_elem(&listeners, &k, &o, BPF_NOEXIST);
	}
	return 0;
}

/* ---- holder changes (engine) ---------------------------------------------- */

struct file___pre613 {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/*
 * Another reference to this open file exists (a forked child's fd table,
 * a dup): closing this fd will not release the socket. Since 6.13 f_ref
 * counts from 0 for one reference (FILE_REF_ONEREF); before, f_count from 1.
 */
static __always_inline bool file_is_shared(struct file *file)
{
	if (bpf_core_field_exists(file->f_ref))
		return (__s64)BPF_CORE_READ(file, f_ref.refcnt.counter) > 0;
	return BPF_CORE_READ((struct file___pre613 *)file, f_count.counter) > 1;
}

static __always_inline void emit_holder_change(__u16 type, __u32 pid,
					       __u64 cookie, __u32 parent)
{
	struct ss_event e;

	init_event(&e, type);
	fill_current(&e);
	e.pid = pid;
	e.cookie = cookie;
	e.u.fork.parent = parent;
	/* not subject to the user's filters: the engine needs them all */
	if (bpf_ringbuf_output(&events, &e, sizeof(e), wakeup_flags()))
		__sync_fetch_and_add(&lost_records, 1);
}

SEC("tracepoint/syscalls/sys_enter_close")
int ss_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	struct file *file;
	struct sock *sk;

	if (!track_holders)
		return 0;
	file = fd_to_sock_file((int)ctx->args[0]);
	/* The last reference: the release event says it all. */
	if (!file || !file_is_shared(file))
		return 0;
	sk = file_to_sock(file);
	if (!sk_is_traced(sk))
		return 0;
	emit_holder_change(SS_EV_FDCLOSE, bpf_get_current_pid_tgid() >> 32,
			   sk_cookie(sk), 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ss_fork, struct task_struct *parent, struct task_struct *child)
{
	/* threads share the fd table: only new processes gain holders */
	if (!track_holders || child->pid != child->tgid)
		return 0;
	emit_holder_change(SS_EV_FORK, child->tgid, 0, parent->tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ss_exit, struct task_struct *task, bool group_dead)
{
	if (!track_holders || !group_dead)
		return 0;
	emit_holder_change(SS_EV_EXIT, task->tgid, 0, 0);
	return 0;
}

/* ---- fds received over UNIX sockets (SCM_RIGHTS) --------------------------- */

#define SS_AF_UNIX 1
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define MAX_PASSED_FDS 4

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, __u64); /* struct user_msghdr * in user memory */
} recv_inflight SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int ss_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	__u64 msg = ctx->args[1];
	__u32 tid = current_tid();
	struct sock *sk;

	if (!track_holders)
		return 0;
	sk = fd_to_sock((int)ctx->args[0]);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != SS_AF_UNIX)
		return 0;
	bpf_map_update_elem(&recv_inflight, &tid, &msg, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int ss_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = current_tid(), pid = bpf_get_current_pid_tgid() >> 32;
	struct user_msghdr m = {};
	struct cmsghdr c = {};
	__u64 *msgp, msg, n;
	int fds[MAX_PASSED_FDS] = {};

	msgp = bpf_map_lookup_elem(&recv_inflight, &tid);
	if (!msgp)
		return 0;
	msg = *msgp;
	bpf_map_delete_elem(&recv_inflight, &tid);
	if (ctx->ret < 0 || bpf_probe_read_user(&m, sizeof(m), (void *)msg))
		return 0;
	/* the kernel wrote back how much control data it delivered */
	if (!m.msg_control || m.msg_controllen < sizeof(c) + sizeof(int))
		return 0;
	if (bpf_probe_read_user(&c, sizeof(c), m.msg_control))
		return 0;
	if (c.cmsg_level != SOL_SOCKET || c.cmsg_type != SCM_RIGHTS)
		return 0;
	if (c.cmsg_len <= sizeof(c))
		return 0;
	n = (c.cmsg_len - sizeof(c)) / sizeof(int);
	if (n > MAX_PASSED_FDS)
		n = MAX_PASSED_FDS;
	if (!n || bpf_probe_read_user(fds, sizeof(fds), m.msg_control + sizeof(c)))
		return 0;
	for (int i = 0; i < MAX_PASSED_FDS; i++) {
		struct sock *sk;

		if (i >= n)
			break;
		sk = fd_to_sock(fds[i]);
		if (sk_is_traced(sk))
			emit_holder_change(SS_EV_FDRECV, pid, sk_cookie(sk), 0);
	}
	return 0;
}

/* ---- UDP ports bound by sendto() ------------------------------------------ */

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8); /* 1: its port was reported */
} port_reported SEC(".maps");

static __always_inline int mark_bound(struct bpf_sock *sk)
{
	__u8 *seen;

	if (!sk || sk->protocol != SS_PROTO_UDP)
		return 1;
	seen = bpf_sk_storage_get(&port_reported, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (seen)
		*seen = 1;
	return 1;
}

SEC("cgroup/post_bind4")
int ss_post_bind4(struct bpf_sock *sk)
{
	return mark_bound(sk);
}

SEC("cgroup/post_bind6")
int ss_post_bind6(struct bpf_sock *sk)
{
	return mark_bound(sk);
}

static __always_inline int on_udp_sendmsg(struct bpf_sock_addr *ctx)
{
	struct task_struct *task;
	struct bpf_sock *sk = ctx->sk;
	struct ss_event e;
	__u8 *seen;

	if (!sk || sk->protocol != SS_PROTO_UDP || !sk->src_port)
		return 1;
	seen = bpf_sk_storage_get(&port_reported, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!seen || *seen)
		return 1;
	*seen = 1;

	init_event(&e, SS_EV_BIND);
	fill_current(&e);
	task = (void *)bpf_get_current_task();
	e.netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	e.cookie = bpf_get_socket_cookie(ctx);
	e.family = sk->family;
	e.proto = SS_PROTO_UDP;
	e.lport = sk->src_port;
	e.laddr_family = sk->family;
	if (sk->family == SS_AF_INET) {
		__u32 a = sk->src_ip4;

		__builtin_memcpy(e.laddr, &a, 4);
	} else {
		__u32 a[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };

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
