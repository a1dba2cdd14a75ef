/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sockscope event ABI: the records the BPF programs write to the ring buffer
 * and userspace decodes. Self-contained on purpose: it compiles both from BPF
 * (after vmlinux.h) and from userspace (after <linux/types.h>), so it uses
 * only fixed-width __uN types, explicit padding, no enum/bool/long members.
 *
 * Every record starts with struct ss_hdr (type + size) so one ring buffer
 * can carry several kinds of record and a consumer can skip what it does not
 * know. Bump SS_ABI_VERSION on any incompatible change.
 */
#ifndef SOCKSCOPE_ABI_H
#define SOCKSCOPE_ABI_H

#define SS_ABI_VERSION 1

#define SS_COMM_LEN 16
#define SS_ADDR_LEN 16

/* Record types (struct ss_hdr.type). Also the bit numbers of the event mask. */
#define SS_EV_SOCKET 1	     /* socket created */
#define SS_EV_BIND 2	     /* bind() returned (success or failure) */
#define SS_EV_LISTEN 3	     /* listen() returned */
#define SS_EV_CONNECT 4	     /* connect() called: the attempt */
#define SS_EV_CONNECT_DONE 5 /* connect outcome (sync or async) */
#define SS_EV_ACCEPT 6	     /* accept()/accept4() returned a socket */
#define SS_EV_CLOSE 7	     /* socket released */
#define SS_EV_STATE 8	     /* TCP state transition */
#define SS_EV_LOST 9	     /* userspace only: records the kernel dropped */
/* Holder changes, consumed by the engine, never printed by 'trace'. */
#define SS_EV_FORK 10	 /* a process was created: u.fork.parent -> pid */
#define SS_EV_EXIT 11	 /* the last thread of process pid exited */
#define SS_EV_FDCLOSE 12 /* pid closed an fd of socket cookie; others remain */
#define SS_EV_FDRECV 13	 /* pid received an fd of socket cookie (SCM_RIGHTS) */
/* Process identity (struct ss_proc), never printed by 'trace' as an event:
 * once per process before its first socket record, and again after exec. */
#define SS_EV_PROC 14
#define SS_EV_MAX 15

/* Snapshot records, written by the BPF iterators (struct ss_sockinfo). */
#define SS_REC_HOLDER 32 /* one fd of a process refers to a socket */
#define SS_REC_SOCK 33	 /* one TCP/UDP socket as the kernel's tables hold it */

#define SS_EV_BIT(t) (1u << (t))
#define SS_EV_ALL_KERNEL                                                                      \
	(SS_EV_BIT(SS_EV_SOCKET) | SS_EV_BIT(SS_EV_BIND) | SS_EV_BIT(SS_EV_LISTEN) |          \
	 SS_EV_BIT(SS_EV_CONNECT) | SS_EV_BIT(SS_EV_CONNECT_DONE) | SS_EV_BIT(SS_EV_ACCEPT) | \
	 SS_EV_BIT(SS_EV_CLOSE) | SS_EV_BIT(SS_EV_STATE))

/* struct ss_event.flags */
#define SS_F_NO_OWNER 0x01  /* pid/tid/uid/comm/cgroup unknown (softirq, no owner seen) */
#define SS_F_LOCAL 0x02	    /* laddr/lport are valid */
#define SS_F_REMOTE 0x04    /* raddr/rport are valid */
#define SS_F_NO_COOKIE 0x08 /* socket cookie unknown */
#define SS_F_TCP_INFO 0x10  /* close: bytes/state fields are valid */
#define SS_F_ASYNC 0x20	    /* raised outside the owner (softirq), attributed via owner map */
#define SS_F_REUSEADDR 0x40 /* the event's socket has SO_REUSEADDR */
#define SS_F_REUSEPORT 0x80 /* the event's socket has SO_REUSEPORT */
#define SS_F_FIN_RCVD 0x100 /* state: the peer's FIN had arrived (SOCK_DONE) */
#define SS_F_RESET 0x200    /* state: to CLOSE with an error (reset, timeout) */
#define SS_F_IMPLICIT 0x400 /* bind: the kernel chose the port (UDP sendto) */
#define SS_F_V6ONLY 0x800   /* an AF_INET6 socket with IPV6_V6ONLY (skc_ipv6only) */

