// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay: sockscope's userspace cost per event, without a kernel.
 *
 *   replay N [--text] [--no-engine] [--identity]
 *
 * Builds N struct ss_event records -- a realistic mix of what the bench
 * workloads produce (conn cycles over IPv4 and IPv6, bind cycles, UDP
 * cycles, a few failures and hostile process names) -- and then, in
 * replay_run() only, pushes each through sockscope's own event path:
 * runtime__feed(), the handler the ring buffer calls (event_decode, holders
 * from the engine for a close, engine__apply, the event mask, the
 * explanation source), into trace's formatter consumer (format_event,
 * output_append into a 256 KiB buffer written to /dev/null with one write per
 * batch).
 *
 * Measured under callgrind with --toggle-collect=replay_run, so building
 * the records is not counted:
 *   instructions/event = (Ir(N) - Ir(0)) / N
 * Explanations that need a kernel snapshot are not taken (snapshot NULL),
 * as when sockscope could not open the snapshot iterators.
 *
 * --identity: the records carry four cgroup ids (a docker scope, a
 * kubepods container, a service, the root), resolved through the real
 * cgroup cache (kernel/cgroups.c), filled before replay_run() as a running
 * sockscope has it after the first event of each: the per-event cost of
 * the identity (lookup, JSON fields) once cached.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/trace.h"
#include "kernel/cgroups.h"
#include "runtime/runtime.h"
#include "sockscope_abi.h"

#define OUTPUT_BUF (256u << 10) /* as cmd/trace.c */

struct builder {
	struct ss_event *ev;
	size_t n, cap;
	uint64_t ts;
	uint64_t cookie;
	unsigned int port;
	unsigned int cycle;
};

struct who {
	uint32_t pid;
	const char *comm;
};

static struct ss_event *next(struct builder *b, unsigned int type, const struct who *w,
			     uint64_t cookie, int v6, unsigned int proto)
{
	struct ss_event *e;

	if (b->n == b->cap)
		return NULL;
	e = &b->ev[b->n++];
	memset(e, 0, sizeof(*e));
	e->hdr.type = (__u16)type;
	e->hdr.size = sizeof(*e);
	e->hdr.version = SS_ABI_VERSION;
	b->ts += 1500; /* ~670k events/s: the second cache behaves as live */
	e->ts_ns = b->ts;
	e->cookie = cookie;
	e->cgroup_id = 1 + w->pid % 4;
	e->pid = w->pid;
	e->tid = w->pid;
	e->uid = 0;
	e->netns = 4026531833u;
	e->family = v6 ? SS_AF_INET6 : SS_AF_INET;
	e->proto = (__u16)proto;
	strncpy(e->comm, w->comm, sizeof(e->comm) - 1);
	return e;
}

static void set_addr(__u8 *dst, __u16 *fam, int v6)
{
	memset(dst, 0, SS_ADDR_LEN);
	if (v6) {
		dst[15] = 1; /* ::1 */
		*fam = SS_AF_INET6;
	} else {
		dst[0] = 127;
		dst[3] = 1;
		*fam = SS_AF_INET;
	}
}

/* One end of e (NULL: the buffer is full) at loopback:port. */
static void set_end(struct ss_event *e, __u8 *addr, __u16 *fam, __u16 *port, int v6, unsigned int p,
		    __u16 flag)
{
	set_addr(addr, fam, v6);
	*port = (__u16)p;
	e->hdr.flags |= flag;
}

static void local(struct ss_event *e, int v6, unsigned int port)
{
	if (e)
		set_end(e, e->laddr, &e->laddr_family, &e->lport, v6, port, SS_F_LOCAL);
}

static void remote(struct ss_event *e, int v6, unsigned int port)
{
	if (e)
		set_end(e, e->raddr, &e->raddr_family, &e->rport, v6, port, SS_F_REMOTE);
}

static void state(struct ss_event *e, unsigned int from, unsigned int to)
{
	if (!e)
		return;
	e->hdr.flags |= SS_F_ASYNC;
	e->u.state.old_state = from;
	e->u.state.new_state = to;
}

static void closed(struct ss_event *e, unsigned int tcp_state, int tcp)
{
	if (!e)
		return;
	e->u.close.duration_ns = 60000;
	if (tcp) {
		e->hdr.flags |= SS_F_TCP_INFO;
		e->u.close.state = tcp_state;
	}
}

/* The socket() record of a TCP or UDP socket. */
static struct ss_event *socket_ev(struct builder *b, const struct who *w, uint64_t cookie, int v6,
				  unsigned int proto)
{
	struct ss_event *e = next(b, SS_EV_SOCKET, w, cookie, v6, proto);

	if (e) {
		e->u.socket.type = proto == SS_PROTO_UDP ? 2 : 1;
		e->u.socket.protocol = proto;
	}
	return e;
}

