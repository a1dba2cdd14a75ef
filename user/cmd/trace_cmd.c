// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/exitcodes.h"
#include "model/engine.h"
#include "model/explainer.h"
#include "output/format.h"
#include "runtime/query.h"
#include "kernel/snapshot.h"
#include "output/output.h"
#include "lib/signals.h"
#include "kernel/system.h"
#include "cmd/trace_cmd.h"
#include "kernel/tracer.h"

#define POLL_MS 100
#define OUTPUT_BUF (256u << 10)
/* closed sockets remembered for 'who' (about 250 bytes each) */
#define TRACE_HISTORY 10000

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct session {
	struct formatter fmt;
	struct output out;
	uint64_t events;
	uint64_t max_events; /* 0: unlimited */
	uint64_t lost_reported;
	uint64_t lost_since_ns; /* realtime start of the current loss window */
	int out_err; /* first output error, -errno */
	__u32 events_mask; /* what the user asked to see */
	bool done;
	/* explanations of failures */
	struct snapshot_loader *snap;
	struct explainer explainer;
	/* the live model: holders for close events, re-synced after loss */
	struct engine *en;
	struct holder holders[16];
	struct query_server *query; /* who asks us for history */
	char line[8192];
};

static uint64_t now_mono_ms(void)
{
	return mono_now_ns() / 1000000ull;
}

static int emit_line(struct session *s, const struct sbuf *sb)
{
	int err = output_append(&s->out, sb->buf, sb->len);

	if (err && !s->out_err)
		s->out_err = err;
	return err;
}

static int on_event(void *ctx, const struct ss_event *e)
{
	struct event_extra extra = { 0 };
	struct session *s = ctx;
	struct sbuf sb;

	if (s->done)
		return -ECANCELED;
	/* Holders before the engine forgets them: a close finishes a socket. */
	if (e->hdr.type == SS_EV_CLOSE && s->en) {
		struct eng_sock *es = engine__find(s->en, e->cookie);

		if (es)
			extra.nr_holders = eng_sock__all_holders(es, s->holders, 16);
	}
	if (s->en)
		engine__apply(s->en, e);
	if (e->hdr.type > SS_EV_STATE)
		return 0; /* holder bookkeeping, for the engine only */
	if (!(s->events_mask & SS_EV_BIT(e->hdr.type)))
		return 0; /* requested for the engine, not by the user */
	extra.expl = explainer__explain(&s->explainer, s->en, e);
	extra.holders = s->holders;
	sbuf_init(&sb, s->line, sizeof(s->line));
	format_event(&s->fmt, &sb, e, &extra);
	if (emit_line(s, &sb))
		return -ECANCELED;
	s->events++;
	if (s->max_events && s->events >= s->max_events) {
		s->done = true;
		return -ECANCELED;
	}
	return 0;
}

/* Rebuilds the engine from a kernel snapshot of every namespace. */
static int engine_resync(struct session *s, uint64_t *nsocks)
{
	struct engine_stats st;
	char err[256];
	int rc;

	if (!s->en || !s->snap)
		return -ENOENT;
	rc = engine_reseed(s->en, s->snap, err, sizeof(err));
	engine__stats(s->en, &st);
	*nsocks = st.sockets;
	return rc;
}

/* Drops are reported in the stream itself, as soon as they are seen; the
 * live model missed those events, so it is re-read from the kernel. */
static void report_lost(struct session *s, struct tracer *t)
{
	uint64_t lost = tracer__lost(t), now, nsocks = 0;
	struct sbuf sb;

	if (lost == s->lost_reported)
		return;
	now = real_now_ns();
	sbuf_init(&sb, s->line, sizeof(s->line));
	format_lost(&s->fmt, &sb, lost - s->lost_reported, s->lost_since_ns, now);
	emit_line(s, &sb);
	s->lost_reported = lost;
	s->lost_since_ns = now;
	if (!engine_resync(s, &nsocks)) {
		sbuf_init(&sb, s->line, sizeof(s->line));
		format_resync(&s->fmt, &sb, nsocks, real_now_ns());
		emit_line(s, &sb);
	}
}