/* Address families and protocols, as the kernel numbers them. */
#define SS_AF_INET 2
#define SS_AF_INET6 10
#define SS_PROTO_TCP 6
#define SS_PROTO_UDP 17

/*
 * Socket states (ss_sockinfo.state, ss_state_info, ss_close_info.state) as
 * the kernel numbers them (include/net/tcp_states.h). Userspace uses these;
 * the BPF programs use vmlinux.h's enum, and the asserts below, compiled on
 * the BPF side, check that both agree. UDP sockets carry two of them, as ss
 * reads them: SS_TCP_ESTABLISHED connected, SS_TCP_CLOSE unconnected.
 */
#define SS_TCP_ESTABLISHED 1
#define SS_TCP_SYN_SENT 2
#define SS_TCP_SYN_RECV 3
#define SS_TCP_FIN_WAIT1 4
#define SS_TCP_FIN_WAIT2 5
#define SS_TCP_TIME_WAIT 6
#define SS_TCP_CLOSE 7
#define SS_TCP_CLOSE_WAIT 8
#define SS_TCP_LAST_ACK 9
#define SS_TCP_LISTEN 10
#define SS_TCP_CLOSING 11
#define SS_TCP_NEW_SYN_RECV 12
#define SS_TCP_BOUND_INACTIVE 13
#define SS_TCP_MAX_STATES 14

#ifdef __VMLINUX_H__
_Static_assert(SS_TCP_ESTABLISHED == TCP_ESTABLISHED, "TCP_ESTABLISHED");
_Static_assert(SS_TCP_SYN_SENT == TCP_SYN_SENT, "TCP_SYN_SENT");
_Static_assert(SS_TCP_SYN_RECV == TCP_SYN_RECV, "TCP_SYN_RECV");
_Static_assert(SS_TCP_FIN_WAIT1 == TCP_FIN_WAIT1, "TCP_FIN_WAIT1");
_Static_assert(SS_TCP_FIN_WAIT2 == TCP_FIN_WAIT2, "TCP_FIN_WAIT2");
_Static_assert(SS_TCP_TIME_WAIT == TCP_TIME_WAIT, "TCP_TIME_WAIT");
_Static_assert(SS_TCP_CLOSE == TCP_CLOSE, "TCP_CLOSE");
_Static_assert(SS_TCP_CLOSE_WAIT == TCP_CLOSE_WAIT, "TCP_CLOSE_WAIT");
_Static_assert(SS_TCP_LAST_ACK == TCP_LAST_ACK, "TCP_LAST_ACK");
_Static_assert(SS_TCP_LISTEN == TCP_LISTEN, "TCP_LISTEN");
_Static_assert(SS_TCP_CLOSING == TCP_CLOSING, "TCP_CLOSING");
_Static_assert(SS_TCP_NEW_SYN_RECV == TCP_NEW_SYN_RECV, "TCP_NEW_SYN_RECV");
_Static_assert(SS_TCP_BOUND_INACTIVE == TCP_BOUND_INACTIVE, "TCP_BOUND_INACTIVE");
_Static_assert(SS_TCP_MAX_STATES == TCP_MAX_STATES, "TCP_MAX_STATES");
#endif

struct ss_hdr {
	__u16 type;    /* SS_EV_* */
	__u16 size;    /* size of the whole record, bytes */
	__u16 version; /* SS_ABI_VERSION */
	__u16 flags;   /* SS_F_* */
};

/* Per-event payloads; which member is valid depends on hdr.type. */
struct ss_socket_info {
	__u32 type;	/* SOCK_STREAM, SOCK_DGRAM, ... */
	__u32 protocol; /* as passed to socket(), resolved by the kernel */
};

struct ss_listen_info {
	__u32 backlog;
	__u32 _pad;
};

struct ss_connect_info {
	__u64 latency_ns; /* CONNECT_DONE: from the connect() call to the outcome */
	__u16 port_lo;	  /* on EADDRNOTAVAIL: net.ipv4.ip_local_port_range */
	__u16 port_hi;
	__u32 _pad;
};

struct ss_bind_info {
	__u32 prot_sock; /* on EACCES: net.ipv4.ip_unprivileged_port_start */
	__u32 _pad;
};

