// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 'sockscope daemon': the engine, always on. Every event goes to the log
 * sinks as one NDJSON line; closed sockets, failures (with their
 * explanation) and port ownership changes go to SQLite in batched
 * transactions; ports/who/history are answered over a UNIX socket, metrics
 * over HTTP on loopback. Nothing here waits on a disk or a collector: sinks
 * and the store queue in memory and are pumped between ring-buffer polls.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd/config.h"
#include "cmd/daemon.h"
#include "kernel/decode.h"
#include "model/engine.h"
#include "model/explainer.h"
#include "lib/exitcodes.h"
#include "output/format.h"
#include "output/metrics.h"
#include "lib/names.h"
#include "runtime/query.h"
#include "runtime/remote.h"
#include "lib/signals.h"
#include "output/sinks/sink.h"
#include "kernel/snapshot.h"
#include "output/store/store.h"
#include "kernel/system.h"
#include "kernel/tracer.h"

#define POLL_MS 100
#define FLUSH_NS (200ull * 1000000ull) /* store transactions at most this often */
#define RETAIN_NS (10ull * 1000000000ull)
/* Within one batch from the ring, sinks are pumped (and the store's clock
 * checked) every this many events: a batch can hold more JSON than a sink's
 * queue, and must not overflow it while the disk is idle. */
#define PUMP_EVERY 512

static volatile sig_atomic_t stop_signal, hup_signal;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_signal = 1;
	else
		stop_signal = sig;
}

struct daemon {
	struct daemon_config cfg;
	struct engine *en;
	struct tracer *tracer;
	struct snapshot_loader *snap;
	struct explainer explainer;
	struct store *store;
	struct sink *sinks[CONFIG_MAX_SINKS];
	unsigned int nr_sinks;
	struct metrics_server *metrics;
	struct remote_server *query;
	struct formatter fmt;
	struct holder holders[16];
	uint64_t lost_seen;
	uint64_t events[SS_EV_MAX];
	uint64_t failures_by_errno[134];
	uint64_t resyncs;
	uint64_t last_flush_ns;
	uint64_t last_retain_ns;
	unsigned int since_pump;
	char store_status[256];
	char line[8192];
};

/* ---- sinks ------------------------------------------------------------------- */

static void to_sinks(struct daemon *d, const char *line, size_t len, const char *msgid,
		     int severity, uint64_t ts_real_ns, uint32_t pid)
{
	for (unsigned int i = 0; i < d->nr_sinks; i++)
		sink__write(d->sinks[i], line, len, msgid, severity, (int64_t)ts_real_ns, pid);
}

static void pump_sinks(struct daemon *d)
{
	char status[512];
	uint64_t now = mono_now_ns();

	for (unsigned int i = 0; i < d->nr_sinks; i++) {
		status[0] = '\0';
		sink__pump(d->sinks[i], (int64_t)now, status, sizeof(status));
		if (status[0])
			fprintf(stderr, "sockscope: sink %s: %s\n", sink__name(d->sinks[i]), status);
	}
}

/* ---- the store ---------------------------------------------------------------- */

static void addr_text(char *out, size_t len, unsigned int family, const __u8 *addr)
{
	char buf[SS_ADDRSTRLEN];

	snprintf(out, len, "%s", addr_str(buf, family, addr));
}

static void copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, SS_COMM_LEN);
	dst[SS_COMM_LEN - 1] = '\0';
}

static void store_closed(struct daemon *d, const struct eng_sock *s, const struct ss_event *e,
			 size_t nr_holders)
{
	struct store_socket r;

	memset(&r, 0, sizeof(r));
	r.cookie = s->info.cookie;
	r.netns = s->info.netns;
	snprintf(r.proto, sizeof(r.proto), "%s", proto_name(s->info.proto) ?: "?");
	snprintf(r.family, sizeof(r.family), "%s", family_name(s->info.family) ?: "?");
	addr_text(r.laddr, sizeof(r.laddr), s->info.family, s->info.laddr);
	r.lport = s->info.lport;
	if (s->info.rport) {
		addr_text(r.raddr, sizeof(r.raddr), s->info.family, s->info.raddr);
		r.rport = s->info.rport;
	}
	snprintf(r.state, sizeof(r.state), "%s", sock_state_name(s->info.proto, s->info.state));
	if (s->created_ns)
		r.opened_ns = (int64_t)timefmt_real_ns(&d->fmt.tf, s->created_ns);
	r.closed_ns = (int64_t)timefmt_real_ns(&d->fmt.tf, e->ts_ns);
	if (e->hdr.flags & SS_F_TCP_INFO) {
		r.bytes_sent = e->u.close.bytes_sent;
		r.bytes_received = e->u.close.bytes_received;
	}
	for (size_t i = 0; i < nr_holders && i < 8; i++) {
		r.holders[i].pid = d->holders[i].pid;
		r.holders[i].uid = d->holders[i].uid;
		copy_comm(r.holders[i].comm, d->holders[i].comm);
	}
	r.nr_holders = nr_holders < 8 ? (uint32_t)nr_holders : 8;
	store__add_socket(d->store, &r);
}

