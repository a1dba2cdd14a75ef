/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One socket with its holders, as 'ports' and 'who' print it. */
#ifndef SS_PORTROW_H
#define SS_PORTROW_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addrfmt.h"
#include "lib/sbuf.h"
#include "sockscope_abi.h"
#include "lib/timefmt.h"
#include "model/cgroup_ident.h"

struct holder {
	uint32_t pid;
	uint32_t uid;
	int32_t fd;    /* -1: not known */
	uint32_t slot; /* engine: index in the process's socket list */
	char comm[SS_COMM_LEN];
	uint64_t cgroup_id; /* the process's cgroup (v2 id), 0: not known */
};

enum row_change {
	ROW_SAME = 0,
	ROW_NEW,
	ROW_CHANGED,
	ROW_GONE,
};

struct port_row {
	const struct ss_sockinfo *sock;
	const struct holder *holders;
	size_t nr_holders;
	uint64_t since_real_ns; /* 0: not known */
	enum row_change change;
};

/* "LISTEN", "ESTABLISHED", ... for TCP; "UNCONN"/"ESTAB" for UDP (as ss). */
const char *sock_state_name(unsigned int proto, unsigned int state);
/* A bound-and-waiting socket: TCP LISTEN or an unconnected UDP socket. */
bool sock_is_listening(const struct ss_sockinfo *s);

/* The row's identity: its first holder's with a known cgroup, or NULL. */
const struct cg_ident *portrow_ident(const struct port_row *r);
void portrow_header(struct sbuf *sb);
void portrow_text(struct sbuf *sb, const struct port_row *r);
void portrow_json(struct sbuf *sb, const struct port_row *r, struct timefmt *tf);
/* "ADDR:PORT" / "[ADDR]:PORT" */
void portrow_addr(struct sbuf *sb, unsigned int family, const __u8 *addr, unsigned int port);
/*
 * A local end as ss prints it: an IPv6 wildcard that also holds the IPv4
 * port (IPV6_V6ONLY off) is "*:PORT", a v6-only one "[::]:PORT"; anything
 * else as portrow_addr().
 */
void portrow_local(struct sbuf *sb, unsigned int family, const __u8 *addr, unsigned int port,
		   bool v6only);
/* The same into room the caller made (lib/sbuf.h): at most
 * PORTROW_ADDR_MAX bytes; each returns the end. */
#define PORTROW_ADDR_MAX (RAW_ADDR_MAX + 3 + 10)
char *raw_portrow_addr(char *p, unsigned int family, const __u8 *addr, unsigned int port);
char *raw_portrow_local(char *p, unsigned int family, const __u8 *addr, unsigned int port,
			bool v6only);

#endif