struct ss_close_info {
	__u64 duration_ns;    /* lifetime: creation (or first sight) to release */
	__u64 bytes_sent;     /* TCP: data bytes sent (retransmissions included) */
	__u64 bytes_received; /* TCP: data bytes received */
	__u32 state;	      /* TCP state at release (SS_TCP_*) */
	__u32 _pad;
};

struct ss_state_info {
	__u32 old_state;
	__u32 new_state;
};

struct ss_fork_info {
	__u32 parent; /* tgid of the parent process */
	__u32 _pad;
};

struct ss_event {
	struct ss_hdr hdr;
	__u64 ts_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cookie; /* socket cookie: ties one socket's events together */
	__u64 cgroup_id;
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 netns;  /* network namespace inode number */
	__s32 err;    /* 0, or the positive errno of a failure */
	__u16 family; /* SS_AF_INET / SS_AF_INET6 */
	__u16 proto;  /* SS_PROTO_TCP / SS_PROTO_UDP */
	__u16 lport;  /* host byte order */
	__u16 rport;  /* host byte order */
	__u32 _pad0;
	/* IPv4 in the first 4 bytes (network order); IPv6 as 16 bytes. The
	 * form of each address follows addr_family below, not the socket
	 * family: a bind of an AF_INET6 socket may carry an AF_INET request.
	 */
	__u8 laddr[SS_ADDR_LEN];
	__u8 raddr[SS_ADDR_LEN];
	__u16 laddr_family;
	__u16 raddr_family;
	__u32 _pad1;
	char comm[SS_COMM_LEN];
	union {
		struct ss_socket_info socket;
		struct ss_listen_info listen;
		struct ss_connect_info connect;
		struct ss_close_info close;
		struct ss_state_info state;
		struct ss_bind_info bind;
		struct ss_fork_info fork;
		__u64 _raw[4];
	} u;
};

_Static_assert(sizeof(struct ss_hdr) == 8, "ss_hdr size");
_Static_assert(sizeof(struct ss_close_info) == 32, "ss_close_info size");
_Static_assert(sizeof(struct ss_event) == 152, "ss_event size");
_Static_assert(__builtin_offsetof(struct ss_event, ts_ns) == 8, "ts_ns");
_Static_assert(__builtin_offsetof(struct ss_event, laddr) == 64, "laddr");
_Static_assert(__builtin_offsetof(struct ss_event, comm) == 104, "comm");
_Static_assert(__builtin_offsetof(struct ss_event, u) == 120, "u");

/*
 * SS_EV_PROC: what must be read while the process exists (a process that
 * binds and exits at once is gone before userspace could read /proc). The
 * process is (pid, start_ns): start_ns is the group leader's
 * start_boottime, the clock /proc/PID/stat's starttime counts in ticks, so
 * a record and a /proc read can be matched and a recycled pid told apart.
 * exe is the path of mm->exe_file as its mounts show it, written from the
 * end of exe[] backwards: it starts at exe[exe_off] and ends with the NUL at
 * exe[SS_EXE_LEN - 1] (a truncated path keeps its last components); cmdline holds cmdline_len bytes of the argument area, NULs between the
 * arguments (not terminated). hdr.flags: SS_PF_*.
 */
#define SS_EXE_LEN 256
#define SS_CMDLINE_LEN 256

#define SS_PF_EXE_TRUNC 0x01	 /* exe: the path was deeper or longer than the record */
#define SS_PF_CMDLINE_TRUNC 0x02 /* cmdline: the arguments were longer */
#define SS_PF_NO_EXE 0x04	 /* no executable (kernel thread, exiting mm) */
#define SS_PF_EXEC 0x08		 /* re-emitted after an exec */

struct ss_proc {
	struct ss_hdr hdr;
	__u64 ts_ns;	/* CLOCK_MONOTONIC */
	__u64 start_ns; /* group leader's start_boottime (CLOCK_BOOTTIME) */
	__u32 pid;	/* tgid */
	__u32 ppid;	/* real_parent's tgid */
	__u32 nspid;	/* the pid in the process's own pid namespace */
	__u32 pidns;	/* that namespace's inode number */
	__u16 cmdline_len;
	__u16 exe_off;
	__u32 _pad1;
	char pcomm[SS_COMM_LEN]; /* the parent's comm */
	char exe[SS_EXE_LEN];
	char cmdline[SS_CMDLINE_LEN];
};

