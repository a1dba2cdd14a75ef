// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process identity (SS_EV_PROC): once per process, before the first socket
 * record it produces, and again after it execs. What only the kernel can
 * still see when a process binds and exits within a millisecond: its exe
 * path, its command line, its parent, its pid in its own pid namespace.
 *
 *   ss_identity_note()               called through identity_hook()
 *                                    (emit.bpf.h) for records of the
 *                                    current process
 *   tp_btf/sched_process_exec        forgets the mark: the next socket
 *                                    record re-emits exe and cmdline
 *
 * The mark lives in task storage on the group leader: a later record costs
 * one lookup, and it goes away with the task, so a recycled pid (a new
 * task_struct) is always announced again. Only when track_identity is set.
 */
#include "sockscope.bpf.h"
#include "emit.bpf.h"

const volatile __u32 track_identity = 0;

/* Path components and mount crossings walked for exe, at most. */
#define EXE_WALK 32

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} proc_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[2 * SS_EXE_LEN]);
} exe_scratch SEC(".maps");

struct exe_walk {
	struct dentry *d;
	struct mount *mnt;
	__u32 off;  /* where the path starts in the scratch buffer */
	__u32 done; /* reached the root: the path is whole */
};

/*
 * One step up from w->d: a name in front of the path, or the crossing into
 * the parent mount at a mount's root. A bpf_loop() callback: verified once,
 * where an unrolled walk's states multiply with every step. The bounds the
 * verifier sees (offset and length below SS_EXE_LEN) reach into the second
 * half of the scratch buffer; the real writes stay in the first (off).
 */
static long exe_step(__u64 i, void *ctx)
{
	/* locals: BPF_CORE_READ() would relocate w's own fields too */
	struct exe_walk *w = ctx;
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);
	struct mount *mnt = w->mnt;
	const unsigned char *name;
	__u32 zero = 0, len, off = w->off;
	char *buf;

	if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt) {
			w->done = 1; /* the root of the mount namespace */
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		return 0;
	}
	if (d == parent) {
		w->done = 1; /* the root of a detached tree */
		return 1;
	}
	buf = bpf_map_lookup_elem(&exe_scratch, &zero);
	if (!buf)
		return 1;
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len + 1 > off)
		return 1; /* no room: keep the last components */
	off -= len;
	if (len)
		bpf_probe_read_kernel(&buf[off & (SS_EXE_LEN - 1)], len & (SS_EXE_LEN - 1), name);
	off--;
	buf[off & (SS_EXE_LEN - 1)] = '/';
	w->off = off;
	w->d = parent;
	return 0;
}

/*
 * d_path() is not callable from these hooks: walk the dentries up, crossing
 * mounts, writing each name in front of the previous one from the end of
 * the buffer backwards (struct ss_proc says how userspace reads it).
 */
static __always_inline void read_exe(struct ss_proc *r, struct file *exe)
{
	struct vfsmount *vm = BPF_CORE_READ(exe, f_path.mnt);
	struct exe_walk w = {
		.d = BPF_CORE_READ(exe, f_path.dentry),
		.mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt),
		.off = SS_EXE_LEN - 1,
	};
	__u32 zero = 0;
	char *buf;

	buf = bpf_map_lookup_elem(&exe_scratch, &zero);
	if (!buf)
		return;
	buf[SS_EXE_LEN - 1] = 0;
	bpf_loop(EXE_WALK, exe_step, &w, 0);
	if (!w.done)
		r->hdr.flags |= SS_PF_EXE_TRUNC;
	if (w.off == SS_EXE_LEN - 1)
		buf[--w.off] = '/';
	r->exe_off = w.off;
	__builtin_memcpy(r->exe, buf, SS_EXE_LEN);
}

/* The argument area of the current process (its pages are this process's). */
static __always_inline void read_cmdline(struct ss_proc *r, struct mm_struct *mm)
{
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	__u64 n = end > start ? end - start : 0;

	if (n > SS_CMDLINE_LEN) {
		n = SS_CMDLINE_LEN;
		r->hdr.flags |= SS_PF_CMDLINE_TRUNC;
	}
	if (n && !bpf_probe_read_user(r->cmdline, n, (const void *)start))
		r->cmdline_len = n;
}

static __always_inline void read_pid_ns(struct ss_proc *r, struct task_struct *leader)
{
	struct pid *pid = BPF_CORE_READ(leader, thread_pid);
	__u32 level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	/* the deepest level: the pid namespace the process itself sees */
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	r->nspid = up.nr;
	r->pidns = BPF_CORE_READ(up.ns, ns.inum);
}

/* A global function: verified once, not inlined into every program. */
__noinline int ss_identity_note(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;
	struct mm_struct *mm;
	struct ss_proc *r;
	struct file *exe;

	if (!leader || bpf_task_storage_get(&proc_seen, leader, 0, 0))
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		/* not marked: the next record tries again */
		__sync_fetch_and_add(&lost_records, 1);
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->hdr.type = SS_EV_PROC;
	r->hdr.size = sizeof(*r);
	r->hdr.version = SS_ABI_VERSION;
	r->ts_ns = bpf_ktime_get_ns();
	r->start_ns = BPF_CORE_READ(leader, start_boottime);
	r->pid = BPF_CORE_READ(leader, tgid);
	r->ppid = BPF_CORE_READ(leader, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&r->pcomm, leader, real_parent, comm);
	read_pid_ns(r, leader);
	mm = BPF_CORE_READ(task, mm);
	exe = mm ? BPF_CORE_READ(mm, exe_file) : NULL;
	if (exe)
		read_exe(r, exe);
	else
		r->hdr.flags |= SS_PF_NO_EXE;
	if (mm)
		read_cmdline(r, mm);
	bpf_ringbuf_submit(r, wakeup_flags());
	bpf_task_storage_get(&proc_seen, leader, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ss_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* after de_thread(): p is the group leader, with its new mm */
	if (track_identity)
		bpf_task_storage_delete(&proc_seen, p);
	return 0;
}
