/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cmocka needs these before its header; and the records tests build. */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "sockscope_abi.h"

/* A test run between the file's own setup() and teardown(). */
#define tu_test(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* A fresh directory $TMPDIR/sockscope-<what>-XXXXXX (/tmp without TMPDIR). */
static inline int tu_mkdtemp(char *buf, size_t len, const char *what)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/sockscope-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", what);
	return mkdtemp(buf) ? 0 : -1;
}

static inline int tu_rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(p);
}

/* Removes the tree p, as a test's teardown does with its directory. */
static inline int tu_rm_rf(const char *p)
{
	return nftw(p, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A record as decode hands it on: a valid header, TCP over IPv4, the rest 0. */
static inline struct ss_event tu_record(unsigned int type)
{
	struct ss_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = sizeof(e);
	e.hdr.version = SS_ABI_VERSION;
	e.family = SS_AF_INET;
	e.proto = SS_PROTO_TCP;
	return e;
}

/* The record the output tests print: nginx (812/813, uid 33) in the init netns.
 */
static inline struct ss_event tu_nginx_record(unsigned int type)
{
	struct ss_event e = tu_record(type);

	e.ts_ns = 123456789;
	e.cookie = 4242;
	e.cgroup_id = 7;
	e.pid = 812;
	e.tid = 813;
	e.uid = 33;
	e.netns = 4026531840u;
	strcpy(e.comm, "nginx");
	return e;
}

/* ip (af: AF_INET or AF_INET6) into addr; returns its SS_AF_* family. */
static inline __u16 tu_addr(__u8 *addr, int af, const char *ip)
{
	inet_pton(af, ip, addr);
	return af == AF_INET ? SS_AF_INET : SS_AF_INET6;
}

static inline void tu_set_local(struct ss_event *e, int af, const char *ip, unsigned int port)
{
	e->laddr_family = tu_addr(e->laddr, af, ip);
	e->lport = (__u16)port;
	e->hdr.flags |= SS_F_LOCAL;
}

static inline void tu_set_remote(struct ss_event *e, int af, const char *ip, unsigned int port)
{
	e->raddr_family = tu_addr(e->raddr, af, ip);
	e->rport = (__u16)port;
	e->hdr.flags |= SS_F_REMOTE;
}

#endif
