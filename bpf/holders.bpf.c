// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Holder changes for the userspace engine's holder sets (never printed by
 * 'trace', and only when track_holders is set):
 *
 *   fork     tp_btf/sched_process_fork  the child inherits every socket fd
 *   exit     tp_btf/sched_process_exit  the process holds nothing any more
 *   fdclose  sys_enter_close            one process drops a socket that
 *                                       others (or other fds) still hold
 *   fdrecv   sys_{enter,exit}_recvmsg   a process received socket fds over
 *                                       a UNIX socket (SCM_RIGHTS)
 */
#include "sockscope.bpf.h"
#include "compat.bpf.h"
#include "emit.bpf.h"
#include "maps.bpf.h"
#include "sock_read.bpf.h"

static __always_inline void emit_holder_change(__u16 type, __u32 pid, __u64 cookie, __u32 parent)
{
	struct ss_event e;

	init_event(&e, type, bpf_ktime_get_ns());
	fill_current(&e);
	e.pid = pid;
	e.cookie = cookie;
	e.u.fork.parent = parent;
	/* not subject to the user's filters: the engine needs them all */
	emit_unfiltered(&e);
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
	emit_holder_change(SS_EV_FDCLOSE, bpf_get_current_pid_tgid() >> 32, sk_cookie(sk), 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ss_fork, struct task_struct *parent, struct task_struct *child)
{
	/* threads share the fd table: only new processes gain holders */
	if (!track_holders || child->pid != child->tgid)
		return 0;
	/* a parent with no socket gives its child none */
	if (!bpf_task_storage_get(&may_hold, parent->group_leader, 0, 0))
		return 0;
	mark_may_hold(child);
	emit_holder_change(SS_EV_FORK, child->tgid, 0, parent->tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ss_exit, struct task_struct *task, bool group_dead)
{
	if (!track_holders || !group_dead)
		return 0;
	if (!bpf_task_storage_get(&may_hold, task->group_leader, 0, 0))
		return 0;
	emit_holder_change(SS_EV_EXIT, task->tgid, 0, 0);
	return 0;
}

/* ---- fds received over UNIX sockets (SCM_RIGHTS) ------------------------- */

#define SS_AF_UNIX 1
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define MAX_PASSED_FDS 4

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);   /* tid */
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

/*
 * A received fd's socket, if we trace it: its cookie, else 0. A global
 * function, verified once: inlined into the loop below, each of its paths
 * multiplied the verifier's states per fd (tens of ms at every start).
 */
__noinline __u64 ss_traced_fd_cookie(int fd)
{
	struct sock *sk = fd_to_sock(fd);

	return sk_is_traced(sk) ? sk_cookie(sk) : 0;
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int ss_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = current_tid(), pid = bpf_get_current_pid_tgid() >> 32;
	struct user_msghdr m = {};
	struct cmsghdr c = {};
	__u64 msg, n;
	int fds[MAX_PASSED_FDS] = {};

	if (!bpf_map_take(&recv_inflight, &tid, &msg))
		return 0;
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
	current_may_hold(); /* fds arrived; some may be sockets */
	for (int i = 0; i < MAX_PASSED_FDS; i++) {
		__u64 cookie;

		if (i >= n)
			break;
		cookie = ss_traced_fd_cookie(fds[i]);
		if (cookie)
			emit_holder_change(SS_EV_FDRECV, pid, cookie, 0);
	}
	return 0;
}
