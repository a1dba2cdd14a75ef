// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Start-up: owners for the sockets that already exist, walked once with
 * iter/task_file (and again after the first snapshot: tracer__seed()), so
 * their later events are attributed like those of sockets we saw created.
 */
#include "sockscope.bpf.h"
#include "compat.bpf.h"
#include "sock_read.bpf.h"

/*
 * The --cgroup filter's test for a task that is not current: the ancestor
 * of its cgroup-v2 cgroup at the filter's depth (struct cgroup keeps them
 * all, since 6.1 as pointers) is the filter's cgroup.
 */
static __always_inline __u32 task_in_cgroup(struct task_struct *task)
{
	struct cgroup *cg, *anc = NULL;
	__u32 level = filter.cgroup_level;

	if (!filter.cgroup_id)
		return 1;
	cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	if (!cg || (__u32)BPF_CORE_READ(cg, level) < level || level > 1024)
		return 0;
	if (bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[level]) || !anc)
		return 0;
	return BPF_CORE_READ(anc, kn, id) == filter.cgroup_id;
}

SEC("iter/task_file")
int ss_seed(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct owner o = {};
	struct sock *sk;
	__u64 cookie;
	__u16 proto;

	if (!task)
		return 0;
	sk = iter_file_sock(file, &proto);
	if (!sk || !file)
		return 0;
	/* the leader is visited (threads sharing its files are skipped), and
	 * the iterator's task pointer is one task storage takes */
	if (task->pid == task->tgid)
		mark_may_hold(task);
	/* every socket's file has the same f_op: fd_to_sock_file() tests it */
	if (!sock_file_ops)
		sock_file_ops = (__u64)file->f_op;
	/*
	 * Not bpf_get_socket_cookie(): see file_sock_cookie(). Sockets without
	 * a cookie yet are seeded again after the first snapshot, whose table
	 * iterators generate it (tracer__seed()).
	 */
	cookie = file_sock_cookie(sk);
	if (!cookie)
		return 0;
	o.pid = task->tgid;
	o.tid = task->pid;
	o.uid = BPF_CORE_READ(task, cred, uid.val);
	o.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	o.in_cgroup = task_in_cgroup(task);
	bpf_probe_read_kernel_str(o.comm, sizeof(o.comm), task->comm);
	o.created_ns = bpf_ktime_get_ns();
	/* counted once: a second seeding only adds sockets that were missing */
	if (!bpf_map_update_elem(&owners, &cookie, &o, BPF_NOEXIST))
		__sync_fetch_and_add(&seeded_sockets, 1);

	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN && proto == SS_PROTO_TCP) {
		struct listen_key k = {.netns = sk_netns(sk),
				       .port = BPF_CORE_READ(sk, __sk_common.skc_num)};

		bpf_map_update_elem(&listeners, &k, &o, BPF_NOEXIST);
	}
	return 0;
}