static void store_failure(struct daemon *d, const struct ss_event *e,
			  const struct explanation *x)
{
	struct store_failure r;

	memset(&r, 0, sizeof(r));
	r.ts_ns = (int64_t)timefmt_real_ns(&d->fmt.tf, e->ts_ns);
	snprintf(r.event, sizeof(r.event), "%s", event_name(e->hdr.type));
	r.pid = e->pid;
	r.uid = e->uid;
	copy_comm(r.comm, e->comm);
	r.netns = e->netns;
	snprintf(r.proto, sizeof(r.proto), "%s", proto_name(e->proto) ?: "?");
	if (e->hdr.flags & SS_F_LOCAL) {
		addr_text(r.laddr, sizeof(r.laddr), e->laddr_family, e->laddr);
		r.lport = e->lport;
	}
	if (e->hdr.flags & SS_F_REMOTE) {
		addr_text(r.raddr, sizeof(r.raddr), e->raddr_family, e->raddr);
		r.rport = e->rport;
	}
	r.err = e->err;
	snprintf(r.error, sizeof(r.error), "%s", errno_name(e->err) ?: "");
	if (x) {
		snprintf(r.reason, sizeof(r.reason), "%s", x->reason);
		/* what explain_json() prints per holder */
		for (size_t i = 0; i < x->nr_holders && i < 8; i++) {
			const struct explain_holder *eh = &x->holders[i];
			struct store_failure_holder *h = &r.holders[i];

			h->has_process = eh->has_process;
			if (eh->has_process) {
				h->pid = eh->proc.pid;
				h->uid = eh->proc.uid;
				copy_comm(h->comm, eh->proc.comm);
			}
			h->cookie = eh->sock.cookie;
			snprintf(h->state, sizeof(h->state), "%s",
				 sock_state_name(eh->sock.proto, eh->sock.state));
			addr_text(h->laddr, sizeof(h->laddr), eh->sock.family, eh->sock.laddr);
			h->lport = eh->sock.lport;
			if (eh->sock.rport) {
				addr_text(h->raddr, sizeof(h->raddr), eh->sock.family,
					  eh->sock.raddr);
				h->rport = eh->sock.rport;
			}
			h->reuseaddr = eh->sock.reuseaddr;
			h->reuseport = eh->sock.reuseport;
			r.nr_holders++;
		}
	}
	store__add_failure(d->store, &r);
}

static void store_owner(struct daemon *d, const struct ss_event *e, const char *action)
{
	struct store_owner r;

	memset(&r, 0, sizeof(r));
	r.ts_ns = (int64_t)timefmt_real_ns(&d->fmt.tf, e->ts_ns);
	r.netns = e->netns;
	snprintf(r.proto, sizeof(r.proto), "%s", proto_name(e->proto) ?: "?");
	addr_text(r.laddr, sizeof(r.laddr), e->laddr_family, e->laddr);
	r.lport = e->lport;
	r.cookie = e->cookie;
	r.pid = e->pid;
	r.uid = e->uid;
	copy_comm(r.comm, e->comm);
	snprintf(r.action, sizeof(r.action), "%s", action);
	store__add_owner(d->store, &r);
}

/* ---- events ------------------------------------------------------------------- */

static void pump_sinks(struct daemon *d);
static void flush_store(struct daemon *d, uint64_t now, bool force);

