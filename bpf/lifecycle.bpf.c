// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A socket's life, on the hooks that see it (see sockscope.bpf.c):
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
 * The state they share: owners (who acted on a socket last, for events
 * raised in softirq), listeners (owner of children not yet accepted) and
 * inflight (syscall arguments from sys_enter to sys_exit).
 */
#include "sockscope.bpf.h"
#include "emit.bpf.h"
#include "maps.bpf.h"
#include "sock_btf.bpf.h"

#define ECONNABORTED 103
#define EACCES 13
#define EADDRNOTAVAIL 99

/* The current task, as e (a record of it, fill_current()) names it. */
static __always_inline void owner_from_event(struct owner *o, const struct ss_event *e)
{
	copy_task_identity(o, e);
	owner_note_cgroup(o);
}

/* Record e's task as the socket's owner; keeps creation time. */
static __always_inline struct owner *owner_touch(__u64 cookie, const struct ss_event *e)
{
	struct owner *o, fresh = {};

	if (!cookie)
		return NULL;
	o = bpf_map_lookup_elem(&owners, &cookie);
	if (o) {
		owner_from_event(o, e);
		return o;
	}
	owner_from_event(&fresh, e);
	fresh.created_ns = e->ts_ns;
	return bpf_map_try_init(&owners, &cookie, &fresh);
}

/*
 * Copy a user sockaddr (AF_INET / AF_INET6 only) into call args, with one
 * read of user memory (each costs ~40 ns): as much as an AF_INET6 address
 * takes when len allows, else an AF_INET one.
 */
static __always_inline void copy_sockaddr(struct call_args *a, const void *uaddr, int len)
{
	union {
		__u16 family;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u = {};
	bool v6room = len >= (int)sizeof(u.sin6), v4room = len >= (int)sizeof(u.sin);
	__u32 n = v6room ? sizeof(u.sin6) : v4room ? sizeof(u.sin) : sizeof(u.family);

	if (!uaddr || len < (int)sizeof(u.family) || bpf_probe_read_user(&u, n, uaddr))
		return;
	if (u.family == SS_AF_INET && v4room) {
		a->sa_family = SS_AF_INET;
		a->port = bpf_ntohs(u.sin.sin_port);
		__builtin_memcpy(a->addr, &u.sin.sin_addr, 4);
	} else if (u.family == SS_AF_INET6 && v6room) {
		a->sa_family = SS_AF_INET6;
		a->port = bpf_ntohs(u.sin6.sin6_port);
		__builtin_memcpy(a->addr, &u.sin6.sin6_addr, 16);
	} else if (u.family == 0) {
		/* AF_UNSPEC: connect() dissolving a UDP association */
		a->sa_family = 0;
	}
}

/*
 * sys_enter half of a hand-over: the socket behind fd if we trace it, with
 * the call's start and fd noted in *a; the caller adds its arguments and
 * saves *a with call_save().
 */
static __always_inline struct sock *call_begin(struct call_args *a, int fd)
{
	struct sock *sk = fd_sk(fd);

	if (!sk)
		return NULL;
	a->ts = bpf_ktime_get_ns();
	a->fd = fd;
	return sk;
}

/* Kept for the sys_exit of call (SS_CALL_*). */
static __always_inline void call_save(struct call_args *a, __u32 call)
{
	struct call_args *slot = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (slot) {
		a->call = call;
		*slot = *a;
	}
}

/*
 * sys_exit half: the arguments saved by call's sys_enter and the socket
 * they name (none when that sys_enter did not save any: an untraced fd, or
 * a call begun before we attached).
 */
static __always_inline struct sock *call_end(struct call_args *a, __u32 call)
{
	struct call_args *slot = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);

	if (!slot || slot->call != call)
		return NULL;
	*a = *slot;
	slot->call = 0;
	return fd_sk(a->fd);
}

/* A record about sk raised by the current task in a syscall. */
static __always_inline void init_sock_event(struct ss_event *e, __u16 type, struct sock *sk,
					    __u64 ts)
{
	init_event(e, type, ts);
	fill_current(e);
	fill_sk(e, sk);
}

/* ---- socket / close: cgroup hooks ---------------------------------------- */

