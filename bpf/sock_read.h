/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a socket's addresses, shared by the tracing and snapshot objects. */
#ifndef SS_SOCK_READ_H
#define SS_SOCK_READ_H

/*
 * Local and remote address of a sock_common (full, TIME_WAIT or request
 * socket): IPv4 into the first 4 bytes, IPv6 as 16. Works on trusted BTF
 * pointers and on addresses read with bpf_probe_read alike.
 */
static __always_inline void read_addrs(struct sock_common *skc, __u16 family,
				       __u8 *laddr, __u8 *raddr)
{
	if (family == SS_AF_INET) {
		bpf_core_read(laddr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(raddr, 4, &skc->skc_daddr);
	} else {
		bpf_core_read(laddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(raddr, 16, &skc->skc_v6_daddr);
	}
}

#endif
