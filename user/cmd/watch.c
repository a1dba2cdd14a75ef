// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 'sockscope ports --watch': the engine's live table, redrawn every
 * interval. The table is fed by the event stream, not by re-polling the
 * kernel; a snapshot seeds it at start and re-syncs it after lost events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/watch.h"
#include "kernel/system.h"
#include "lib/exitcodes.h"
#include "output/output.h"
#include "output/portrow.h"
#include "output/rows.h"
#include "runtime/engrows.h"
#include "runtime/runtime.h"

#define HISTORY_MAX 10000

struct prev_row {
	struct ss_sockinfo sock;
	struct holder first; /* first holder, for the "gone" line */
	uint32_t nr_holders;
};

struct watch {
	const struct cli_opts *o;
	struct engine *en;
	struct output out;
	struct timefmt tf;
	bool tty;
	int rc; /* SS_EXIT_* once a frame could not be written */
	uint64_t next_frame_ns;
	uint64_t last_seq; /* engine seq at the previous frame */
	uint64_t lost_seen;
	uint64_t frames;
	struct prev_row *prev; /* previous frame, sorted by cookie */
	size_t nr_prev;
	struct engrows rows;
	char line[8192];
};

static int cmp_prev(const void *a, const void *b)
{
	const struct prev_row *x = a, *y = b;

	return x->sock.cookie < y->sock.cookie ? -1 : x->sock.cookie > y->sock.cookie;
}

static const struct prev_row *prev_find(const struct watch *w, uint64_t cookie)
{
	struct prev_row key = {.sock.cookie = cookie};

	if (!w->nr_prev)
		return NULL;
	return bsearch(&key, w->prev, w->nr_prev, sizeof(*w->prev), cmp_prev);
}

static int emit(struct watch *w, struct sbuf *sb)
{
	return output_append(&w->out, sb->buf, sb->len);
}

static int emit_row(struct watch *w, const struct port_row *r)
{
	struct sbuf sb;

	sbuf_init(&sb, w->line, sizeof(w->line));
	if (w->o->json)
		portrow_json(&sb, r, &w->tf);
	else
		rows_live_marked(&sb, r, w->tty);
	return emit(w, &sb);
}

static int draw(struct watch *w)
{
	struct engine_stats st;
	struct prev_row *next;
	size_t nnew = 0, nchanged = 0, ngone = 0;
	struct sbuf sb;
	int err = 0;

	err = engrows_ports(&w->rows, w->en, w->o);
	if (err)
		return err;
	engine__stats(w->en, &st);

	sbuf_init(&sb, w->line, sizeof(w->line));
	if (!w->o->json) {
		if (w->tty)
			sbuf_puts(&sb, "\033[H\033[2J");
		else if (w->frames)
			sbuf_putc(&sb, '\n');
		sbuf_puts(&sb, "sockscope ports --watch  ");
		timefmt_clock(&w->tf, &sb, timefmt_real_ns(&w->tf, mono_now_ns()));
		sbuf_printf(&sb,
			    "  %zu shown, %llu tracked, %llu lost, %llu "
			    "resyncs\n  ",
			    w->rows.nr, (unsigned long long)st.sockets,
			    (unsigned long long)w->lost_seen, (unsigned long long)st.resyncs);
		portrow_header(&sb);
		err = emit(w, &sb);
	}

	next = malloc((w->rows.nr ? w->rows.nr : 1) * sizeof(*next));
	if (!next)
		return -ENOMEM;
	for (size_t i = 0; i < w->rows.nr && !err; i++) {
		const struct eng_sock *s = w->rows.v[i];
		struct port_row r = {
			.sock = &s->info,
			.holders = s->holders,
			.nr_holders = s->nr_holders,
			.since_real_ns = s->created_ns ? timefmt_real_ns(&w->tf, s->created_ns) : 0,
		};

		if (w->frames && !prev_find(w, s->info.cookie))
			r.change = ROW_NEW, nnew++;
		else if (w->frames && s->changed_seq > w->last_seq)
			r.change = ROW_CHANGED, nchanged++;
		err = emit_row(w, &r);
		next[i].sock = s->info;
		next[i].nr_holders = s->nr_holders;
		if (s->nr_holders)
			next[i].first = s->holders[0];
	}
	qsort(next, w->rows.nr, sizeof(*next), cmp_prev);

	/* Rows of the previous frame that are gone now: shown once. */
	for (size_t i = 0; i < w->nr_prev && !err; i++) {
		struct prev_row key = {.sock.cookie = w->prev[i].sock.cookie};
		struct port_row r = {
			.sock = &w->prev[i].sock,
			.holders = &w->prev[i].first,
			.nr_holders = w->prev[i].nr_holders ? 1 : 0,
			.change = ROW_GONE,
		};

		if (w->rows.nr && bsearch(&key, next, w->rows.nr, sizeof(*next), cmp_prev))
			continue;
		ngone++;
		err = emit_row(w, &r);
	}
	free(w->prev);
	w->prev = next;
	w->nr_prev = w->rows.nr;

	sbuf_init(&sb, w->line, sizeof(w->line));
	if (w->o->json) {
		sbuf_puts(&sb, "{\"event\":\"table\",\"ts\":\"");
		timefmt_rfc3339(&w->tf, &sb, timefmt_real_ns(&w->tf, mono_now_ns()));
		sbuf_printf(&sb,
			    "\",\"rows\":%zu,\"new\":%zu,\"changed\":%zu,\"gone\":%"
			    "zu,"
			    "\"tracked\":%llu,\"lost\":%llu,\"resyncs\":%llu}\n",
			    w->rows.nr, nnew, nchanged, ngone, (unsigned long long)st.sockets,
			    (unsigned long long)w->lost_seen, (unsigned long long)st.resyncs);
		if (!err)
			err = emit(w, &sb);
	}
	w->last_seq = engine__seq(w->en);
	w->frames++;
	if (!err)
		err = output_flush(&w->out);
	return err;
}