static int open_output(struct session *s, const struct cli_opts *o)
{
	int err = output_open(&s->out, o->output, OUTPUT_BUF);

	if (err) {
		fprintf(stderr, "sockscope: cannot open output file '%s': %s\n",
			o->output, strerror(-err));
		return SS_EXIT_OUTPUT;
	}
	return 0;
}

static int run_loop(struct session *s, struct tracer *t, uint64_t duration_ms)
{
	uint64_t deadline = duration_ms ? now_mono_ms() + duration_ms : 0;

	while (!stop_signal && !s->done && !s->out_err) {
		int timeout = POLL_MS, n;

		if (deadline) {
			uint64_t now = now_mono_ms();

			if (now >= deadline)
				break;
			if (deadline - now < POLL_MS)
				timeout = (int)(deadline - now);
		}
		n = tracer__poll(t, timeout);
		if (n < 0 && n != -EINTR && n != -ECANCELED) {
			fprintf(stderr, "sockscope: reading the ring buffer: %s\n",
				strerror(-n));
			return SS_EXIT_RUNTIME;
		}
		report_lost(s, t);
		if (!s->out_err && output_flush(&s->out) && !s->out_err)
			s->out_err = -errno;
		query_server__serve(s->query, s->en, &s->fmt.tf);
	}
	/*
	 * Stop the kernel side first, so the count of lost records is final:
	 * the last in-band 'lost' record and the summary then agree. Whatever
	 * the kernel already produced is still delivered.
	 */
	tracer__detach(t);
	if (!s->done && !s->out_err)
		tracer__drain(t);
	report_lost(s, t);
	return 0;
}