SEC("cgroup/sock_create")
int ss_sock_create(struct bpf_sock *ctx)
{
	/* read the context once: clang may otherwise merge two reads of
	 * different fields into arithmetic on ctx, which the verifier refuses
	 */
	__u32 family = ctx->family, type = ctx->type, protocol = ctx->protocol;
	struct owner o = {};
	struct ss_event e;
	__u64 cookie;

	if (!sock_is_traced(family, type, protocol))
		return 1;
	/* Generates the cookie now, so every later hook can read it. */
	cookie = bpf_get_socket_cookie(ctx);
	init_event(&e, SS_EV_SOCKET, bpf_ktime_get_ns());
	fill_current(&e);
	owner_from_event(&o, &e);
	o.created_ns = e.ts_ns;
	bpf_map_update_elem(&owners, &cookie, &o, BPF_ANY);
	current_may_hold();

	if (!event_wanted(SS_EV_SOCKET))
		return 1;
	fill_sk(&e, ctx_sk(ctx));
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

	init_event(&e, SS_EV_CLOSE, now);
	sk = ctx_sk(ctx);
	fill_sk(&e, sk);
	fill_current(&e);
	e.u.close.state = state;
	if (protocol == SS_PROTO_TCP) {
		struct tcp_sock *tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
		__u64 rcvd = tp->bytes_received;

		/*
		 * Data bytes, not sequence space: bytes_acked would count our
		 * SYN and FIN, bytes_received counts the peer's FIN once it
		 * arrived (tcp_fin sets SOCK_DONE). bytes_sent counts data put
		 * on the wire, retransmissions included.
		 */
		if (rcvd && (sk->__sk_common.skc_flags & (1UL << SOCK_DONE)))
			rcvd--;
		e.u.close.bytes_sent = tp->bytes_sent;
		e.u.close.bytes_received = rcvd;
		e.hdr.flags |= SS_F_TCP_INFO;
	}

	o = bpf_map_lookup_elem(&owners, &cookie);
	if (o && o->created_ns && now > o->created_ns)
		e.u.close.duration_ns = now - o->created_ns;

	if (state == TCP_LISTEN) {
		struct listen_key k = {.netns = e.netns, .port = e.lport};

		bpf_map_delete_elem(&listeners, &k);
	}
	/*
	 * A TCP socket may still change state after release (FIN_WAIT1 ->
	 * FIN_WAIT2 -> CLOSE); keep its owner, now the releasing task, until
	 * it reaches CLOSE. Anything else is finished here.
	 */
	if (o && protocol == SS_PROTO_TCP && state != TCP_CLOSE) {
		owner_from_event(o, &e);
		o->released = 1;
	} else if (o) {
		bpf_map_delete_elem(&owners, &cookie);
	}
	emit(&e);
	return 1;
}

/* ---- bind ---------------------------------------------------------------- */

SEC("tracepoint/syscalls/sys_enter_bind")
int ss_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	struct call_args a = {};

	if (!call_begin(&a, (int)ctx->args[0]))
		return 0;
	copy_sockaddr(&a, (const void *)ctx->args[1], (int)ctx->args[2]);
	call_save(&a, SS_CALL_BIND);
	return 0;
}

/* Replace the local address with the one the caller asked for. */
static __always_inline void use_requested_local(struct ss_event *e, const struct call_args *a)
{
	if (!a->sa_family)
		return;
	e->laddr_family = a->sa_family;
	__builtin_memcpy(e->laddr, a->addr, SS_ADDR_LEN);
	e->lport = a->port;
	e->hdr.flags |= SS_F_LOCAL;
}

/* The same for the remote address (connect's destination). */
static __always_inline void use_requested_remote(struct ss_event *e, const struct call_args *a)
{
	if (!a->sa_family)
		return;
	e->raddr_family = a->sa_family;
	__builtin_memcpy(e->raddr, a->addr, SS_ADDR_LEN);
	e->rport = a->port;
	e->hdr.flags |= SS_F_REMOTE;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int ss_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	struct call_args a;
	struct ss_event e;
	struct sock *sk;

	sk = call_end(&a, SS_CALL_BIND);
	if (!sk)
		return 0;
	init_sock_event(&e, SS_EV_BIND, sk, bpf_ktime_get_ns());
	if (ctx->ret < 0) {
		/* The socket holds nothing useful: report what was asked for.
		 */
		e.err = -ctx->ret;
		use_requested_local(&e, &a);
		if (e.err == EACCES)
			e.u.bind.prot_sock = BPF_CORE_READ(sk, __sk_common.skc_net.net,
							   ipv4.sysctl_ip_prot_sock);
	} else if (e.proto == SS_PROTO_UDP) {
		/* reported here: a sendto() does not report it again */
		struct owner *o = bpf_map_lookup_elem(&owners, &e.cookie);

		if (o)
			o->port_reported = 1;
	}
	emit(&e);
	return 0;
}