/* A frame every interval, from the engine the runtime keeps current. */
static int on_tick(void *ctx, uint64_t now)
{
	struct watch *w = ctx;
	int err;

	if (now < w->next_frame_ns)
		return 0;
	w->next_frame_ns = now + w->o->interval_ms * 1000000ull;
	err = draw(w);
	if (err == -EPIPE)
		return 1; /* the reader went away: a normal end */
	if (err) {
		fprintf(stderr, "sockscope: writing output: %s\n", strerror(-err));
		w->rc = SS_EXIT_OUTPUT;
		return 1;
	}
	return 0;
}

static void on_loss(void *ctx, uint64_t lost, uint64_t since_real_ns, uint64_t now_real_ns)
{
	struct watch *w = ctx;

	(void)since_real_ns;
	(void)now_real_ns;
	w->lost_seen += lost;
}

int watch_run(const struct cli_opts *o)
{
	struct rt_opts ro = {
		/* the model needs every event; filters are for display */
		.filter = {.events = SS_EV_ALL_KERNEL},
		.ring_size = o->ring_size,
		.verbose = o->verbose,
		.engine = true,
		.history = HISTORY_MAX,
		.need_snapshot = true,
		.tick_ms = o->interval_ms < 100 ? o->interval_ms : 100,
		.ctl = RT_CTL_ENGINE,
	};
	struct watch w = {.o = o};
	struct rt_consumer c = {.ctx = &w, .tick = on_tick, .loss = on_loss};
	struct runtime *rt = NULL;
	char err[512];
	int rc;

	if ((rc = sys_check_privileges(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return ss_exit_code(rc);
	}
	timefmt_init(&w.tf);
	w.tty = !o->json && isatty(STDOUT_FILENO);
	if (output_open(&w.out, NULL, 256u << 10, err, sizeof(err)) ||
	    runtime__new(&rt, &ro, err, sizeof(err)) || runtime__add_consumer(rt, &c)) {
		fprintf(stderr, "sockscope: out of memory\n");
		rc = SS_EXIT_RUNTIME;
		goto out;
	}
	w.en = runtime__engine(rt);
	rc = runtime__start(rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		rc = ss_exit_code(rc);
		goto out;
	}
	fprintf(stderr, "sockscope: watching (%u hooks attached); Ctrl-C to stop\n",
		tracer__nr_attached(runtime__tracer(rt)));
	rc = runtime__run(rt, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		rc = ss_exit_code(rc);
	}
	if (!rc)
		rc = w.rc;
out:
	output_close(&w.out);
	runtime__free(rt);
	free(w.prev);
	engrows_free(&w.rows);
	return rc;
}