static int on_event(void *ctx, const struct ss_event *e)
{
	struct event_extra extra = { 0 };
	struct daemon *d = ctx;
	struct eng_sock *before = NULL;
	bool failure;
	struct sbuf sb;

	if (e->hdr.type < SS_EV_MAX)
		d->events[e->hdr.type]++;
	if (e->hdr.type == SS_EV_CLOSE) {
		before = engine__find(d->en, e->cookie);
		if (before)
			extra.nr_holders = eng_sock__all_holders(before, d->holders, 16);
		/* the engine moves it to history: record its whole life first */
		if (before)
			store_closed(d, before, e, extra.nr_holders);
		if ((e->hdr.flags & SS_F_LOCAL) && e->lport)
			store_owner(d, e, "release");
	}
	engine__apply(d->en, e);
	if (e->hdr.type > SS_EV_STATE)
		return 0; /* holder bookkeeping */

	failure = e->err != 0;
	if (failure && e->err > 0 && e->err < (int)(sizeof(d->failures_by_errno) / sizeof(d->failures_by_errno[0])))
		d->failures_by_errno[e->err]++;
	extra.expl = explainer__explain(&d->explainer, d->en, e);
	extra.holders = d->holders;
	if (failure && (e->hdr.type == SS_EV_BIND || e->hdr.type == SS_EV_LISTEN ||
			e->hdr.type == SS_EV_CONNECT_DONE))
		store_failure(d, e, extra.expl);
	if (!failure && e->hdr.type == SS_EV_BIND)
		store_owner(d, e, "bind");
	if (!failure && e->hdr.type == SS_EV_LISTEN)
		store_owner(d, e, "listen");

	if (d->nr_sinks) {
		sbuf_init(&sb, d->line, sizeof(d->line));
		format_event(&d->fmt, &sb, e, &extra);
		to_sinks(d, sb.buf, sb.len, event_name(e->hdr.type), failure ? 4 : 6,
			 timefmt_real_ns(&d->fmt.tf, e->ts_ns),
			 (e->hdr.flags & SS_F_NO_OWNER) ? 0 : e->pid);
	}
	if (++d->since_pump >= PUMP_EVERY) {
		d->since_pump = 0;
		pump_sinks(d);
		flush_store(d, mono_now_ns(), false);
	}
	return 0;
}

static int resync(struct daemon *d)
{
	char err[256];
	int rc = engine_reseed(d->en, d->snap, err, sizeof(err));

	if (rc)
		fprintf(stderr, "sockscope: %s\n", err);
	return rc;
}

static void check_lost(struct daemon *d)
{
	uint64_t lost = tracer__lost(d->tracer), now;
	struct engine_stats st;
	struct sbuf sb;

	if (lost == d->lost_seen)
		return;
	now = timefmt_real_ns(&d->fmt.tf, mono_now_ns());
	sbuf_init(&sb, d->line, sizeof(d->line));
	format_lost(&d->fmt, &sb, lost - d->lost_seen, now, now);
	to_sinks(d, sb.buf, sb.len, "lost", 4, now, 0);
	fprintf(stderr, "sockscope: the kernel dropped %llu records; re-reading the socket tables\n",
		(unsigned long long)(lost - d->lost_seen));
	d->lost_seen = lost;
	if (!resync(d)) {
		d->resyncs++;
		engine__stats(d->en, &st);
		sbuf_init(&sb, d->line, sizeof(d->line));
		format_resync(&d->fmt, &sb, st.sockets, now);
		to_sinks(d, sb.buf, sb.len, "resync", 5, now, 0);
	}
}

/* ---- metrics ------------------------------------------------------------------- */

