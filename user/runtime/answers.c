// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ports, who and history: see answers.h for the sources and the layout. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exitcodes.h"
#include "lib/grow.h"
#include "lib/timeparse.h"
#include "output/rows.h"
#include "runtime/answers.h"
#include "runtime/engrows.h"
#include "runtime/rowfilter.h"

/* who's "held before": what 'history --port PORT --limit 20' prints */
#define WHO_PAST_LIMIT 20

void writer_printf(const struct writer *w, int stream, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		w->write(w->ctx, stream, buf,
			 (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int answer_time(const char *what, const char *s, int64_t *out_ns, const struct writer *w)
{
	int ret = timeparse(s, (int64_t)real_now_ns(), out_ns);

	if (ret == -ERANGE) {
		/* a date the user meant, just not one a 64-bit ns clock holds */
		writer_printf(w, 2, "sockscope: bad %s '%s': out of range (years 1678 to 2261)\n",
			      what, s);
		return SS_EXIT_USAGE;
	}
	if (ret) {
		writer_printf(w, 2,
			      "sockscope: bad %s '%s': expected RFC 3339, "
			      "\"2026-11-20 14:02\", or an age like 1h, 30m, 2d\n",
			      what, s);
		return SS_EXIT_USAGE;
	}
	return 0;
}

int answers__times(const struct cli_opts *o, struct answers_times *t, const struct writer *w)
{
	int rc;

	*t = (struct answers_times){0};
	if (o->at && (rc = answer_time("--at", o->at, &t->at_ns, w)))
		return rc;
	if (o->since && (rc = answer_time("--since", o->since, &t->since_ns, w)))
		return rc;
	if (o->until && (rc = answer_time("--until", o->until, &t->until_ns, w)))
		return rc;
	/* an empty window is a typo (--since 1h --until 2h), not "no history" */
	if (o->since && o->until && t->until_ns < t->since_ns) {
		writer_printf(w, 2, "sockscope: --until '%s' is before --since '%s'\n", o->until,
			      o->since);
		return SS_EXIT_USAGE;
	}
	return 0;
}

/* ---- the live sockets: one row loop for ports, who and who --at ---- */

static void live_rows(const struct engrows *r, const struct cli_opts *o, struct timefmt *tf,
		      const struct writer *w)
{
	char line[8192];

	for (size_t i = 0; i < r->nr; i++) {
		const struct eng_sock *s = r->v[i];
		struct port_row row = {
			.sock = &s->info,
			.holders = s->holders,
			.nr_holders = s->nr_holders,
			.since_real_ns = s->created_ns ? timefmt_real_ns(tf, s->created_ns) : 0,
		};
		struct sbuf sb;

		sbuf_init(&sb, line, sizeof(line));
		if (!i && !o->json)
			portrow_header(&sb);
		if (o->json)
			portrow_json(&sb, &row, tf);
		else
			portrow_text(&sb, &row);
		w->write(w->ctx, 1, sb.buf, sb.len);
	}
}

/* ---- the past: rows from the store, the engine's history and elsewhere ----
 */

/* Writes a section title before the first row, and counts the rows. */
struct section {
	const struct writer *out;
	const char *title; /* NULL: none (--json: never) */
	long rows;
	struct writer w; /* the rows are written here */
};

static void section_write(void *ctx, int stream, const char *p, size_t n)
{
	struct section *s = ctx;

	if (stream == 1 && n) {
		if (!s->rows && s->title)
			writer_printf(s->out, 1, "%s\n", s->title);
		for (size_t i = 0; i < n; i++)
			s->rows += p[i] == '\n';
	}
	s->out->write(s->out->ctx, stream, p, n);
}

static void section_init(struct section *s, const struct writer *out, const char *title, bool json)
{
	*s = (struct section){.out = out, .title = json ? NULL : title};
	s->w = (struct writer){.write = section_write, .ctx = s};
}

struct past {
	const struct writer *w;
	struct timefmt *tf;
	bool json;
	const struct cli_opts *only; /* who --at: its filters; NULL: every row */
	long printed;
};

static int past_row(const struct store_row *r, void *arg)
{
	struct past *p = arg;
	char line[8192];
	struct sbuf sb;

	if (p->only && !rowfilter_past(r, p->only))
		return 0;
	p->printed++;
	sbuf_init(&sb, line, sizeof(line));
	if (p->json)
		rows_past_json(&sb, r, p->tf);
	else
		rows_past_text(&sb, r, p->tf);
	p->w->write(p->w->ctx, 1, sb.buf, sb.len);
	return 0;
}

/* The engine's closed sockets a history query selects, newest first. */
struct hist {
	const struct history_query *q;
	struct timefmt *tf;
	struct store_row *v;
	size_t nr, cap;
};

/* --unit / --container on a row's stored cgroup, as the store's query does */
static bool hist_identity(const struct history_query *q, const char *cgroup)
{
	struct cg_ident id;

	if (!cgroup[0] || cg_ident_parse(cgroup, &id))
		return false;
	if (q->unit && strcmp(id.unit, q->unit))
		return false;
	return !q->container || cg_ident_container_matches(&id, q->container);
}

static bool hist_wanted(const struct history_query *q, const struct store_socket *r)
{
	if (q->kinds && !(q->kinds & STORE_KIND_SOCKET))
		return false;
	if (q->failed)
		return false; /* an engine remembers sockets, not failures */
	if (q->port && r->lport != q->port && r->rport != q->port)
		return false;
	if (q->since_ns && r->closed_ns < q->since_ns)
		return false;
	if (q->until_ns && r->closed_ns > q->until_ns)
		return false;
	if ((q->unit || q->container) && !hist_identity(q, r->cgroup))
		return false;
	if (q->match) {
		struct store_row row = {.kind = STORE_KIND_SOCKET, .socket = *r};

		if (!q->match(&row, q->match_arg))
			return false;
	}
	if (!q->pid && !q->comm)
		return true;
	for (uint32_t i = 0; i < r->nr_holders; i++)
		if ((!q->pid || r->holders[i].pid == q->pid) &&
		    (!q->comm || !strncmp(r->holders[i].comm, q->comm, sizeof(r->holders[i].comm))))
			return true;
	return false;
}

static int hist_add(const struct eng_sock *s, void *arg)
{
	struct hist *h = arg;
	struct holder hs[8];
	struct store_row r = {.kind = STORE_KIND_SOCKET};

	rows_socket_of(&r.socket, &s->info,
		       s->created_ns ? timefmt_real_ns(h->tf, s->created_ns) : 0,
		       s->closed_ns ? timefmt_real_ns(h->tf, s->closed_ns) : 0, hs,
		       eng_sock__all_holders(s, hs, 8));
	if (!hist_wanted(h->q, &r.socket))
		return 0;
	if (h->nr == h->cap && grow_array(&h->v, &h->cap, sizeof(*h->v), 64))
		return -ENOMEM;
	h->v[h->nr++] = r;
	return 0;
}

static int engine_history(struct engine *en, const struct history_query *q, struct timefmt *tf,
			  struct past *p)
{
	struct hist h = {.q = q, .tf = tf};
	size_t n = 0;
	int err = engine__for_each_history(en, hist_add, &h);

	/* the engine keeps them oldest first */
	for (size_t i = h.nr; !err && i-- > 0 && (!q->limit || n < q->limit); n++)
		past_row(&h.v[i], p);
	free(h.v);
	return err ? err : (int)n;
}

/* Room for the values filter_args() writes. */
#define FILTER_ARGS_BUF 256

/* history's filters beyond port, pid and comm as options, for ask_more(). */
static int filter_args(const struct cli_opts *o, char **argv, char *buf)
{
	const struct ss_filter *f = &o->filter;
	char *p = buf;
	int n = 0;

#define ARG(name, ...)                                 \
	do {                                           \
		argv[n++] = "--" name;                 \
		argv[n++] = p;                         \
		p += snprintf(p, 48, __VA_ARGS__) + 1; \
	} while (0)
	if (f->has_uid)
		ARG("uid", "%u", f->uid);
	if (o->netns)
		ARG("netns", "%u", o->netns);
	if (f->lport)
		ARG("lport", "%u", f->lport);
	if (f->rport)
		ARG("rport", "%u", f->rport);
	if (o->fx.laddr.family) {
		argv[n++] = "--laddr";
		argv[n++] = (char *)prefix_str(&o->fx.laddr, p, 48);
		p += strlen(p) + 1;
	}
	if (o->fx.raddr.family) {
		argv[n++] = "--raddr";
		argv[n++] = (char *)prefix_str(&o->fx.raddr, p, 48);
	}
#undef ARG
	return n;
}

static bool past_match(const struct store_row *r, void *arg)
{
	return rowfilter_past(r, arg);
}

/* "history --port 8080 --limit 20 --json": q as a command line for fn */
static long ask_more(const struct answers_more *more, const struct cli_opts *o,
		     const struct history_query *q, const char *since, const char *until,
		     const struct writer *w)
{
	char port[8], pid[16], limit[16], comm[SS_COMM_LEN];
	char *argv[40];
	char fbuf[FILTER_ARGS_BUF];
	int n = 0;

	if (!more || !more->fn)
		return 0;
	/* no stored or remembered row carries a cgroup: none would match */
	if (o->fx.cgroup[0])
		return 0;
	argv[n++] = "history";
	if (q->match)
		n += filter_args(o, argv + n, fbuf);
	if (q->port) {
		snprintf(port, sizeof(port), "%u", q->port);
		argv[n++] = "--port";
		argv[n++] = port;
	}
	if (q->pid) {
		snprintf(pid, sizeof(pid), "%u", q->pid);
		argv[n++] = "--pid";
		argv[n++] = pid;
	}
	if (q->comm) {
		snprintf(comm, sizeof(comm), "%s", q->comm);
		argv[n++] = "--comm";
		argv[n++] = comm;
	}
	if (since) {
		argv[n++] = "--since";
		argv[n++] = (char *)since;
	}
	if (until) {
		argv[n++] = "--until";
		argv[n++] = (char *)until;
	}
	if (q->failed)
		argv[n++] = "--failed";
	if (q->unit) {
		argv[n++] = "--unit";
		argv[n++] = (char *)q->unit;
	}
	if (q->container) {
		argv[n++] = "--container";
		argv[n++] = (char *)q->container;
	}
	if (q->limit) {
		snprintf(limit, sizeof(limit), "%u", q->limit);
		argv[n++] = "--limit";
		argv[n++] = limit;
	}
	if (o->json)
		argv[n++] = "--json";
	argv[n] = NULL;
	return more->fn(argv, w, more->arg);
}

/*
 * The past rows q selects from every source there is: the store, else the
 * engine's history (the store has all the engine saw close), then more.
 * Returns how many rows, or -errno (with a message written).
 */
static long past_rows(struct engine *en, struct store *st, struct timefmt *tf,
		      const struct cli_opts *o, const struct history_query *q, const char *since,
		      const char *until, const struct answers_more *more, struct section *sec)
{
	struct past p = {.w = &sec->w, .tf = tf, .json = o->json};
	int rc = 0;

	if (st)
		rc = store__history(st, q, past_row, &p);
	else if (en)
		rc = engine_history(en, q, tf, &p);
	if (rc < 0) {
		if (st && store__error(st)[0])
			writer_printf(sec->out, 2, "sockscope: %s\n", store__error(st));
		else
			writer_printf(sec->out, 2, "sockscope: history: %s (%d)\n",
				      st ? "database error" : "out of memory", rc);
		return rc;
	}
	ask_more(more, o, q, since, until, &sec->w);
	return sec->rows;
}

static int answer_history(struct engine *en, struct store *st, struct timefmt *tf,
			  const struct cli_opts *o, const struct writer *w,
			  const struct answers_more *more)
{
	struct history_query q = {
		.port = o->filter.port,
		.pid = o->filter.pid,
		.comm = o->filter.has_comm ? o->filter.comm : NULL,
		.failed = o->filter.failed_only,
		.limit = o->limit,
		.unit = o->unit,
		.container = o->container,
		.match = rowfilter_past_active(o) ? past_match : NULL,
		.match_arg = (void *)o,
	};
	struct answers_times t;
	struct section sec;
	long n;
	int rc;

	if ((rc = answers__times(o, &t, w)))
		return rc;
	q.since_ns = t.since_ns;
	q.until_ns = t.until_ns;
	section_init(&sec, w, NULL, o->json);
	n = past_rows(en, st, tf, o, &q, o->since, o->until, more, &sec);
	if (n < 0)
		return n == -EUCLEAN ? SS_EXIT_OUTPUT : SS_EXIT_RUNTIME;
	if (!n && !o->json)
		writer_printf(w, 2, "sockscope: no history matches\n");
	return SS_EXIT_OK;
}

static int answer_ports(struct engine *en, const struct cli_opts *o, struct timefmt *tf,
			const struct writer *w)
{
	struct engrows r = {0};

	if (en && engrows_ports(&r, en, o)) {
		writer_printf(w, 2, "sockscope: out of memory\n");
		engrows_free(&r);
		return SS_EXIT_RUNTIME;
	}
	live_rows(&r, o, tf, w);
	engrows_free(&r);
	return SS_EXIT_OK;
}

static const char *proto_arg(const struct cli_opts *o)
{
	return o->filter.proto == SS_PROTO_TCP	 ? "tcp"
	       : o->filter.proto == SS_PROTO_UDP ? "udp"
						 : NULL;
}

/* who --at: the stored sockets whose life covers T, and the live ones older
 * than T */
static int answer_who_at(struct engine *en, struct store *st, struct timefmt *tf,
			 const struct cli_opts *o, const struct writer *w)
{
	struct answers_times t;
	struct engrows r = {0};
	struct section sec;
	struct past p;
	int64_t at;
	int rc;

	if ((rc = answers__times(o, &t, w)))
		return rc;
	at = t.at_ns;
	if (!st) {
		writer_printf(w, 2, "sockscope: who --at needs the daemon's database\n");
		return SS_EXIT_RUNTIME;
	}
	section_init(&sec, w, "held at that time:", o->json);
	p = (struct past){.w = &sec.w,
			  .tf = tf,
			  .json = o->json,
			  .only = rowfilter_past_active(o) ? o : NULL};
	rc = store__who_at(st, o->who_port, proto_arg(o), o->netns, at, past_row, &p);
	if (rc < 0) {
		if (store__error(st)[0])
			writer_printf(w, 2, "sockscope: %s\n", store__error(st));
		else
			writer_printf(w, 2, "sockscope: who --at: database error (%d)\n", rc);
		return rc == -EUCLEAN ? SS_EXIT_OUTPUT : SS_EXIT_RUNTIME;
	}
	rc = (int)p.printed; /* the rows the filters kept */
	if (en && !engrows_who(&r, en, o)) {
		size_t k = 0;

		for (size_t i = 0; i < r.nr; i++)
			if (r.v[i]->created_ns &&
			    (int64_t)timefmt_real_ns(tf, r.v[i]->created_ns) <= at)
				r.v[k++] = r.v[i];
		r.nr = k;
		if (r.nr && !o->json)
			writer_printf(w, 1, "held then and still now:\n");
		live_rows(&r, o, tf, w);
	}
	rc += (int)r.nr;
	engrows_free(&r);
	if (!rc) {
		writer_printf(w, 2, "sockscope: nothing held port %u at that time\n", o->who_port);
		return SS_EXIT_NOT_HELD;
	}
	return SS_EXIT_OK;
}

static int answer_who(struct engine *en, struct store *st, struct timefmt *tf,
		      const struct cli_opts *o, const struct writer *w,
		      const struct answers_more *more)
{
	struct history_query q = {
		.port = o->who_port,
		.limit = WHO_PAST_LIMIT,
		.match = rowfilter_past_active(o) ? past_match : NULL,
		.match_arg = (void *)o,
	};
	struct engrows r = {0};
	struct section sec;
	size_t live;

	if (o->at)
		return answer_who_at(en, st, tf, o, w);
	if (en && engrows_who(&r, en, o)) {
		writer_printf(w, 2, "sockscope: out of memory\n");
		engrows_free(&r);
		return SS_EXIT_RUNTIME;
	}
	live_rows(&r, o, tf, w);
	live = r.nr;
	engrows_free(&r);
	section_init(&sec, w, "held before:", o->json);
	past_rows(en, st, tf, o, &q, NULL, NULL, more, &sec);
	if (live)
		return SS_EXIT_OK;
	writer_printf(w, 2, "sockscope: nothing holds port %u%s%s\n", o->who_port,
		      o->filter.proto == SS_PROTO_TCP	? "/tcp"
		      : o->filter.proto == SS_PROTO_UDP ? "/udp"
							: "",
		      o->netns ? " in that network namespace" : " in any network namespace");
	return SS_EXIT_NOT_HELD;
}

int answers__run_more(struct engine *en, struct store *st, struct timefmt *tf,
		      const struct cli_opts *o, const struct writer *w,
		      const struct answers_more *more)
{
	switch (o->command) {
	case SS_CMD_PORTS:
		return answer_ports(en, o, tf, w);
	case SS_CMD_WHO:
		return answer_who(en, st, tf, o, w, more);
	case SS_CMD_HISTORY:
		return answer_history(en, st, tf, o, w, more);
	default:
		writer_printf(w, 2,
			      "sockscope: only ports, who and history are "
			      "answered here\n");
		return SS_EXIT_USAGE;
	}
}

int answers__run(struct engine *en, struct store *st, struct timefmt *tf, const struct cli_opts *o,
		 const struct writer *w)
{
	return answers__run_more(en, st, tf, o, w, NULL);
}