/* A TCP state change; lport 0: the record has no local end. */
static void state_ev(struct builder *b, const struct who *w, uint64_t cookie, int v6,
		     unsigned int lport, unsigned int rport, unsigned int from, unsigned int to)
{
	struct ss_event *e = next(b, SS_EV_STATE, w, cookie, v6, SS_PROTO_TCP);

	if (lport)
		local(e, v6, lport);
	remote(e, v6, rport);
	state(e, from, to);
}

static unsigned int eport(struct builder *b)
{
	b->port = b->port >= 60999 ? 32768 : b->port + 1;
	return b->port;
}

/* What sockscope records for one conn cycle (12 events, as observed). */
static void conn_cycle(struct builder *b, const struct who *w, int v6, unsigned int lport)
{
	uint64_t c = ++b->cookie, s = ++b->cookie;
	unsigned int ep = eport(b);
	struct ss_event *e;

	socket_ev(b, w, c, v6, SS_PROTO_TCP);
	remote(next(b, SS_EV_CONNECT, w, c, v6, SS_PROTO_TCP), v6, lport);
	state_ev(b, w, c, v6, 0, lport, SS_TCP_CLOSE, SS_TCP_SYN_SENT);
	if ((e = next(b, SS_EV_CONNECT_DONE, w, c, v6, SS_PROTO_TCP))) {
		local(e, v6, ep);
		remote(e, v6, lport);
		e->hdr.flags |= SS_F_ASYNC;
		e->u.connect.latency_ns = 63545;
	}
	state_ev(b, w, c, v6, ep, lport, SS_TCP_SYN_SENT, SS_TCP_ESTABLISHED);
	state_ev(b, w, s, v6, lport, ep, SS_TCP_LISTEN, SS_TCP_SYN_RECV);
	state_ev(b, w, s, v6, lport, ep, SS_TCP_SYN_RECV, SS_TCP_ESTABLISHED);
	e = next(b, SS_EV_ACCEPT, w, s, v6, SS_PROTO_TCP);
	local(e, v6, lport);
	remote(e, v6, ep);
	e = next(b, SS_EV_CLOSE, w, s, v6, SS_PROTO_TCP);
	local(e, v6, lport);
	remote(e, v6, ep);
	closed(e, SS_TCP_ESTABLISHED, 1);
	state_ev(b, w, s, v6, 0, ep, SS_TCP_ESTABLISHED, SS_TCP_CLOSE);
	state_ev(b, w, c, v6, 0, lport, SS_TCP_ESTABLISHED, SS_TCP_CLOSE);
	e = next(b, SS_EV_CLOSE, w, c, v6, SS_PROTO_TCP);
	remote(e, v6, lport);
	closed(e, SS_TCP_CLOSE, 1);
}

static void bind_cycle(struct builder *b, const struct who *w, int fail)
{
	uint64_t c = ++b->cookie;
	unsigned int p = fail ? 8080 : eport(b);
	struct ss_event *e;

	socket_ev(b, w, c, 0, SS_PROTO_TCP);
	e = next(b, SS_EV_BIND, w, c, 0, SS_PROTO_TCP);
	local(e, 0, p);
	if (e && fail)
		e->err = EADDRINUSE;
	e = next(b, SS_EV_CLOSE, w, c, 0, SS_PROTO_TCP);
	if (!fail)
		local(e, 0, p);
	closed(e, SS_TCP_CLOSE, 1);
}

static void udp_cycle(struct builder *b, const struct who *w, unsigned int sink)
{
	uint64_t c = ++b->cookie;
	unsigned int p = eport(b);
	struct ss_event *e;

	socket_ev(b, w, c, 0, SS_PROTO_UDP);
	local(next(b, SS_EV_BIND, w, c, 0, SS_PROTO_UDP), 0, p);
	e = next(b, SS_EV_CONNECT, w, c, 0, SS_PROTO_UDP);
	local(e, 0, p);
	remote(e, 0, sink);
	if ((e = next(b, SS_EV_CONNECT_DONE, w, c, 0, SS_PROTO_UDP))) {
		local(e, 0, p);
		remote(e, 0, sink);
		e->u.connect.latency_ns = 6670;
	}
	e = next(b, SS_EV_CLOSE, w, c, 0, SS_PROTO_UDP);
	local(e, 0, p);
	remote(e, 0, sink);
	closed(e, 0, 0);
}

static void refused(struct builder *b, const struct who *w)
{
	uint64_t c = ++b->cookie;
	struct ss_event *e;

	socket_ev(b, w, c, 0, SS_PROTO_TCP);
	remote(next(b, SS_EV_CONNECT, w, c, 0, SS_PROTO_TCP), 0, 9);
	if ((e = next(b, SS_EV_CONNECT_DONE, w, c, 0, SS_PROTO_TCP))) {
		remote(e, 0, 9);
		e->err = ECONNREFUSED;
		e->u.connect.latency_ns = 40000;
	}
	e = next(b, SS_EV_CLOSE, w, c, 0, SS_PROTO_TCP);
	closed(e, SS_TCP_CLOSE, 1);
}