/* ---- listen -------------------------------------------------------------- */

SEC("tracepoint/syscalls/sys_enter_listen")
int ss_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct call_args a = {};

	if (!call_begin(&a, (int)ctx->args[0]))
		return 0;
	a.backlog = (__u32)ctx->args[1];
	call_save(&a, SS_CALL_LISTEN);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int ss_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	struct call_args a;
	struct ss_event e;
	struct sock *sk;

	sk = call_end(&a, SS_CALL_LISTEN);
	if (!sk)
		return 0;
	init_sock_event(&e, SS_EV_LISTEN, sk, bpf_ktime_get_ns());
	e.u.listen.backlog = a.backlog;
	if (ctx->ret < 0) {
		e.err = -ctx->ret;
	} else if (e.proto == SS_PROTO_TCP) {
		struct listen_key k = {.netns = e.netns, .port = e.lport};
		struct owner *o = owner_touch(e.cookie, &e);

		if (o)
			bpf_map_update_elem(&listeners, &k, o, BPF_ANY);
	}
	emit(&e);
	return 0;
}

/* ---- connect ------------------------------------------------------------- */

SEC("tracepoint/syscalls/sys_enter_connect")
int ss_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct call_args a = {};
	struct ss_event e;
	struct owner *o;
	struct sock *sk;
	__u8 state;

	sk = call_begin(&a, (int)ctx->args[0]);
	if (!sk)
		return 0;
	a.cookie = sk->__sk_common.skc_cookie.counter;
	copy_sockaddr(&a, (const void *)ctx->args[1], (int)ctx->args[2]);
	call_save(&a, SS_CALL_CONNECT);

	/*
	 * Re-calling connect() on a TCP socket already connecting or connected
	 * (EALREADY/EISCONN polling loops) is not a new attempt.
	 */
	state = sk->__sk_common.skc_state;
	if (sk->sk_protocol == SS_PROTO_TCP && state != TCP_CLOSE)
		return 0;

	init_sock_event(&e, SS_EV_CONNECT, sk, a.ts);
	o = owner_touch(a.cookie, &e);
	if (o) {
		o->connect_ns = a.ts;
		o->connect_pending = 1;
	}

	if (a.sa_family) {
		use_requested_remote(&e, &a);
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
	struct call_args a;
	struct ss_event e;
	struct owner *o;
	struct sock *sk;
	__u64 cookie, now;

	sk = call_end(&a, SS_CALL_CONNECT);
	if (!sk)
		return 0;
	/* Still in SYN_SENT: the outcome comes from inet_sock_set_state. */
	if (sk->sk_protocol == SS_PROTO_TCP && sk->__sk_common.skc_state == TCP_SYN_SENT)
		return 0;

	now = bpf_ktime_get_ns();
	cookie = sk->__sk_common.skc_cookie.counter;
	o = cookie ? bpf_map_lookup_elem(&owners, &cookie) : NULL;
	/* Whoever clears the pending flag reports the outcome, exactly once. */
	if (o && __sync_val_compare_and_swap(&o->connect_pending, 1, 0) != 1)
		return 0;

	init_sock_event(&e, SS_EV_CONNECT_DONE, sk, now);
	if (ctx->ret < 0) {
		e.err = -ctx->ret;
		if (e.err == EADDRNOTAVAIL) {
			/* low port in the low half, high in the high half */
			__u32 range = BPF_CORE_READ(sk, __sk_common.skc_net.net,
						    ipv4.ip_local_ports.range);

			e.u.connect.port_lo = range & 0xffff;
			e.u.connect.port_hi = range >> 16;
		}
		use_requested_remote(&e, &a);
	}
	e.u.connect.latency_ns = now - (o ? o->connect_ns : a.ts);
	emit(&e);
	return 0;
}

/* ---- accept -------------------------------------------------------------- */