_Static_assert(sizeof(struct ss_proc) == 576, "ss_proc size");
_Static_assert(__builtin_offsetof(struct ss_proc, exe) == 64, "ss_proc exe");
_Static_assert(__builtin_offsetof(struct ss_proc, cmdline) == 320, "ss_proc cmdline");

/*
 * One row of a kernel snapshot (BPF iterators -> seq file -> userspace).
 * SS_REC_HOLDER: a process (pid/uid/comm) holds the socket through fd.
 * SS_REC_SOCK: the socket itself, from the TCP/UDP tables of one netns
 * (TIME_WAIT included; uid is the socket's owner uid, 0 for TIME_WAIT).
 */
struct ss_sockinfo {
	struct ss_hdr hdr;
	__u64 cookie;
	__u32 netns;
	__u32 pid;
	__u32 uid;
	__u32 fd;
	__u16 family;
	__u16 proto;
	__u16 lport;
	__u16 rport;
	__u8 state; /* SS_TCP_* (UDP: SS_TCP_CLOSE unconnected, ESTABLISHED connected) */
	__u8 reuseaddr;
	__u8 reuseport;
	__u8 v6only;
	__u32 _pad;
	__u8 laddr[SS_ADDR_LEN];
	__u8 raddr[SS_ADDR_LEN];
	char comm[SS_COMM_LEN];
};

_Static_assert(sizeof(struct ss_sockinfo) == 96, "ss_sockinfo size");

/*
 * An address prefix for the filter. An event address matches when
 * (addr & mask) == net, in the address's own form: an IPv4 address against
 * net4/mask4, an IPv6 one against net/mask. An IPv4 prefix also matches the
 * v4-mapped IPv6 addresses (::ffff:a.b.c.d) it covers: its net/mask are its
 * v4-mapped form. An IPv6 prefix never matches an IPv4 address.
 */
struct ss_addr_filter {
	__u8 net[SS_ADDR_LEN];	/* IPv6 form, network order */
	__u8 mask[SS_ADDR_LEN]; /* IPv6 form */
	__u32 net4;		/* IPv4 form, network order (IPv6 prefix: 0) */
	__u32 mask4;
	__u16 family; /* 0 = off; SS_AF_INET or SS_AF_INET6: the prefix's */
	__u16 has_v4; /* 1 = net4/mask4 are valid (an IPv4 prefix) */
	__u32 _pad;
};

_Static_assert(sizeof(struct ss_addr_filter) == 48, "ss_addr_filter size");

/*
 * Kernel-side configuration. Userspace fills these into the BPF object's
 * read-only data before load, so disabled filters cost a constant branch.
 */
struct ss_filter {
	__u32 events;		/* mask of SS_EV_BIT(); 0 = all */
	__u32 pid;		/* 0 = any */
	__u16 port;		/* 0 = any; matches local or remote */
	__u16 proto;		/* 0 = any */
	__u16 family;		/* 0 = any */
	__u16 failed_only;	/* 1 = only records with err != 0 */
	char comm[SS_COMM_LEN]; /* "" = any; exact match on the owner's comm */
	__u32 has_comm;
	__u32 _pad;
	/*
	 * The owner's cgroup: cgroup_id (the directory's inode on cgroup2)
	 * and everything below it, tested as "the ancestor at cgroup_level
	 * is cgroup_id". 0 = any.
	 */
	__u64 cgroup_id;
	__u32 cgroup_level; /* cgroup_id's depth below the v2 root (root: 0) */
	__u32 uid;
	__u32 has_uid; /* 1 = only events of processes with this uid */
	__u32 netns;   /* 0 = any; network namespace inode */
	__u16 lport;   /* 0 = any */
	__u16 rport;   /* 0 = any */
	__u32 _pad2;
	struct ss_addr_filter laddr; /* the local address in a prefix */
	struct ss_addr_filter raddr; /* the remote address in a prefix */
};

_Static_assert(sizeof(struct ss_filter) == 168, "ss_filter size");
_Static_assert(__builtin_offsetof(struct ss_filter, cgroup_id) == 40, "ss_filter cgroup_id");
_Static_assert(__builtin_offsetof(struct ss_filter, laddr) == 72, "ss_filter laddr");

#endif /* SOCKSCOPE_ABI_H */
