/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records: initialising and filling them, the user's filter, and delivery to
 * the ring buffer with every refused record counted in lost_records.
 */
#ifndef SS_EMIT_BPF_H
#define SS_EMIT_BPF_H

#include "sockscope.bpf.h"

/* ---- filling records ----------------------------------------------------- */

/*
 * ts: the program's one clock read (bpf_ktime_get_ns() is a TSC read, and a
 * slow one in a VM): callers that need the time for something else too pass
 * the same value.
 */
static __always_inline void init_event(struct ss_event *e, __u16 type, __u64 ts)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.type = type;
	e->hdr.size = sizeof(*e);
	e->hdr.version = SS_ABI_VERSION;
	e->ts_ns = ts;
}

/*
 * The current task's identity into a record or an owner (struct owner,
 * sockscope.bpf.h): anything with pid, tid, uid, cgroup_id and comm. A macro
 * so both keep their own field layout and no copy is made between them.
 */
#define fill_task_identity(x)                                       \
	({                                                          \
		__u64 __pid_tgid = bpf_get_current_pid_tgid();      \
                                                                    \
		(x)->pid = __pid_tgid >> 32;                        \
		(x)->tid = (__u32)__pid_tgid;                       \
		(x)->uid = (__u32)bpf_get_current_uid_gid();        \
		(x)->cgroup_id = bpf_get_current_cgroup_id();       \
		bpf_get_current_comm((x)->comm, sizeof((x)->comm)); \
	})

static __always_inline void fill_current(struct ss_event *e)
{
	fill_task_identity(e);
}

/* The same identity from one record or owner to another: no helper calls. */
#define copy_task_identity(dst, src)                                     \
	({                                                               \
		(dst)->pid = (src)->pid;                                 \
		(dst)->tid = (src)->tid;                                 \
		(dst)->uid = (src)->uid;                                 \
		(dst)->cgroup_id = (src)->cgroup_id;                     \
		__builtin_memcpy((dst)->comm, (src)->comm, SS_COMM_LEN); \
	})

/* The process a socket's asynchronous event is attributed to, if known. */
static __always_inline void fill_owner(struct ss_event *e, const struct owner *o)
{
	if (!o) {
		e->hdr.flags |= SS_F_NO_OWNER;
		return;
	}
	copy_task_identity(e, o);
}

/* ---- the user's filter --------------------------------------------------- */

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

/*
 * Whether the current task is in the filter's cgroup or below it: its
 * ancestor at the filter's depth is that cgroup. The helper is allowed in
 * tracepoint, tp_btf and cgroup sock/sock_addr programs alike, and costs a
 * pointer walk; no map.
 */
static __always_inline bool current_in_cgroup(void)
{
	if (!filter.cgroup_id)
		return true;
	return bpf_get_current_ancestor_cgroup_id(filter.cgroup_level) == filter.cgroup_id;
}

/* An owner recorded from the current task: is it in the filter's cgroup? */
static __always_inline void owner_note_cgroup(struct owner *o)
{
	o->in_cgroup = current_in_cgroup();
}

/*
 * addr (in the form family says) within the prefix f. Both forms are
 * compared as whole words: the record's addresses are 8-byte aligned.
 */
static __always_inline bool addr_in(const struct ss_addr_filter *f, __u16 family, const __u8 *addr)
{
	if (family == SS_AF_INET) {
		if (!f->has_v4)
			return false;
		return (*(const __u32 *)addr & f->mask4) == f->net4;
	}
	if (family != SS_AF_INET6)
		return false;
	return ((((const __u64 *)addr)[0] & ((const __u64 *)f->mask)[0]) ==
		((const __u64 *)f->net)[0]) &&
	       ((((const __u64 *)addr)[1] & ((const __u64 *)f->mask)[1]) ==
		((const __u64 *)f->net)[1]);
}

/* The filters on the socket's addresses and ports (see ss_filter). */
static __always_inline bool tuple_passes(const struct ss_event *e)
{
	if (filter.lport && e->lport != filter.lport)
		return false;
	if (filter.rport && e->rport != filter.rport)
		return false;
	/* an address the record does not know never matches */
	if (filter.laddr.family &&
	    (!(e->hdr.flags & SS_F_LOCAL) ||
	     !addr_in((const struct ss_addr_filter *)&filter.laddr, e->laddr_family, e->laddr)))
		return false;
	if (filter.raddr.family &&
	    (!(e->hdr.flags & SS_F_REMOTE) ||
	     !addr_in((const struct ss_addr_filter *)&filter.raddr, e->raddr_family, e->raddr)))
		return false;
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
	if (filter.netns && e->netns != filter.netns)
		return false;
	if (filter.has_uid && (e->uid != filter.uid || (e->hdr.flags & SS_F_NO_OWNER)))
		return false;
	if (!tuple_passes(e))
		return false;
	/* asynchronous records are tested on their owner: emit_async() */
	if (!(e->hdr.flags & SS_F_ASYNC) && !current_in_cgroup())
		return false;
	return true;
}

/* ---- process identity (identity.bpf.c) ---------------------------------- */

extern int ss_identity_note(void);

/*
 * Before a record of the current process: its SS_EV_PROC, the first time.
 * Asynchronous records (softirq) name their owner, not the interrupted task.
 */
static __always_inline void identity_hook(const struct ss_event *e)
{
	if (track_identity && e->pid && e->pid == bpf_get_current_pid_tgid() >> 32)
		ss_identity_note();
}

/* ---- delivery ------------------------------------------------------------ */

/*
 * Batched wakeups: waking the consumer costs far more than a record (an
 * irq_work, a self-IPI: a VM exit here). Records are submitted without a
 * wakeup until wakeup_bytes are pending, and then once per wakeup_bytes
 * produced: a consumer that is busy, or that cannot keep up for a while (a
 * daemon committing to SQLite), is not woken again for every record while
 * the backlog stays above the threshold. Nothing waits on that: the
 * consumer's poll reports the ring readable whenever it holds data, and it
 * also drains on its poll timeout.
 */
static __always_inline __u64 wakeup_flags(void)
{
	__u64 prod;

	if (!wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	prod = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
	/* two CPUs racing here both wake it: harmless */
	if (prod < wake_after)
		return BPF_RB_NO_WAKEUP;
	wake_after = prod + wakeup_bytes;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void output(struct ss_event *e, __u64 flags)
{
	if (bpf_ringbuf_output(&events, e, sizeof(*e), flags))
		__sync_fetch_and_add(&lost_records, 1);
}

/* A record the user asked for, if the filter lets it through. */
static __always_inline void emit(struct ss_event *e)
{
	if (!passes(e))
		return;
	identity_hook(e);
	/*
	 * Failures are rare and are explained from a snapshot of who holds
	 * the port: wake the consumer now, while the holder still holds it.
	 */
	output(e, e->err ? BPF_RB_FORCE_WAKEUP : wakeup_flags());
}

/*
 * A record raised outside its owner (softirq): the current task is anyone,
 * so the cgroup filter asks the owner, whose place was tested when it was
 * recorded (owner_note_cgroup()).
 */
static __always_inline void emit_async(struct ss_event *e, const struct owner *o)
{
	if (filter.cgroup_id && !(o && o->in_cgroup))
		return;
	emit(e);
}

/* A record for the engine (holder changes): the user's filter is not for it. */
static __always_inline void emit_unfiltered(struct ss_event *e)
{
	output(e, wakeup_flags());
}

#endif
