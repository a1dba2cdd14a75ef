/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the files of the sockscope object share. They are compiled apart and
 * linked into one object (bpftool gen object) with one skeleton, so every
 * setting, counter and map below is defined once, in sockscope.bpf.c, and
 * declared extern here. The linker resolves an extern map only against a
 * definition of the same type: hence the typedefs, used by both sides.
 */
#ifndef SS_SOCKSCOPE_BPF_H
#define SS_SOCKSCOPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "sockscope_abi.h"

/* Filled by userspace before load. */
extern const volatile struct ss_filter filter;
/* Wake the consumer only when this much data is pending (0: every record). */
extern const volatile __u32 wakeup_bytes;
/* Emit fork/exit/fdclose records for the engine's holder sets. */
extern const volatile __u32 track_holders;
/* Emit SS_EV_PROC records (identity.bpf.c). */
extern const volatile __u32 track_identity;

/* Records the ring buffer refused; userspace reads it through mmap'ed .bss. */
extern __u64 lost_records;
/* Producer position before which no record forces a wakeup (emit.bpf.h). */
extern __u64 wake_after;
/* Sockets found by the start-up iterator (for the status line). */
extern __u64 seeded_sockets;

typedef struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by --ring-size */
} ss_events_map;

extern ss_events_map events SEC(".maps");

/* Who to attribute a socket's asynchronous events to. */
struct owner {
	__u64 created_ns; /* creation, clone, or first sight at start */
	__u64 connect_ns; /* start of the connect() whose outcome is owed */
	__u64 cgroup_id;
	__u64 connect_pending; /* 1 while a connect outcome is owed; claimed by
				  cmpxchg */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 released; /* socket released by its last holder */
	char comm[SS_COMM_LEN];
	/* recorded in the --cgroup filter's cgroup (1 when there is none) */
	__u32 in_cgroup;
	/* UDP: its local port was reported, by bind() or by a first sendto()
	 * (udp_implicit.bpf.c) */
	__u32 port_reported;
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, struct owner);
} ss_owners_map;

extern ss_owners_map owners SEC(".maps");

/* Listening sockets by (netns, port): owner of children not yet accepted. */
struct listen_key {
	__u32 netns;
	__u16 port;
	__u16 _pad;
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct listen_key);
	__type(value, struct owner);
} ss_listeners_map;

extern ss_listeners_map listeners SEC(".maps");

/*
 * Syscall arguments between sys_enter and sys_exit, in the thread's task
 * storage: two lookups in the task's own list instead of a hash update,
 * lookup and delete under bucket locks (~100 ns a call), and no table that
 * fills up when many threads are inside a call at once.
 */
struct call_args {
	__u64 ts;
	__u64 cookie; /* connect: the socket, to recognise it in softirq */
	__s32 fd;
	__u32 backlog;
	__u16 sa_family; /* 0: no address copied */
	__u16 port;	 /* host order */
	__u32 call;	 /* SS_CALL_*: whose sys_exit takes these; 0: none */
	__u8 addr[SS_ADDR_LEN];
};

enum { SS_CALL_BIND = 1, SS_CALL_LISTEN, SS_CALL_CONNECT };

typedef struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_args);
} ss_inflight_map;

extern ss_inflight_map inflight SEC(".maps");

/*
 * Processes that may hold a traced socket, marked on the group leader (the
 * fd table is the process's): when it creates, accepts or receives one, at
 * fork from a marked parent, and by the start-up seed. Fork and exit
 * records go to the engine only for them, so the host's socket-free
 * processes cost a lookup per fork and exit instead of two records.
 */
typedef struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} ss_may_hold_map;

extern ss_may_hold_map may_hold SEC(".maps");

/* Mark task (a group leader) as one that may hold a traced socket. */
static __always_inline void mark_may_hold(struct task_struct *leader)
{
	if (track_holders && leader)
		bpf_task_storage_get(&may_hold, leader, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void current_may_hold(void)
{
	mark_may_hold(bpf_get_current_task_btf()->group_leader);
}

/* The key of recv_inflight, a per-thread map. */
static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

#endif
