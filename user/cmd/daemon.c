// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 'sockscope daemon': the engine, always on. Every event goes to the log
 * sinks as one NDJSON line; closed sockets, failures (with their
 * explanation) and port ownership changes go to SQLite in batched
 * transactions; ports/who/history are answered over the control socket,
 * metrics over HTTP on loopback. The loop, lost -> resync and the control
 * socket are the runtime's (runtime/runtime.h); here are its consumers:
 * the metrics counters, the store rows (cmd/daemon_store.c) and the sinks.
 * Nothing here waits on a disk or a collector: sinks queue in memory and are
 * pumped on the runtime's ticks; the store's rows are committed by its own
 * writer thread.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/config.h"
#include "cmd/daemon.h"
#include "cmd/daemon_store.h"
#include "kernel/system.h"
#include "lib/exitcodes.h"
#include "lib/names.h"
#include "output/format.h"
#include "output/metrics.h"
#include "output/sinks/sink.h"
#include "output/store/store.h"
#include "runtime/runtime.h"

/* Within one batch from the ring, sinks are pumped every this many events:
 * a batch can hold more JSON than a sink's queue, and must not overflow it
 * while the disk is idle. */
#define PUMP_EVERY 512

struct daemon {
	struct daemon_config cfg;
	struct runtime *rt;
	struct daemon_store store;
	struct sink *sinks[CONFIG_MAX_SINKS];
	unsigned int nr_sinks;
	struct metrics_server *metrics;
	struct formatter fmt;
	uint64_t events[SS_EV_MAX];
	uint64_t failures_by_errno[134];
	uint64_t resyncs;
	unsigned int since_pump;
	char line[8192];
};

/* ---- sinks ---- */

/* e: the event behind the line (NULL for a note), for sinks with fields. */
static void to_sinks(struct daemon *d, const char *line, size_t len, const char *msgid,
		     int severity, uint64_t ts_real_ns, uint32_t pid, const struct ss_event *e,
		     const struct event_extra *x)
{
	for (unsigned int i = 0; i < d->nr_sinks; i++)
		sink__write_event(d->sinks[i], line, len, msgid, severity, (int64_t)ts_real_ns, pid,
				  e, x);
}

static void pump_sinks(struct daemon *d)
{
	char status[512];
	uint64_t now = mono_now_ns();

	for (unsigned int i = 0; i < d->nr_sinks; i++) {
		status[0] = '\0';
		sink__pump(d->sinks[i], (int64_t)now, status, sizeof(status));
		if (status[0])
			fprintf(stderr, "sockscope: sink %s: %s\n", sink__name(d->sinks[i]),
				status);
	}
}

/* ---- sinks: every event as one NDJSON line ---- */

static int sinks_event(void *ctx, const struct ss_event *e, const struct rt_extra *x)
{
	struct daemon *d = ctx;
	struct sbuf sb;

	/* the engine needs every state change; the sinks get them if asked,
	 * as trace prints them */
	if (!d->nr_sinks || (e->hdr.type == SS_EV_STATE && !d->cfg.states))
		return 0;
	sbuf_init(&sb, d->line, sizeof(d->line));
	format_event(&d->fmt, &sb, e, &x->fmt);
	to_sinks(d, sb.buf, sb.len, event_name(e->hdr.type), e->err ? 4 : 6,
		 timefmt_real_ns(&d->fmt.tf, e->ts_ns), (e->hdr.flags & SS_F_NO_OWNER) ? 0 : e->pid,
		 e, &x->fmt);
	if (++d->since_pump >= PUMP_EVERY) {
		d->since_pump = 0;
		pump_sinks(d);
	}
	return 0;
}

static int sinks_tick(void *ctx, uint64_t now)
{
	(void)now;
	pump_sinks(ctx);
	return 0;
}