/* Per 16 cycles: 6 conn4, 2 conn6, 4 bind, 3 UDP, 1 failure (alternating
 * EADDRINUSE bind / refused connect); one process name in 16 needs escaping. */
static size_t build(struct ss_event *ev, size_t n)
{
	static const struct who plain[] = {
		{4101, "conn_cycle"}, {4102, "nginx"},	   {4103, "python3"},
		{4104, "bind_cycle"}, {4105, "udp_cycle"}, {4106, "curl"},
	};
	static const struct who odd = {4107, "web \"srv\"\xc3\xa9\x01"};
	struct builder b = {
		.ev = ev, .cap = n, .ts = 1000000000000ull, .cookie = 1000, .port = 40000};

	while (b.n < b.cap) {
		unsigned int k = b.cycle++ % 16;
		const struct who *w = k == 15 ? &odd : &plain[b.cycle % 6];

		if (k < 6)
			conn_cycle(&b, w, 0, 20000 + k);
		else if (k < 8)
			conn_cycle(&b, w, 1, 20100 + k);
		else if (k < 12)
			bind_cycle(&b, w, 0);
		else if (k < 15)
			udp_cycle(&b, w, 30000);
		else if (b.cycle % 32 < 16)
			bind_cycle(&b, w, 1);
		else
			refused(&b, w);
	}
	return b.n;
}

__attribute__((noinline)) int replay_run(const struct ss_event *ev, size_t n, bool json,
					 bool use_engine, uint64_t *events_out)
{
	static struct trace_out t;
	struct rt_opts ro = {.engine = use_engine}; /* every event type */
	struct runtime *rt = NULL;
	struct rt_consumer c;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	if (output_open(&t.out, "/dev/null", OUTPUT_BUF, NULL, 0))
		return -1;
	formatter_init(&t.fmt, json);
	trace_out__consumer(&t, &c);
	if (runtime__new(&rt, &ro, NULL, 0) || runtime__add_consumer(rt, &c))
		rc = -1;
	for (size_t i = 0; i < n && !rc; i++)
		rc = runtime__feed(rt, (void *)&ev[i], sizeof(ev[i]));
	if (output_close(&t.out) || t.out_err)
		rc = -1;
	runtime__free(rt);
	*events_out = t.events;
	return rc;
}

static const struct cg_ident *replay_ident(void *ctx, uint64_t id)
{
	return cgroups__ident(ctx, id);
}

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct cgroups *identity_cache(void)
{
	static const char *const paths[] = {
		"/",
		"/system.slice/docker-" ID64 ".scope",
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1e3b4a_2c1d_4e5f_"
		"8a9b_0c1d2e3f4a5b.slice/cri-containerd-" ID64 ".scope",
		"/system.slice/nginx.service",
	};
	struct cgroups *c;

	if (cgroups__open(&c, "/", NULL, 0))
		return NULL;
	for (uint64_t i = 0; i < 4; i++)
		if (cgroups__insert(c, 1 + i, paths[i])) {
			cgroups__close(c);
			return NULL;
		}
	cg_ident_set_resolver(replay_ident, c);
	return c;
}

int main(int argc, char **argv)
{
	struct cgroups *cg = NULL;
	bool json = true, use_engine = true;
	struct ss_event *ev = NULL;
	uint64_t written = 0;
	size_t n, built = 0;
	char *end;

	if (argc < 2) {
		fprintf(stderr, "usage: %s N [--text] [--no-engine]\n", argv[0]);
		return 2;
	}
	n = strtoull(argv[1], &end, 10);
	if (*end) {
		fprintf(stderr, "replay: bad N '%s'\n", argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--text")) {
			json = false;
		} else if (!strcmp(argv[i], "--no-engine")) {
			use_engine = false;
		} else if (!strcmp(argv[i], "--identity")) {
			if (!cg && !(cg = identity_cache())) {
				fprintf(stderr, "replay: cgroup cache: out of memory\n");
				return 1;
			}
		} else {
			fprintf(stderr, "replay: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (n) {
		ev = calloc(n, sizeof(*ev));
		if (!ev) {
			perror("replay: calloc");
			return 1;
		}
		built = build(ev, n);
	}
	if (replay_run(ev, built, json, use_engine, &written)) {
		fprintf(stderr, "replay: output failed\n");
		return 1;
	}
	printf("{\"records\":%zu,\"events_written\":%llu,\"mode\":\"%s\","
	       "\"engine\":%s}\n",
	       built, (unsigned long long)written, json ? "json" : "text",
	       use_engine ? "true" : "false");
	free(ev);
	cgroups__close(cg);
	return 0;
}
