// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay: sockscope's userspace cost per event, without a kernel.
 *
 *   replay N [--text] [--no-engine] [--identity] [--daemon [--sink SPEC]...]
 *            [--out FILE]
 *
 * Builds N struct ss_event records -- a realistic mix of what the bench
 * workloads produce (conn cycles over IPv4 and IPv6, bind cycles, UDP
 * cycles, a few failures and hostile process names) -- each process's
 * SS_EV_PROC record before its first one, as bpf/identity.bpf.c sends them
 * (so events carry exe, cmdline, ppid, pcomm, nspid and pidns as they do
 * live), and then, in replay_run() only, pushes each through sockscope's
 * own event path: runtime__feed(), the handler the ring buffer calls
 * (event_decode, the process cache, holders from the engine for a close,
 * engine__apply, the event mask, the explanation source), into trace's
 * formatter consumer (format_event, output_append into a 256 KiB buffer
 * written to /dev/null with one write per batch).
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
 *
 * --daemon: the same records through the daemon's consumers instead
 * (cmd/daemon.c daemon_replay(): the counters, the SQLite store in a
 * temporary directory and one file: sink there, with the daemon's
 * defaults), flushed and closed in replay_run(); the directory is removed.
 * --sink SPEC adds a sink (as the daemon's --sink): the line each event
 * is formatted into once, whatever the number of sinks, goes to each.
 *
 * --out FILE: the lines go to FILE (the daemon: its file sink writes
 * FILE, never rotated, and its database is FILE.db). The clock is fixed, so the same N gives the same
 * bytes (the daemon's own clock excepted): output before and after a change
 * can be compared byte for byte.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config.h"
#include "cmd/daemon.h"
#include "cmd/trace.h"
#include "kernel/cgroups.h"
#include "runtime/runtime.h"
#include "sockscope_abi.h"

#define OUTPUT_BUF (256u << 10) /* as cmd/trace.c */

/* The records, packed as the ring buffer hands them over (each hdr.size
 * long; every size is a multiple of 8). */
struct builder {
	char *buf;
	size_t len, room;
	size_t n, cap; /* events (struct ss_event), not counting SS_EV_PROC */
	uint64_t ts;
	uint64_t cookie;
	unsigned int port;
	unsigned int cycle;
	uint32_t seen[16]; /* pids whose SS_EV_PROC went out */
};

/* A process of the mix and what its SS_EV_PROC record says. */
struct who {
	uint32_t pid;
	const char *comm;
	uint32_t ppid, nspid, pidns;
	const char *pcomm;
	const char *exe;
	const char *args; /* the argument area: NULs between arguments */
	size_t args_len;
};

#define ARGS(s) s, sizeof(s) - 1
#define INIT_PIDNS 4026531836u

static void *put(struct builder *b, size_t size)
{
	void *p;

	if (b->len + size > b->room)
		return NULL;
	p = b->buf + b->len;
	memset(p, 0, size);
	b->len += size;
	return p;
}

/* As bpf/identity.bpf.c writes it: once per process, before its first
 * record; exe from the end of exe[] backwards. */
static void proc_rec(struct builder *b, const struct who *w)
{
	size_t elen = strlen(w->exe), i;
	struct ss_proc *r;

	for (i = 0; i < sizeof(b->seen) / sizeof(b->seen[0]) && b->seen[i]; i++)
		if (b->seen[i] == w->pid)
			return;
	if (i == sizeof(b->seen) / sizeof(b->seen[0]) || !(r = put(b, sizeof(*r))))
		return;
	b->seen[i] = w->pid;
	r->hdr.type = SS_EV_PROC;
	r->hdr.size = sizeof(*r);
	r->hdr.version = SS_ABI_VERSION;
	r->ts_ns = b->ts;
	r->start_ns = 1000000000ull; /* long before the first record */
	r->pid = w->pid;
	r->ppid = w->ppid;
	r->nspid = w->nspid;
	r->pidns = w->pidns;
	snprintf(r->pcomm, sizeof(r->pcomm), "%s", w->pcomm);
	r->exe_off = (__u16)(SS_EXE_LEN - 1 - elen);
	memcpy(r->exe + r->exe_off, w->exe, elen);
	r->cmdline_len = (__u16)w->args_len;
	memcpy(r->cmdline, w->args, w->args_len);
}

static struct ss_event *next(struct builder *b, unsigned int type, const struct who *w,
			     uint64_t cookie, int v6, unsigned int proto)
{
	struct ss_event *e;

	if (b->n == b->cap)
		return NULL;
	proc_rec(b, w);
	if (!(e = put(b, sizeof(*e))))
		return NULL;
	b->n++;
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
 * EADDRINUSE bind / refused connect); one process name in 16 needs escaping,
 * as do its executable and its arguments. */
static size_t build(struct builder *b)
{
	static const struct who plain[] = {
		{4101, "conn_cycle", 4000, 4101, INIT_PIDNS, "python3",
		 "/usr/lib/sockscope/bench/conn_cycle",
		 ARGS("conn_cycle\0--workers\0"
		      "1\0--secs\0"
		      "5\0")},
		{4102, "nginx", 4100, 7, 4026532301u, "nginx", "/usr/sbin/nginx",
		 ARGS("nginx: worker process\0\0\0\0\0\0")},
		{4103, "python3", 1, 4103, INIT_PIDNS, "systemd", "/usr/bin/python3.11",
		 ARGS("python3\0-m\0http.server\0"
		      "8000\0")},
		{4104, "bind_cycle", 4000, 4104, INIT_PIDNS, "python3",
		 "/usr/lib/sockscope/bench/bind_cycle",
		 ARGS("bind_cycle\0--workers\0"
		      "1\0")},
		{4105, "udp_cycle", 4000, 4105, INIT_PIDNS, "python3",
		 "/usr/lib/sockscope/bench/udp_cycle",
		 ARGS("udp_cycle\0--workers\0"
		      "1\0")},
		{4106, "curl", 3990, 4106, INIT_PIDNS, "bash", "/usr/bin/curl",
		 ARGS("curl\0-s\0-o\0/dev/null\0http://127.0.0.1:20005/\0")},
	};
	static const struct who odd = {
		4107,
		"web \"srv\"\xc3\xa9\x01",
		1,
		12,
		4026532455u,
		"containerd-shim",
		"/opt/web \"srv\"/bin/srv\xc3\xa9",
		ARGS("web \"srv\"\0--root=/srv/\xe2\x82\xac\0--tag=\x01\x7f\xff\0")};

	while (b->n < b->cap) {
		unsigned int k = b->cycle++ % 16;
		const struct who *w = k == 15 ? &odd : &plain[b->cycle % 6];

		if (k < 6)
			conn_cycle(b, w, 0, 20000 + k);
		else if (k < 8)
			conn_cycle(b, w, 1, 20100 + k);
		else if (k < 12)
			bind_cycle(b, w, 0);
		else if (k < 15)
			udp_cycle(b, w, 30000);
		else if (b->cycle % 32 < 16)
			bind_cycle(b, w, 1);
		else
			refused(b, w);
	}
	return b->n;
}

struct replay {
	const char *recs; /* the records, packed */
	size_t len;
	bool json, use_engine, daemon;
	const char *out; /* NULL: /dev/null (the daemon: a file in tmp) */
	char tmp[64];	 /* the daemon's directory: its database and file sink */
	const char *sinks[CONFIG_MAX_SINKS - 1]; /* --sink: more of them */
	unsigned int nr_sinks;
	uint64_t events; /* written by trace's consumer */
};

static int feed(struct runtime *rt, void *arg)
{
	const struct replay *r = arg;
	int rc = 0;

	for (size_t off = 0; off < r->len && !rc;) {
		const struct ss_hdr *h = (const void *)(r->recs + off);

		rc = runtime__feed(rt, (void *)h, h->size);
		off += h->size;
	}
	return rc;
}

/* A fixed clock: the same records give the same lines, run after run. */
#define MONO_TO_REAL_NS 1764000000000000000ll

static int run_trace(struct replay *r)
{
	static struct trace_out t;
	struct rt_opts ro = {.engine = r->use_engine, .history = 10000}; /* as trace */
	struct runtime *rt = NULL;
	struct rt_consumer c;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	if (output_open(&t.out, r->out ? r->out : "/dev/null", OUTPUT_BUF, NULL, 0))
		return -1;
	formatter_init(&t.fmt, r->json);
	timefmt_init_offset(&t.fmt.tf, MONO_TO_REAL_NS);
	trace_out__consumer(&t, &c);
	if (runtime__new(&rt, &ro, NULL, 0) || runtime__add_consumer(rt, &c))
		rc = -1;
	if (!rc)
		rc = feed(rt, r);
	if (output_close(&t.out) || t.out_err)
		rc = -1;
	runtime__free(rt);
	r->events = t.events;
	return rc;
}

/* The daemon's defaults, with its database and one file sink in r->tmp. */
static int run_daemon(struct replay *r)
{
	struct daemon_config cfg;

	config_defaults(&cfg);
	if (r->out) {
		snprintf(cfg.db, sizeof(cfg.db), "%s.db", r->out);
		snprintf(cfg.sinks[0], sizeof(cfg.sinks[0]), "file:%s?max_bytes=0", r->out);
	} else {
		snprintf(cfg.db, sizeof(cfg.db), "%s/sockscope.db", r->tmp);
		snprintf(cfg.sinks[0], sizeof(cfg.sinks[0]), "file:%s/events.ndjson", r->tmp);
	}
	cfg.nr_sinks = 1;
	for (unsigned int i = 0; i < r->nr_sinks; i++)
		snprintf(cfg.sinks[cfg.nr_sinks++], sizeof(cfg.sinks[0]), "%s", r->sinks[i]);
	return daemon_replay(&cfg, feed, r) ? -1 : 0;
}

__attribute__((noinline)) int replay_run(struct replay *r)
{
	return r->daemon ? run_daemon(r) : run_trace(r);
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

/* Everything in the daemon's directory (rotated sink files, the SQLite
 * journal), then the directory. */
static void remove_tmp(const char *dir)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			unlink(path);
	closedir(d);
	rmdir(dir);
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s N [--text] [--no-engine] [--identity] [--daemon [--sink SPEC]...] "
		"[--out FILE]\n",
		argv0);
	return 2;
}

int main(int argc, char **argv)
{
	struct replay r = {.json = true, .use_engine = true};
	struct builder b = {.ts = 1000000000000ull, .cookie = 1000, .port = 40000};
	struct cgroups *cg = NULL;
	int rc;
	char *end;

	if (argc < 2)
		return usage(argv[0]);
	b.cap = strtoull(argv[1], &end, 10);
	if (*end || !argv[1][0]) {
		fprintf(stderr, "replay: bad N '%s'\n", argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--text")) {
			r.json = false;
		} else if (!strcmp(argv[i], "--no-engine")) {
			r.use_engine = false;
		} else if (!strcmp(argv[i], "--daemon")) {
			r.daemon = true;
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			r.out = argv[++i];
		} else if (!strcmp(argv[i], "--sink") && i + 1 < argc &&
			   r.nr_sinks < sizeof(r.sinks) / sizeof(r.sinks[0])) {
			r.sinks[r.nr_sinks++] = argv[++i];
		} else if (!strcmp(argv[i], "--identity")) {
			if (!cg && !(cg = identity_cache())) {
				fprintf(stderr, "replay: cgroup cache: out of memory\n");
				return 1;
			}
		} else {
			fprintf(stderr, "replay: unknown option '%s'\n", argv[i]);
			return usage(argv[0]);
		}
	}
	if ((r.daemon && (!r.json || !r.use_engine)) || (r.nr_sinks && !r.daemon)) {
		fprintf(stderr, "replay: --daemon is JSON with the engine; --sink needs it\n");
		return 2;
	}
	/* one SS_EV_PROC per process of the mix, at most 16 */
	b.room = b.cap * sizeof(struct ss_event) + 16 * sizeof(struct ss_proc);
	if (b.cap && !(b.buf = malloc(b.room))) {
		perror("replay: malloc");
		return 1;
	}
	build(&b);
	r.recs = b.buf;
	r.len = b.len;
	snprintf(r.tmp, sizeof(r.tmp), "/tmp/sockscope-replay.XXXXXX");
	if (r.daemon && !mkdtemp(r.tmp)) {
		perror("replay: mkdtemp");
		return 1;
	}
	rc = replay_run(&r);
	if (r.daemon)
		remove_tmp(r.tmp);
	if (rc) {
		fprintf(stderr, "replay: output failed\n");
		return 1;
	}
	printf("{\"records\":%zu,\"events_written\":%llu,\"mode\":\"%s\","
	       "\"engine\":%s,\"daemon\":%s}\n",
	       b.n, (unsigned long long)r.events, r.json ? "json" : "text",
	       r.use_engine ? "true" : "false", r.daemon ? "true" : "false");
	free(b.buf);
	cgroups__close(cg);
	return 0;
}