static void render_metrics(struct sbuf *sb, void *arg)
{
	struct daemon *d = arg;
	struct engine_stats es;
	struct store_stats ss;

	engine__stats(d->en, &es);
	metrics_family(sb, "sockscope_events_total", "counter", "Kernel events seen, by type.");
	for (unsigned int t = 1; t <= SS_EV_STATE; t++)
		metrics_sample(sb, "sockscope_events_total", "event", event_name(t), d->events[t]);
	metrics_family(sb, "sockscope_failures_total", "counter", "Failed bind/listen/connect, by errno.");
	for (unsigned int e = 1; e < sizeof(d->failures_by_errno) / sizeof(d->failures_by_errno[0]); e++)
		if (d->failures_by_errno[e])
			metrics_sample(sb, "sockscope_failures_total", "error",
				       errno_name((int)e) ?: "unknown", d->failures_by_errno[e]);
	metrics_family(sb, "sockscope_lost_records_total", "counter",
		       "Records the kernel could not deliver (ring buffer full).");
	metrics_sample(sb, "sockscope_lost_records_total", NULL, NULL, tracer__lost(d->tracer));
	metrics_family(sb, "sockscope_resyncs_total", "counter",
		       "Times the socket table was re-read from the kernel after losses.");
	metrics_sample(sb, "sockscope_resyncs_total", NULL, NULL, d->resyncs);
	metrics_family(sb, "sockscope_tracked_sockets", "gauge", "Sockets the engine tracks now.");
	metrics_sample(sb, "sockscope_tracked_sockets", NULL, NULL, es.sockets);
	metrics_family(sb, "sockscope_listening_ports", "gauge",
		       "Sockets in the kernel tables that wait for peers (TCP LISTEN, unconnected UDP).");
	metrics_sample(sb, "sockscope_listening_ports", NULL, NULL, es.listening);
	metrics_family(sb, "sockscope_sink_written_total", "counter", "Events a sink delivered.");
	for (unsigned int i = 0; i < d->nr_sinks; i++) {
		struct sink_stats st;

		sink__stats(d->sinks[i], &st);
		metrics_sample(sb, "sockscope_sink_written_total", "sink", sink__name(d->sinks[i]), st.written);
	}
	metrics_family(sb, "sockscope_sink_dropped_total", "counter",
		       "Events a sink could not deliver (its queue was full).");
	for (unsigned int i = 0; i < d->nr_sinks; i++) {
		struct sink_stats st;

		sink__stats(d->sinks[i], &st);
		metrics_sample(sb, "sockscope_sink_dropped_total", "sink", sink__name(d->sinks[i]), st.dropped);
	}
	metrics_family(sb, "sockscope_sink_errors_total", "counter", "Sink write/connect errors.");
	for (unsigned int i = 0; i < d->nr_sinks; i++) {
		struct sink_stats st;

		sink__stats(d->sinks[i], &st);
		metrics_sample(sb, "sockscope_sink_errors_total", "sink", sink__name(d->sinks[i]), st.errors);
	}
	store__stats(d->store, &ss);
	metrics_family(sb, "sockscope_store_committed_total", "counter",
		       "Rows committed to the database (acknowledged).");
	metrics_sample(sb, "sockscope_store_committed_total", NULL, NULL, ss.committed);
	metrics_family(sb, "sockscope_store_dropped_total", "counter",
		       "Rows dropped because the store's queue was full.");
	metrics_sample(sb, "sockscope_store_dropped_total", NULL, NULL, ss.dropped);
	metrics_family(sb, "sockscope_store_flush_errors_total", "counter", "Failed database transactions.");
	metrics_sample(sb, "sockscope_store_flush_errors_total", NULL, NULL, ss.flush_errors);
}

/* ---- loop ---------------------------------------------------------------------- */

static void flush_store(struct daemon *d, uint64_t now, bool force)
{
	char err[256];

	if (!force && now - d->last_flush_ns < FLUSH_NS)
		return;
	d->last_flush_ns = now;
	if (store__flush(d->store, err, sizeof(err))) {
		/* report an outage once, not every 200 ms */
		if (strcmp(err, d->store_status))
			fprintf(stderr, "sockscope: database: %s (rows kept queued)\n", err);
		snprintf(d->store_status, sizeof(d->store_status), "%s", err);
	} else if (d->store_status[0]) {
		fprintf(stderr, "sockscope: database: writing again\n");
		d->store_status[0] = '\0';
	}
	if (now - d->last_retain_ns >= RETAIN_NS) {
		d->last_retain_ns = now;
		if (store__retain(d->store, (int64_t)timefmt_real_ns(&d->fmt.tf, now), err, sizeof(err)))
			fprintf(stderr, "sockscope: database retention: %s\n", err);
	}
}

static int loop(struct daemon *d)
{
	while (!stop_signal) {
		uint64_t now;
		int n = tracer__poll(d->tracer, POLL_MS);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "sockscope: reading the ring buffer: %s\n", strerror(-n));
			return SS_EXIT_RUNTIME;
		}
		if (hup_signal) {
			hup_signal = 0;
			for (unsigned int i = 0; i < d->nr_sinks; i++)
				sink__reopen(d->sinks[i]);
		}
		check_lost(d);
		now = mono_now_ns();
		engine__expire(d->en, now);
		pump_sinks(d);
		flush_store(d, now, false);
		metrics_server__serve(d->metrics, render_metrics, d);
		remote_server__serve(d->query, d->en, d->store, &d->fmt.tf);
	}
	tracer__drain(d->tracer);
	return SS_EXIT_OK;
}

