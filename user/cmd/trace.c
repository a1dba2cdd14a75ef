// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'sockscope trace': the runtime's events, one line each. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/trace.h"
#include "kernel/system.h"
#include "lib/exitcodes.h"
#include "runtime/rowfilter.h"

#define OUTPUT_BUF (256u << 10)
/* Written lines waiting for the writer thread, at most: as much again as
 * the default ring holds, for a write(2) stalled on the disk */
#define OUTPUT_PENDING (16u << 20)
/* closed sockets remembered for 'who' (about 250 bytes each) */
#define TRACE_HISTORY 10000

/*
 * record: an event (counted in the summary), not a header, lost or resync.
 * A record formatted in the output's own buffer (output_reserve()) is
 * committed where it is.
 */
static int emit_line(struct trace_out *t, const struct sbuf *sb, bool record)
{
	int err;

	if (sb->buf != t->line)
		err = output_commit(&t->out, sb->len);
	else if (record)
		err = output_record(&t->out, sb->buf, sb->len);
	else
		err = output_append(&t->out, sb->buf, sb->len);

	if (err && !t->out_err)
		t->out_err = err;
	return err;
}

static int on_event(void *ctx, const struct ss_event *e, const struct rt_extra *x)
{
	struct trace_out *t = ctx;
	struct sbuf sb;
	char *at;

	if (t->ident_filter && !rowfilter_identity(x->fmt.ident, t->ident_filter))
		return 0;
	/* formatted straight into the output's buffer: one copy less a line */
	at = output_reserve(&t->out, sizeof(t->line));
	sbuf_init(&sb, at ? at : t->line, sizeof(t->line));
	format_event(&t->fmt, &sb, e, &x->fmt);
	t->events++;
	if (emit_line(t, &sb, true))
		return -ECANCELED;
	return t->max_events && t->events >= t->max_events;
}

static int on_tick(void *ctx, uint64_t now)
{
	struct trace_out *t = ctx;

	(void)now;
	if (!t->out_err)
		t->out_err = output_flush(&t->out);
	return t->out_err != 0;
}

static void on_loss(void *ctx, uint64_t lost, uint64_t since_real_ns, uint64_t now_real_ns)
{
	struct trace_out *t = ctx;
	struct sbuf sb;

	sbuf_init(&sb, t->line, sizeof(t->line));
	format_lost(&t->fmt, &sb, lost, since_real_ns, now_real_ns);
	emit_line(t, &sb, false);
}

static void on_resync(void *ctx, uint64_t sockets, uint64_t now_real_ns)
{
	struct trace_out *t = ctx;
	struct sbuf sb;

	sbuf_init(&sb, t->line, sizeof(t->line));
	format_resync(&t->fmt, &sb, sockets, now_real_ns);
	emit_line(t, &sb, false);
}

void trace_out__consumer(struct trace_out *t, struct rt_consumer *c)
{
	memset(c, 0, sizeof(*c));
	c->ctx = t;
	c->event = on_event;
	c->tick = on_tick;
	c->loss = on_loss;
	c->resync = on_resync;
}

/*
 * "N events, L lost": N events written (all of them, or all a reader took
 * before it closed the pipe: the quiet end of '| head'). After an output
 * error, which of them are in the output: "N events, W written, K not
 * written, L lost" (N = W + K).
 */
static void print_summary(const struct trace_out *t, uint64_t lost)
{
	if (!t->out.not_written || t->out_err == -EPIPE) {
		fprintf(stderr, "sockscope: %llu events, %llu lost\n",
			(unsigned long long)t->out.written, (unsigned long long)lost);
		return;
	}
	fprintf(stderr, "sockscope: %llu events, %llu written, %llu not written, %llu lost\n",
		(unsigned long long)t->events, (unsigned long long)t->out.written,
		(unsigned long long)t->out.not_written, (unsigned long long)lost);
}

int trace_cmd_run(const struct cli_opts *o)
{
	static struct trace_out t;
	struct rt_opts ro = {
		.filter = o->filter,
		.ring_size = o->ring_size,
		.verbose = o->verbose,
		.events = o->filter.events, /* what the user asked to see */
		.duration_ms = o->duration_ms,
	};
	struct runtime *rt = NULL;
	struct rt_consumer c;
	char err[512];
	struct sbuf sb;
	int rc, ferr;

	memset(&t, 0, sizeof(t));
	t.max_events = o->count;
	if (o->container || o->unit)
		t.ident_filter = o;
	/*
	 * Close events carry everyone who held the socket, which the engine
	 * learns from the whole lifecycle: when they are shown, the kernel
	 * sends every event type and the --events choice applies in the
	 * runtime. Otherwise no engine, and the kernel filters everything.
	 */
	if ((o->filter.events & SS_EV_BIT(SS_EV_CLOSE)) && !o->filter.failed_only) {
		ro.filter.events |= SS_EV_ALL_KERNEL;
		ro.engine = true;
		ro.history = TRACE_HISTORY;
		ro.ctl = RT_CTL_ENGINE; /* who asks us for history */
	}
	if ((rc = sys_check_privileges(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return ss_exit_code(rc);
	}
	/* Before anything is attached: a bad path leaves nothing behind. */
	rc = output_open(&t.out, o->output, OUTPUT_BUF, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: cannot open output: %s\n", err);
		return SS_EXIT_OUTPUT;
	}
	rc = output_start_writer(&t.out, OUTPUT_PENDING);
	if (rc) {
		fprintf(stderr, "sockscope: output writer thread: %s\n", strerror(-rc));
		output_close(&t.out);
		return SS_EXIT_RUNTIME;
	}
	formatter_init(&t.fmt, o->json);
	trace_out__consumer(&t, &c);
	if (runtime__new(&rt, &ro, err, sizeof(err)) || runtime__add_consumer(rt, &c)) {
		fprintf(stderr, "sockscope: %s\n", err);
		output_close(&t.out);
		return SS_EXIT_RUNTIME;
	}
	rc = runtime__start(rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		runtime__free(rt);
		output_close(&t.out);
		return ss_exit_code(rc);
	}
	fprintf(stderr,
		"sockscope: tracing (%u hooks attached, %llu existing sockets "
		"seen, ring %u KiB); Ctrl-C to stop\n",
		tracer__nr_attached(runtime__tracer(rt)),
		(unsigned long long)tracer__nr_seeded(runtime__tracer(rt)), o->ring_size >> 10);

	sbuf_init(&sb, t.line, sizeof(t.line));
	format_header(&t.fmt, &sb);
	emit_line(&t, &sb, false);

	rc = runtime__run(rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		rc = ss_exit_code(rc);
	}
	ferr = output_close(&t.out);
	if (!t.out_err && ferr)
		t.out_err = ferr;
	print_summary(&t, runtime__lost(rt));
	if (runtime__bad_records(rt))
		fprintf(stderr, "sockscope: %llu malformed records skipped\n",
			(unsigned long long)runtime__bad_records(rt));
	runtime__free(rt);

	if (t.out_err == -EPIPE)
		return rc; /* the reader went away (| head): a normal end */
	if (t.out_err) {
		fprintf(stderr, "sockscope: writing output: %s\n", strerror(-t.out_err));
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
	OPT_GROUP(filter_more_options),
	OPT(opt_netns),
	OPT(opt_events),
	OPT(opt_failed),
	OPT_SECTION("Filters (on the process's cgroup, in sockscope):"),
	OPT_GROUP(identity_options),
	OPT_SECTION("Stopping:"),
	OPT(opt_duration),
	OPT(opt_count),
	OPT_SECTION("Tuning:"),
	OPT(opt_ring_size),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of trace's options ---- */