static void sinks_loss(void *ctx, uint64_t lost, uint64_t since_real_ns, uint64_t now)
{
	struct daemon *d = ctx;
	struct sbuf sb;

	(void)since_real_ns;
	sbuf_init(&sb, d->line, sizeof(d->line));
	format_lost(&d->fmt, &sb, lost, now, now);
	to_sinks(d, sb.buf, sb.len, "lost", 4, now, 0, NULL, NULL);
	fprintf(stderr,
		"sockscope: the kernel dropped %llu records; re-reading the "
		"socket tables\n",
		(unsigned long long)lost);
}

static void sinks_resync(void *ctx, uint64_t sockets, uint64_t now)
{
	struct daemon *d = ctx;
	struct sbuf sb;

	sbuf_init(&sb, d->line, sizeof(d->line));
	format_resync(&d->fmt, &sb, sockets, now);
	to_sinks(d, sb.buf, sb.len, "resync", 5, now, 0, NULL, NULL);
}

static void sinks_hup(void *ctx)
{
	struct daemon *d = ctx;

	for (unsigned int i = 0; i < d->nr_sinks; i++)
		sink__reopen(d->sinks[i]);
}

/* ---- metrics: counters, and the exposition ---- */

static int count_event(void *ctx, const struct ss_event *e, const struct rt_extra *x)
{
	struct daemon *d = ctx;
	size_t nr_errno = sizeof(d->failures_by_errno) / sizeof(d->failures_by_errno[0]);

	(void)x;
	if (e->hdr.type < SS_EV_MAX)
		d->events[e->hdr.type]++;
	if (e->err > 0 && (size_t)e->err < nr_errno)
		d->failures_by_errno[e->err]++;
	return 0;
}

static void count_resync(void *ctx, uint64_t sockets, uint64_t now)
{
	struct daemon *d = ctx;

	(void)sockets;
	(void)now;
	d->resyncs++;
}

/* One counter family with a sample per sink: the uint64_t at field of
 * each sink's stats. */
static void sink_counter(struct sbuf *sb, const struct daemon *d, const char *name,
			 const char *help, size_t field)
{
	metrics_family(sb, name, "counter", help);
	for (unsigned int i = 0; i < d->nr_sinks; i++) {
		struct sink_stats st;
		uint64_t v;

		sink__stats(d->sinks[i], &st);
		memcpy(&v, (const char *)&st + field, sizeof(v));
		metrics_sample(sb, name, "sink", sink__name(d->sinks[i]), v);
	}
}