/* systemd Type=notify: tell it we are ready, if it asked. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !path[0] || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
}

/* ---- configuration ----------------------------------------------------------------- */

static void report_line(const char *path, unsigned int line, const char *why, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s:%u: %s\n", path, line, why);
}

/* File, then command line. Returns 0 or an SS_EXIT_* code (messages printed). */
int daemon_config_resolve(const struct cli_opts *o, struct daemon_config *c)
{
	const char *path = o->config ? o->config : CONFIG_DEFAULT_PATH;
	char err[512];
	int bad;

	config_defaults(c);
	bad = config_load(c, path, report_line, NULL);
	if (bad == -ENOENT && !o->config)
		bad = 0; /* the default file is optional */
	if (bad < 0) {
		fprintf(stderr, "sockscope: config %s: %s\n", path, strerror(-bad));
		return SS_EXIT_USAGE;
	}
	if (bad > 0) {
		fprintf(stderr, "sockscope: %d error%s in %s\n", bad, bad > 1 ? "s" : "", path);
		return SS_EXIT_USAGE;
	}
#define SET(key, val)                                                              \
	do {                                                                       \
		if ((val) && config_set(c, key, val, err, sizeof(err))) {          \
			fprintf(stderr, "sockscope: --%s: %s\n", key, err);        \
			return SS_EXIT_USAGE;                                      \
		}                                                                  \
	} while (0)
	SET("db", o->db);
	SET("retain", o->retain);
	SET("retain_size", o->retain_size);
	SET("metrics", o->metrics);
#undef SET
	if (o->nr_sinks)
		c->nr_sinks = 0; /* the command line's sinks replace the file's */
	for (unsigned int i = 0; i < o->nr_sinks; i++) {
		if (config_set(c, "sink", o->sinks[i], err, sizeof(err))) {
			fprintf(stderr, "sockscope: --sink: %s\n", err);
			return SS_EXIT_USAGE;
		}
	}
	if (o->ring_size != SS_DEFAULT_RING_SIZE)
		c->ring_size = o->ring_size;
	return 0;
}

static int open_outputs(struct daemon *d, const struct cli_opts *o)
{
	struct store_opts so = {
		.path = d->cfg.db,
		.retain_secs = d->cfg.retain_secs,
		.retain_bytes = d->cfg.retain_bytes,
	};
	char err[512], host[256] = "-";
	int rc;

	(void)o;
	gethostname(host, sizeof(host) - 1);
	rc = store__open(&d->store, &so, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: database %s: %s\n", d->cfg.db, err);
		return SS_EXIT_OUTPUT;
	}
	for (unsigned int i = 0; i < d->cfg.nr_sinks; i++) {
		rc = sink__open(&d->sinks[d->nr_sinks], d->cfg.sinks[i], host, "sockscope", err,
				sizeof(err));
		if (rc) {
			fprintf(stderr, "sockscope: sink %s: %s\n", d->cfg.sinks[i], err);
			return rc == -EINVAL ? SS_EXIT_USAGE : SS_EXIT_OUTPUT;
		}
		d->nr_sinks++;
	}
	if (d->cfg.metrics[0]) {
		d->metrics = metrics_server__open(d->cfg.metrics, err, sizeof(err));
		if (!d->metrics) {
			fprintf(stderr, "sockscope: %s\n", err);
			return SS_EXIT_OUTPUT;
		}
	}
	d->query = remote_server__open(err, sizeof(err));
	if (!d->query) {
		fprintf(stderr, "sockscope: %s\n", err);
		return SS_EXIT_OUTPUT;
	}
	return 0;
}

static void close_all(struct daemon *d)
{
	char err[256];

	if (d->store && store__flush(d->store, err, sizeof(err)))
		fprintf(stderr, "sockscope: database: final flush: %s\n", err);
	for (unsigned int i = 0; i < d->nr_sinks; i++)
		sink__close(d->sinks[i], 2000);
	store__close(d->store);
	metrics_server__close(d->metrics);
	remote_server__close(d->query);
	tracer__destroy(d->tracer);
	explainer__release(&d->explainer);
	snapshot_loader__close(d->snap);
	engine__free(d->en);
}