int trace_cmd_run(const struct cli_opts *o)
{
	static struct session s;
	struct ss_filter kfilter = o->filter;
	struct tracer_opts topts = {
		.filter = &kfilter,
		.ring_size = o->ring_size,
		.verbose = o->verbose,
		.on_event = on_event,
		.ctx = &s,
	};
	struct tracer *t = NULL;
	char err[512];
	struct sbuf sb;
	int rc, ferr;

	memset(&s, 0, sizeof(s));
	s.max_events = o->count;
	s.events_mask = o->filter.events;
	/*
	 * Close events carry everyone who held the socket, which the engine
	 * learns from the whole lifecycle: when they are shown, the kernel
	 * sends every event type and the --events choice applies here.
	 * Otherwise no engine, and the kernel filters everything.
	 */
	if ((o->filter.events & SS_EV_BIT(SS_EV_CLOSE)) && !o->filter.failed_only) {
		kfilter.events |= SS_EV_ALL_KERNEL;
		s.en = engine__new(TRACE_HISTORY);
		topts.track_holders = s.en != NULL;
	}
	if ((rc = sys_check_privileges(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	/* Before anything is attached: a bad path leaves nothing behind. */
	if ((rc = open_output(&s, o)))
		return rc;
	formatter_init(&s.fmt, o->json);
	signals_install(on_signal);

	rc = tracer__start(&t, &topts, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		output_close(&s.out);
		return rc;
	}
	/* Explanations and holders need the snapshot iterators; tracing
	 * works without them. */
	if (snapshot_loader__open(&s.snap, o->verbose, err, sizeof(err))) {
		fprintf(stderr, "sockscope: failures will not be explained: %s\n", err);
	} else {
		uint64_t n;

		s.explainer.snap = s.snap;
		engine_resync(&s, &n);
		tracer__seed(t, err, sizeof(err));
	}
	if (s.en)
		s.query = query_server__open(err, sizeof(err));
	s.lost_since_ns = real_now_ns();
	fprintf(stderr,
		"sockscope: tracing (%u hooks attached, %llu existing sockets seen, ring %u KiB); Ctrl-C to stop\n",
		tracer__nr_attached(t), (unsigned long long)tracer__nr_seeded(t),
		o->ring_size >> 10);

	sbuf_init(&sb, s.line, sizeof(s.line));
	format_header(&s.fmt, &sb);
	emit_line(&s, &sb);

	rc = run_loop(&s, t, o->duration_ms);
	ferr = output_close(&s.out);
	if (!s.out_err && ferr)
		s.out_err = ferr;
	fprintf(stderr, "sockscope: %llu events, %llu lost\n",
		(unsigned long long)s.events, (unsigned long long)s.lost_reported);
	if (tracer__bad_records(t))
		fprintf(stderr, "sockscope: %llu malformed records skipped\n",
			(unsigned long long)tracer__bad_records(t));
	tracer__destroy(t);
	explainer__release(&s.explainer);
	snapshot_loader__close(s.snap);
	query_server__close(s.query);
	engine__free(s.en);

	if (s.out_err == -EPIPE)
		return rc; /* the reader went away (| head): a normal end */
	if (s.out_err) {
		fprintf(stderr, "sockscope: writing output: %s\n", strerror(-s.out_err));
		return SS_EXIT_OUTPUT;
	}
	return rc;
}

/* ---- trace's options (see cmd/commands.h) ---- */
#include "cmd/commands.h"
#include "lib/names.h"

static const struct cli_option opt_output = {
	.name = "output",
	.letter = 'o',
	.kind = OPTK_STRING,
	CLI_FIELD(output),
	.metavar = "FILE",
	.help = "append events to FILE instead of stdout",
	.expect = "a file name",
	.min = 1,
};

static const struct cli_option opt_states = {
	.name = "states",
	.kind = OPTK_FLAG,
	CLI_FIELD(states),
	.help = "show TCP state changes (always on with --json)",
};

/* The events the kernel raises; "lost" and "resync" are not a choice. */
static uint64_t event_bit(const char *name, size_t len)
{
	unsigned int t = event_from_name(name, (unsigned int)len);

	return t && t <= SS_EV_STATE ? SS_EV_BIT(t) : 0;
}

static const struct cli_option opt_events = {
	.name = "events",
	.letter = 'e',
	.kind = OPTK_LIST,
	CLI_FIELD(filter.events),
	.item = event_bit,
	.noun = "event",
	.metavar = "LIST",
	.help = "comma-separated: socket,bind,listen,connect,\n"
		"connect_done,accept,close,state",
	.expect = "socket, bind, listen, connect, connect_done, accept, close, "
		  "state",
};

static const struct cli_option opt_duration = {
	.name = "duration",
	.letter = 'd',
	.kind = OPTK_SECONDS,
	CLI_FIELD(duration_ms),
	.metavar = "SEC",
	.help = "stop after SEC seconds",
	.expect = "expected seconds > 0",
	.min = 0,
	.max = 10000000000ull, /* 1e7 s */
};

static const struct cli_option opt_count = {
	.name = "count",
	.letter = 'n',
	.kind = OPTK_U64,
	CLI_FIELD(count),
	.metavar = "N",
	.help = "stop after N events",
	.expect = "expected a number >= 1",
	.min = 1,
	.max = UINT64_MAX,
};

const struct opt_entry trace_options[] = {
	OPT_SECTION("Output:"),
	OPT(opt_json),
	OPT(opt_output),
	OPT(opt_states),
	OPT_SECTION("Filters (applied in the kernel):"),
	OPT_GROUP(filter_options),
	OPT(opt_events),
	OPT(opt_failed),
	OPT_SECTION("Stopping:"),
	OPT(opt_duration),
	OPT(opt_count),
	OPT_SECTION("Tuning:"),
	OPT(opt_ring_size),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of trace's options ---- */