static void render_metrics(struct sbuf *sb, void *arg)
{
	struct daemon *d = arg;
	struct engine_stats es;
	struct store_stats ss;

	engine__stats(runtime__engine(d->rt), &es);
	metrics_family(sb, "sockscope_events_total", "counter", "Kernel events seen, by type.");
	for (unsigned int t = 1; t <= SS_EV_STATE; t++)
		metrics_sample(sb, "sockscope_events_total", "event", event_name(t), d->events[t]);
	metrics_family(sb, "sockscope_failures_total", "counter",
		       "Failed bind/listen/connect, by errno.");
	for (unsigned int e = 1; e < sizeof(d->failures_by_errno) / sizeof(d->failures_by_errno[0]);
	     e++)
		if (d->failures_by_errno[e])
			metrics_sample(sb, "sockscope_failures_total", "error",
				       errno_name((int)e) ?: "unknown", d->failures_by_errno[e]);
	metrics_family(sb, "sockscope_lost_records_total", "counter",
		       "Records the kernel could not deliver (ring buffer full).");
	metrics_sample(sb, "sockscope_lost_records_total", NULL, NULL,
		       runtime__tracer(d->rt) ? tracer__lost(runtime__tracer(d->rt)) : 0);
	metrics_family(sb, "sockscope_resyncs_total", "counter",
		       "Times the socket table was re-read from the kernel "
		       "after losses.");
	metrics_sample(sb, "sockscope_resyncs_total", NULL, NULL, d->resyncs);
	metrics_family(sb, "sockscope_tracked_sockets", "gauge", "Sockets the engine tracks now.");
	metrics_sample(sb, "sockscope_tracked_sockets", NULL, NULL, es.sockets);
	metrics_family(sb, "sockscope_listening_ports", "gauge",
		       "Sockets in the kernel tables that wait for peers (TCP "
		       "LISTEN, unconnected UDP).");
	metrics_sample(sb, "sockscope_listening_ports", NULL, NULL, es.listening);
	sink_counter(sb, d, "sockscope_sink_written_total", "Events a sink delivered.",
		     offsetof(struct sink_stats, written));
	sink_counter(sb, d, "sockscope_sink_dropped_total",
		     "Events a sink will never deliver, not written: its queue was full "
		     "(e.g. during an outage such as a full disk) or the event too big.",
		     offsetof(struct sink_stats, dropped));
	sink_counter(sb, d, "sockscope_sink_failed_total",
		     "Events handed over but refused or never acknowledged (Kafka).",
		     offsetof(struct sink_stats, failed));
	sink_counter(sb, d, "sockscope_sink_lines_cut_total",
		     "Lines a failed write tore in a file, cut off again (they wait "
		     "in the queue).",
		     offsetof(struct sink_stats, cut));
	sink_counter(sb, d, "sockscope_sink_errors_total", "Sink write/connect errors.",
		     offsetof(struct sink_stats, errors));
	store__stats(d->store.store, &ss);
	metrics_family(sb, "sockscope_store_committed_total", "counter",
		       "Rows committed to the database (acknowledged).");
	metrics_sample(sb, "sockscope_store_committed_total", NULL, NULL, ss.committed);
	metrics_family(sb, "sockscope_store_dropped_total", "counter",
		       "Rows dropped because the store's queue was full.");
	metrics_sample(sb, "sockscope_store_dropped_total", NULL, NULL, ss.dropped);
	metrics_family(sb, "sockscope_store_flush_errors_total", "counter",
		       "Failed database transactions.");
	metrics_sample(sb, "sockscope_store_flush_errors_total", NULL, NULL, ss.flush_errors);
	metrics_family(sb, "sockscope_store_corrupt_total", "counter",
		       "Corrupt database files moved aside (PATH.corrupt-TIME) and "
		       "started afresh.");
	metrics_sample(sb, "sockscope_store_corrupt_total", NULL, NULL,
		       daemon_store__corrupt(&d->store));
}

/* systemd Type=notify: tell it we are ready, if it asked. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
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
	rc = daemon_store__open(&d->store, &so, &d->fmt.tf, err, sizeof(err));
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
	return 0;
}

/* What a sink could not write is said once more at the end. */
static void close_sink(struct sink *s)
{
	struct sink_stats st;
	char name[512];
	uint64_t left;

	snprintf(name, sizeof(name), "%s", sink__name(s));
	sink__flush(s, 2000);
	sink__stats(s, &st);
	/* still queued, or (Kafka) handed over and never acknowledged */
	left = sink__close(s, 0);
	if (left)
		fprintf(stderr, "sockscope: sink %s: %llu events undelivered at exit\n", name,
			(unsigned long long)left);
	if (st.dropped || st.failed || left)
		fprintf(stderr, "sockscope: sink %s: %llu events written, %llu not written\n", name,
			(unsigned long long)st.written,
			(unsigned long long)(st.dropped + st.failed + left));
}

static void close_all(struct daemon *d)
{
	daemon_store__close(&d->store);
	for (unsigned int i = 0; i < d->nr_sinks; i++)
		close_sink(d->sinks[i]);
	metrics_server__close(d->metrics); /* before the loop's epoll set goes */
	runtime__free(d->rt);
}

static int add_consumers(struct daemon *d)
{
	const struct rt_consumer cs[] = {
		{.ctx = d, .event = count_event, .resync = count_resync},
		{.ctx = &d->store, .event = daemon_store__event},
		{.ctx = d,
		 .event = sinks_event,
		 .tick = sinks_tick,
		 .loss = sinks_loss,
		 .resync = sinks_resync,
		 .hup = sinks_hup},
	};

	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		if (runtime__add_consumer(d->rt, &cs[i]))
			return -ENOSPC;
	return 0;
}

