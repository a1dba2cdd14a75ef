// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 'sockscope ports --watch': the engine's live table, redrawn every
 * interval. The table is fed by the event stream, not by re-polling the
 * kernel; a snapshot seeds it at start and re-syncs it after lost events.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/engine.h"
#include "runtime/engrows.h"
#include "lib/exitcodes.h"
#include "output/output.h"
#include "output/portrow.h"
#include "runtime/query.h"
#include "output/snaprows.h"
#include "lib/signals.h"
#include "kernel/snapshot.h"
#include "kernel/system.h"
#include "kernel/tracer.h"
#include "cmd/watch.h"

#define HISTORY_MAX 10000

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct prev_row {
	struct ss_sockinfo sock;
	struct holder first; /* first holder, for the "gone" line */
	uint32_t nr_holders;
};

struct watch {
	const struct cli_opts *o;
	struct engine *en;
	struct tracer *tracer;
	struct snapshot_loader *snap;
	struct query_server *query;
	struct output out;
	struct timefmt tf;
	bool tty;
	uint64_t last_seq; /* engine seq at the previous frame */
	uint64_t lost_seen;
	uint64_t frames;
	struct prev_row *prev; /* previous frame, sorted by cookie */
	size_t nr_prev;
	struct engrows rows;
	char line[8192];
};

static int on_event(void *ctx, const struct ss_event *e)
{
	struct watch *w = ctx;

	engine__apply(w->en, e);
	return 0;
}

static int resync(struct watch *w)
{
	char err[256];

	if (engine_reseed(w->en, w->snap, err, sizeof(err))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return SS_EXIT_RUNTIME;
	}
	return 0;
}

static int cmp_prev(const void *a, const void *b)
{
	const struct prev_row *x = a, *y = b;

	return x->sock.cookie < y->sock.cookie ? -1 : x->sock.cookie > y->sock.cookie;
}

static const struct prev_row *prev_find(const struct watch *w, uint64_t cookie)
{
	struct prev_row key = { .sock.cookie = cookie };

	if (!w->nr_prev)
		return NULL;
	return bsearch(&key, w->prev, w->nr_prev, sizeof(*w->prev), cmp_prev);
}

static int emit(struct watch *w, struct sbuf *sb)
{
	return output_append(&w->out, sb->buf, sb->len);
}

static const char *marker_color(enum row_change c)
{
	switch (c) {
	case ROW_NEW:
		return "\033[32m+";
	case ROW_CHANGED:
		return "\033[33m*";
	case ROW_GONE:
		return "\033[31m-";
	default:
		return " ";
	}
}

static int emit_row(struct watch *w, const struct port_row *r)
{
	struct sbuf sb;

	sbuf_init(&sb, w->line, sizeof(w->line));
	if (w->o->json) {
		portrow_json(&sb, r, &w->tf);
	} else {
		if (w->tty)
			sbuf_puts(&sb, marker_color(r->change));
		else
			sbuf_putc(&sb, " +*-"[r->change]);
		sbuf_putc(&sb, ' ');
		portrow_text(&sb, r);
		if (w->tty && r->change != ROW_SAME) {
			sb.len--; /* reset the colour before the newline */
			sbuf_puts(&sb, "\033[0m\n");
		}
	}
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
		sbuf_printf(&sb, "  %zu shown, %llu tracked, %llu lost, %llu resyncs\n  ",
			    w->rows.nr, (unsigned long long)st.sockets,
			    (unsigned long long)w->lost_seen,
			    (unsigned long long)st.resyncs);
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
		struct prev_row key = { .sock.cookie = w->prev[i].sock.cookie };
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
		sbuf_printf(&sb, "\",\"rows\":%zu,\"new\":%zu,\"changed\":%zu,\"gone\":%zu,"
				 "\"tracked\":%llu,\"lost\":%llu,\"resyncs\":%llu}\n",
			    w->rows.nr, nnew, nchanged, ngone,
			    (unsigned long long)st.sockets, (unsigned long long)w->lost_seen,
			    (unsigned long long)st.resyncs);
		if (!err)
			err = emit(w, &sb);
	}
	w->last_seq = engine__seq(w->en);
	w->frames++;
	if (!err)
		err = output_flush(&w->out);
	return err;
}

static int loop(struct watch *w)
{
	uint64_t interval = w->o->interval_ms * 1000000ull;
	uint64_t next_frame = mono_now_ns();

	while (!stop_signal) {
		uint64_t now = mono_now_ns();
		int n, err;

		if (now >= next_frame) {
			uint64_t lost = tracer__lost(w->tracer);

			if (lost != w->lost_seen) {
				/* the model missed events: rebuild it from the kernel */
				w->lost_seen = lost;
				if (resync(w))
					return SS_EXIT_RUNTIME;
			}
			engine__expire(w->en, now);
			err = draw(w);
			if (err == -EPIPE)
				return SS_EXIT_OK;
			if (err) {
				fprintf(stderr, "sockscope: writing output: %s\n", strerror(-err));
				return SS_EXIT_OUTPUT;
			}
			next_frame = now + interval;
			continue;
		}
		n = tracer__poll(w->tracer, (int)((next_frame - now) / 1000000ull) + 1);
		query_server__serve(w->query, w->en, &w->tf);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "sockscope: reading the ring buffer: %s\n", strerror(-n));
			return SS_EXIT_RUNTIME;
		}
	}
	return SS_EXIT_OK;
}

int watch_run(const struct cli_opts *o)
{
	struct ss_filter all = { .events = SS_EV_ALL_KERNEL };
	struct tracer_opts topts = {
		.filter = &all, /* the model needs every event; filters are for display */
		.ring_size = o->ring_size,
		.verbose = o->verbose,
		.track_holders = true,
		.on_event = on_event,
	};
	struct watch w = { .o = o };
	char err[512];
	int rc;

	if ((rc = sys_check_privileges(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	signals_install(on_signal);

	timefmt_init(&w.tf);
	w.tty = !o->json && isatty(STDOUT_FILENO);
	w.en = engine__new(HISTORY_MAX);
	if (!w.en || output_open(&w.out, NULL, 256u << 10)) {
		fprintf(stderr, "sockscope: out of memory\n");
		engine__free(w.en);
		return SS_EXIT_RUNTIME;
	}
	topts.ctx = &w;
	/* Attach first, then seed: events that race the snapshot are in the
	 * ring and are applied on top of it. */
	rc = tracer__start(&w.tracer, &topts, err, sizeof(err));
	if (!rc)
		rc = snapshot_loader__open(&w.snap, o->verbose, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		goto out;
	}
	rc = resync(&w);
	if (rc)
		goto out;
	tracer__seed(w.tracer, err, sizeof(err));
	w.query = query_server__open(err, sizeof(err));
	fprintf(stderr, "sockscope: watching (%u hooks attached); Ctrl-C to stop\n",
		tracer__nr_attached(w.tracer));
	rc = loop(&w);
out:
	output_close(&w.out);
	query_server__close(w.query);
	tracer__destroy(w.tracer);
	snapshot_loader__close(w.snap);
	engine__free(w.en);
	free(w.prev);
	engrows_free(&w.rows);
	return rc;
}