static __always_inline int on_accept_exit(long ret)
{
	struct ss_event e;
	struct sock *sk;

	if (ret < 0)
		return 0; /* EAGAIN polling is noise, not an event */
	sk = fd_sk((int)ret);
	if (!sk)
		return 0;
	init_sock_event(&e, SS_EV_ACCEPT, sk, bpf_ktime_get_ns());
	owner_touch(e.cookie, &e);
	current_may_hold();
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

/* ---- TCP state: async connect outcome and transitions -------------------- */

/*
 * A record raised in softirq: attributed to the socket's owner, if known.
 * The caller sets the cookie (the one it generated: fill_sk() reads the
 * stored one).
 */
static __always_inline void init_async_event(struct ss_event *e, __u16 type, __u64 now,
					     const struct owner *o, struct sock *sk)
{
	init_event(e, type, now);
	fill_owner(e, o);
	fill_sk(e, sk);
	e->hdr.flags |= SS_F_ASYNC;
}

/*
 * tcp_v4_connect() sets SYN_SENT, then CLOSE again if it finds no port
 * (EADDRNOTAVAIL) or route, all inside the syscall and with no sk_err: the
 * errno is only known at sys_exit_connect, which reports it.
 */
static __always_inline bool failing_inside_connect(struct sock *sk, __u64 cookie, int newstate)
{
	struct call_args *a;

	if (newstate != TCP_CLOSE || sk->sk_err)
		return false;
	/* in softirq this is the interrupted task's: its call names another sk */
	a = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	return a && a->call == SS_CALL_CONNECT && a->cookie == cookie;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ss_state, struct sock *sk, int oldstate, int newstate)
{
	bool wanted = event_wanted(SS_EV_STATE) && oldstate != newstate, done;
	struct ss_event e;
	struct owner *o;
	__u64 cookie, now;

	/*
	 * Six of these run per connection. sk is a trusted BTF pointer: its
	 * fields are plain loads, no helper calls. Without state records, only
	 * the connect outcome, a listener's child and the final CLOSE need the
	 * owner (and the clock).
	 */
	if (sk->sk_protocol != SS_PROTO_TCP)
		return 0;
	if (!wanted && oldstate != TCP_SYN_SENT && newstate != TCP_SYN_RECV &&
	    newstate != TCP_CLOSE)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	now = bpf_ktime_get_ns();
	o = bpf_map_lookup_elem(&owners, &cookie);

	/* A child cloned from a listener belongs to the listener's owner
	 * until some process accepts it. */
	if (!o && newstate == TCP_SYN_RECV) {
		struct listen_key k = {.netns = sk->__sk_common.skc_net.net->ns.inum,
				       .port = sk->__sk_common.skc_num};
		struct owner *lo = bpf_map_lookup_elem(&listeners, &k);

		if (lo) {
			struct owner child = *lo;

			child.created_ns = now;
			child.connect_pending = 0;
			child.released = 0;
			o = bpf_map_try_init(&owners, &cookie, &child);
		}
	}

	done = oldstate == TCP_SYN_SENT && o && !failing_inside_connect(sk, cookie, newstate) &&
	       __sync_val_compare_and_swap(&o->connect_pending, 1, 0) == 1;
	if (!done && !wanted)
		goto out;
	/* one fill for both records (each inlined fill doubled verification) */
	init_async_event(&e, SS_EV_CONNECT_DONE, now, o, sk);
	e.cookie = cookie;
	if (done) {
		if (newstate != TCP_ESTABLISHED) {
			e.err = sk->sk_err;
			if (!e.err)
				e.err = ECONNABORTED; /* closed while connecting */
		}
		e.u.connect.latency_ns = now - o->connect_ns;
		emit_async(&e, o);
	}

	/* tcp_close() after shutdown(SHUT_WR) "moves" FIN_WAIT1 to FIN_WAIT1. */
	if (wanted) {
		e.hdr.type = SS_EV_STATE;
		e.err = 0;
		__builtin_memset(&e.u, 0, sizeof(e.u));
		e.hdr.flags &= ~SS_F_NO_COOKIE;
		e.u.state.old_state = oldstate;
		e.u.state.new_state = newstate;
		/* tells a TIME_WAIT hand-over from an orphan's FIN_WAIT2 one */
		if (sk->__sk_common.skc_flags & (1UL << SOCK_DONE))
			e.hdr.flags |= SS_F_FIN_RCVD;
		/* a reset or timeout kills the connection: no timewait after it */
		if (newstate == TCP_CLOSE && sk->sk_err)
			e.hdr.flags |= SS_F_RESET;
		emit_async(&e, o);
	}

out:
	if (o && newstate == TCP_CLOSE && o->released)
		bpf_map_delete_elem(&owners, &cookie);
	return 0;
}
