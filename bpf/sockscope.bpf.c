// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sockscope kernel side: every TCP/UDP socket's lifecycle, on stable hooks
 * only (syscall tracepoints, tp_btf/inet_sock_set_state, cgroup sock hooks,
 * iter/task_file). See ../shared/PLATFORM.md for what attaches on our kernels.
 *
 * Events raised in softirq (async connect outcome, state changes) are
 * attributed through the owners map (cookie -> last process that acted on the
 * socket), never to whatever task the softirq interrupted.
 *
 * The programs live in one file per feature, each listing its hooks, linked
 * with this one into one object and one skeleton (sockscope_bpf; see the
 * Makefile):
 *
 *   lifecycle.bpf.c     socket, bind, listen, connect, accept, close, state
 *   holders.bpf.c       holder changes for the engine: fork, exit, fdclose,
 *                       fdrecv (never printed by 'trace')
 *   udp_implicit.bpf.c  UDP ports bound by sendto(), without bind()
 *   seed.bpf.c          owners of the sockets that exist at start-up
 *   identity.bpf.c      SS_EV_PROC: exe, cmdline, parent, pid namespace,
 *                       once per process (and after exec), before its first
 *                       socket record (identity_hook() in emit.bpf.h)
 *
 * This file defines what they share (declared in sockscope.bpf.h); the
 * helpers are in headers: emit.bpf.h (records, filter, ring buffer),
 * sock_read.bpf.h (socket fields), sock_btf.bpf.h (the same as plain loads,
 * lifecycle.bpf.c only), maps.bpf.h, compat.bpf.h (kernel quirks).
 */
#include "sockscope.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct ss_filter filter = {};
const volatile __u32 wakeup_bytes = 0;
const volatile __u32 track_holders = 0;

__u64 lost_records = 0;
__u64 seeded_sockets = 0;
__u64 wake_after = 0;
__u64 sock_file_ops = 0;

ss_events_map events SEC(".maps");
ss_owners_map owners SEC(".maps");
ss_listeners_map listeners SEC(".maps");
ss_inflight_map inflight SEC(".maps");
ss_may_hold_map may_hold SEC(".maps");