int daemon_cmd_run(const struct cli_opts *o)
{
	static struct daemon d;
	struct ss_filter all = { .events = SS_EV_ALL_KERNEL };
	struct tracer_opts topts = {
		.filter = &all,
		.verbose = o->verbose,
		.track_holders = true,
		.on_event = on_event,
		.ctx = &d,
	};
	char err[512];
	int rc;

	memset(&d, 0, sizeof(d));
	rc = daemon_config_resolve(o, &d.cfg);
	if (rc)
		return rc;
	if (o->check_config) {
		config_print(&d.cfg, stdout);
		fprintf(stderr, "sockscope: configuration OK\n");
		return SS_EXIT_OK;
	}
	if ((rc = sys_check_privileges(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	signals_install(on_signal);

	formatter_init(&d.fmt, true);
	d.en = engine__new(d.cfg.history);
	if (!d.en) {
		fprintf(stderr, "sockscope: out of memory\n");
		return SS_EXIT_RUNTIME;
	}
	rc = open_outputs(&d, o);
	if (rc)
		goto out;
	topts.ring_size = d.cfg.ring_size;
	rc = tracer__start(&d.tracer, &topts, err, sizeof(err));
	if (!rc)
		rc = snapshot_loader__open(&d.snap, o->verbose, err, sizeof(err));
	d.explainer.snap = d.snap;
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		goto out;
	}
	if (resync(&d)) {
		rc = SS_EXIT_RUNTIME;
		goto out;
	}
	tracer__seed(d.tracer, err, sizeof(err));
	fprintf(stderr, "sockscope: daemon running (%u hooks, database %s, %u sinks%s%s)\n",
		tracer__nr_attached(d.tracer), d.cfg.db, d.nr_sinks,
		d.metrics ? ", metrics on " : "", d.metrics ? d.cfg.metrics : "");
	notify_ready();
	rc = loop(&d);
	fprintf(stderr, "sockscope: stopping (signal %d), flushing\n", (int)stop_signal);
out:
	close_all(&d);
	return rc;
}

/* ---- the daemon's options (see cmd/commands.h) ---- */
#include "cmd/commands.h"
#include "lib/err.h"

static const struct cli_option opt_check_config = {
	.name = "check-config",
	.kind = OPTK_FLAG,
	CLI_FIELD(check_config),
	.help = "check the config, report errors by line, exit",
};

static const struct cli_option opt_retain = {
	.name = "retain",
	.kind = OPTK_STRING,
	CLI_FIELD(retain),
	.metavar = "AGE",
	.help = "drop history older than AGE (30d, 12h, forever)",
};

static const struct cli_option opt_retain_size = {
	.name = "retain-size",
	.kind = OPTK_STRING,
	CLI_FIELD(retain_size),
	.metavar = "SIZE",
	.help = "keep the database under SIZE (1G, 500M, 0: no limit)",
};

/* Repeatable; the values are checked with the config file's rules. */
static int add_sink(const struct cli_option *opt, const char *arg, void *cfg,
		    char *err, size_t errlen)
{
	struct cli_opts *o = cfg;

	(void)opt;
	if (o->nr_sinks == sizeof(o->sinks) / sizeof(o->sinks[0]))
		return errf(err, errlen, -E2BIG,
			    "too many --sink options (at most %zu)",
			    sizeof(o->sinks) / sizeof(o->sinks[0]));
	o->sinks[o->nr_sinks++] = arg;
	return 0;
}

static const struct cli_option opt_sink = {
	.name = "sink",
	.kind = OPTK_CUSTOM,
	.parse = add_sink,
	.metavar = "SPEC",
	.help = "where events go, repeatable: stdout, syslog,\n"
		"file:/PATH[?max_bytes=N&keep=N],\n"
		"syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT",
};

static const struct cli_option opt_metrics = {
	.name = "metrics",
	.kind = OPTK_STRING,
	CLI_FIELD(metrics),
	.metavar = "ADDR",
	.help = "Prometheus metrics on a loopback ADDR:PORT",
};

const struct opt_entry daemon_options[] = {
	OPT_HELP(opt_config,
		 "config file (default /etc/sockscope/sockscope.conf)"),
	OPT(opt_check_config),
	OPT_HELP(opt_db, "SQLite database\n(default /var/lib/sockscope/sockscope.db)"),
	OPT(opt_retain),
	OPT(opt_retain_size),
	OPT(opt_sink),
	OPT(opt_metrics),
	OPT_HELP(opt_ring_size, "ring buffer size"),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of the daemon's options ---- */