/* The formatter, the store, the sinks and the runtime with the daemon's
 * consumers: everything but the kernel. An SS_EXIT_* code. */
static int daemon_open(struct daemon *d, struct rt_opts *ro, const struct cli_opts *o)
{
	char err[512];
	int rc;

	formatter_init(&d->fmt, true);
	ro->filter.events = SS_EV_ALL_KERNEL;
	ro->engine = true;
	ro->history = d->cfg.history;
	ro->ring_size = d->cfg.ring_size;
	rc = open_outputs(d, o);
	if (rc)
		return rc;
	ro->store = d->store.store; /* for the control socket's answers */
	if (runtime__new(&d->rt, ro, err, sizeof(err)) || add_consumers(d)) {
		fprintf(stderr, "sockscope: out of memory\n");
		return SS_EXIT_RUNTIME;
	}
	return 0;
}

int daemon_replay(const struct daemon_config *cfg, int (*feed)(struct runtime *rt, void *arg),
		  void *arg)
{
	static struct daemon d;
	struct rt_opts ro = {0};
	int rc;

	memset(&d, 0, sizeof(d));
	d.cfg = *cfg;
	d.store.flush_inline = true;
	rc = daemon_open(&d, &ro, NULL);
	if (!rc)
		rc = feed(d.rt, arg);
	close_all(&d);
	return rc;
}

int daemon_cmd_run(const struct cli_opts *o)
{
	static struct daemon d;
	struct rt_opts ro = {
		.verbose = o->verbose,
		.need_snapshot = true,
		.ctl = RT_CTL_DAEMON,
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
		return ss_exit_code(rc);
	}
	rc = daemon_open(&d, &ro, o);
	if (rc)
		goto out;
	if (d.cfg.metrics[0]) {
		rc = metrics_server__open(&d.metrics, runtime__epoll_fd(d.rt), d.cfg.metrics,
					  render_metrics, &d, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "sockscope: %s\n", err);
			rc = SS_EXIT_OUTPUT;
			goto out;
		}
	}
	rc = runtime__start(d.rt, err, sizeof(err));
	if (!rc)
		rc = daemon_store__start_writer(&d.store, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		rc = ss_exit_code(rc);
		goto out;
	}
	fprintf(stderr,
		"sockscope: daemon running (%u hooks, database %s, %u "
		"sinks%s%s)\n",
		tracer__nr_attached(runtime__tracer(d.rt)), d.cfg.db, d.nr_sinks,
		d.metrics ? ", metrics on " : "", d.metrics ? d.cfg.metrics : "");
	notify_ready();
	rc = runtime__run(d.rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		rc = ss_exit_code(rc);
	}
	fprintf(stderr, "sockscope: stopping (signal %d), flushing\n", runtime__signal(d.rt));
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
static int add_sink(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		    size_t errlen)
{
	struct cli_opts *o = cfg;

	(void)opt;
	if (o->nr_sinks == sizeof(o->sinks) / sizeof(o->sinks[0]))
		return errf(err, errlen, -E2BIG, "too many --sink options (at most %zu)",
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
		"syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT,\n"
		"kafka://HOST:PORT[,...]/TOPIC[?key=host|port|cookie],\n"
		"journald",
};

static const struct cli_option opt_metrics = {
	.name = "metrics",
	.kind = OPTK_STRING,
	CLI_FIELD(metrics),
	.metavar = "ADDR",
	.help = "Prometheus metrics on a loopback ADDR:PORT",
};

const struct opt_entry daemon_options[] = {
	OPT_HELP(opt_config, "config file (default /etc/sockscope/sockscope.conf)"),
	OPT(opt_check_config),
	OPT_HELP(opt_db, "SQLite database\n(default /var/lib/sockscope/sockscope.db)"),
	OPT(opt_retain),
	OPT(opt_retain_size),
	OPT(opt_sink),
	OPT(opt_metrics),
	OPT_HELP(opt_states, "stream TCP state changes to the sinks too"),
	OPT_HELP(opt_ring_size, "ring buffer size"),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of the daemon's options ---- */
