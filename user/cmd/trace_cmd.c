// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'sockscope trace': the runtime's events, one line each. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/trace_cmd.h"
#include "kernel/system.h"
#include "lib/exitcodes.h"

#define OUTPUT_BUF (256u << 10)
/* closed sockets remembered for 'who' (about 250 bytes each) */
#define TRACE_HISTORY 10000

static int emit_line(struct trace_out *t, const struct sbuf *sb)
{
	int err = output_append(&t->out, sb->buf, sb->len);

	if (err && !t->out_err)
		t->out_err = err;
	return err;
}

static int on_event(void *ctx, const struct ss_event *e,
		    const struct rt_extra *x)
{
	struct trace_out *t = ctx;
	struct sbuf sb;

	sbuf_init(&sb, t->line, sizeof(t->line));
	format_event(&t->fmt, &sb, e, &x->fmt);
	if (emit_line(t, &sb))
		return -ECANCELED;
	t->events++;
	return t->max_events && t->events >= t->max_events;
}

static int on_tick(void *ctx, uint64_t now)
{
	struct trace_out *t = ctx;

	(void)now;
	if (!t->out_err && output_flush(&t->out) && !t->out_err)
		t->out_err = -errno;
	return t->out_err != 0;
}

static void on_loss(void *ctx, uint64_t lost, uint64_t since_real_ns,
		    uint64_t now_real_ns)
{
	struct trace_out *t = ctx;
	struct sbuf sb;

	sbuf_init(&sb, t->line, sizeof(t->line));
	format_lost(&t->fmt, &sb, lost, since_real_ns, now_real_ns);
	emit_line(t, &sb);
}

static void on_resync(void *ctx, uint64_t sockets, uint64_t now_real_ns)
{
	struct trace_out *t = ctx;
	struct sbuf sb;

	sbuf_init(&sb, t->line, sizeof(t->line));
	format_resync(&t->fmt, &sb, sockets, now_real_ns);
	emit_line(t, &sb);
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
	/*
	 * Close events carry everyone who held the socket, which the engine
	 * learns from the whole lifecycle: when they are shown, the kernel
	 * sends every event type and the --events choice applies in the
	 * runtime. Otherwise no engine, and the kernel filters everything.
	 */
	if ((o->filter.events & SS_EV_BIT(SS_EV_CLOSE)) &&
	    !o->filter.failed_only) {
		ro.filter.events |= SS_EV_ALL_KERNEL;
		ro.engine = true;
		ro.history = TRACE_HISTORY;
		ro.ctl = RT_CTL_ENGINE; /* who asks us for history */
	}
	if ((rc = sys_check_privileges(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	/* Before anything is attached: a bad path leaves nothing behind. */
	rc = output_open(&t.out, o->output, OUTPUT_BUF);
	if (rc) {
		fprintf(stderr, "sockscope: cannot open output file '%s': %s\n",
			o->output, strerror(-rc));
		return SS_EXIT_OUTPUT;
	}
	formatter_init(&t.fmt, o->json);
	trace_out__consumer(&t, &c);
	if (runtime__new(&rt, &ro, err, sizeof(err)) ||
	    runtime__add_consumer(rt, &c)) {
		fprintf(stderr, "sockscope: %s\n", err);
		output_close(&t.out);
		return SS_EXIT_RUNTIME;
	}
	rc = runtime__start(rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		runtime__free(rt);
		output_close(&t.out);
		return rc;
	}
	fprintf(stderr,
		"sockscope: tracing (%u hooks attached, %llu existing sockets "
		"seen, ring %u KiB); Ctrl-C to stop\n",
		tracer__nr_attached(runtime__tracer(rt)),
		(unsigned long long)tracer__nr_seeded(runtime__tracer(rt)),
		o->ring_size >> 10);

	sbuf_init(&sb, t.line, sizeof(t.line));
	format_header(&t.fmt, &sb);
	emit_line(&t, &sb);

	rc = runtime__run(rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		rc = SS_EXIT_RUNTIME;
	}
	ferr = output_close(&t.out);
	if (!t.out_err && ferr)
		t.out_err = ferr;
	fprintf(stderr, "sockscope: %llu events, %llu lost\n",
		(unsigned long long)t.events,
		(unsigned long long)runtime__lost(rt));
	if (runtime__bad_records(rt))
		fprintf(stderr, "sockscope: %llu malformed records skipped\n",
			(unsigned long long)runtime__bad_records(rt));
	runtime__free(rt);

	if (t.out_err == -EPIPE)
		return rc; /* the reader went away (| head): a normal end */
	if (t.out_err) {
		fprintf(stderr, "sockscope: writing output: %s\n",
			strerror(-t.out_err));
		return SS_EXIT_OUTPUT;
	}
	return rc;
}
