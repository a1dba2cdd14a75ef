// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/answers.h"
#include "runtime/dqueries.h"
#include "runtime/engrows.h"
#include "lib/escape.h"
#include "lib/exitcodes.h"
#include "output/portrow.h"
#include "lib/timeparse.h"

void writer_printf(const struct writer *w, int stream, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		w->write(w->ctx, stream, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int dq_time(const char *what, const char *s, int64_t *out_ns, const struct writer *w)
{
	if (timeparse(s, (int64_t)real_now_ns(), out_ns)) {
		writer_printf(w, 2,
			      "sockscope: bad %s '%s': expected RFC 3339, \"2026-11-20 14:02\", or an age like 1h, 30m, 2d\n",
			      what, s);
		return SS_EXIT_USAGE;
	}
	return 0;
}

static void rows_out(const struct engrows *r, const struct cli_opts *o, struct timefmt *tf,
		     const struct writer *w, bool header)
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
		if (!i && header && !o->json)
			portrow_header(&sb);
		if (o->json)
			portrow_json(&sb, &row, tf);
		else
			portrow_text(&sb, &row);
		w->write(w->ctx, 1, sb.buf, sb.len);
	}
}

int dq_ports(struct engine *en, const struct cli_opts *o, struct timefmt *tf,
	     const struct writer *w)
{
	struct engrows r = { 0 };

	if (engrows_ports(&r, en, o)) {
		writer_printf(w, 2, "sockscope: out of memory\n");
		engrows_free(&r);
		return SS_EXIT_RUNTIME;
	}
	rows_out(&r, o, tf, w, true);
	engrows_free(&r);
	return SS_EXIT_OK;
}

struct emit_ctx {
	const struct writer *w;
	bool json;
	size_t n;
	const char *title;
};

/* A flat JSON field's text (our own rows: no nesting before the holders). */
static void jfield(const char *json, const char *key, char *out, size_t len)
{
	char pat[40];
	const char *p, *e;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (!p)
		return;
	p += strlen(pat);
	if (*p == '"') {
		p++;
		for (e = p; *e && !(*e == '"' && e[-1] != '\\'); e++)
			;
	} else {
		for (e = p; *e && *e != ',' && *e != '}'; e++)
			;
	}
	snprintf(out, len, "%.*s", (int)(e - p), p);
}

/* One stored row, as JSON or as a line for people. */
static void emit_row(const char *json, void *arg)
{
	struct emit_ctx *c = arg;
	char kind[16], ts[48], a[64], b[64], c1[64], d[64], e[16], f[16], g[32], line[1024];
	const char *holders;
	int n;

	if (!c->n++ && c->title && !c->json)
		writer_printf(c->w, 1, "%s\n", c->title);
	if (c->json) {
		c->w->write(c->w->ctx, 1, json, strlen(json));
		c->w->write(c->w->ctx, 1, "\n", 1);
		return;
	}
	jfield(json, "kind", kind, sizeof(kind));
	if (!strcmp(kind, "socket")) {
		jfield(json, "closed", ts, sizeof(ts));
		jfield(json, "proto", a, sizeof(a));
		jfield(json, "state", b, sizeof(b));
		jfield(json, "laddr", c1, sizeof(c1));
		jfield(json, "lport", e, sizeof(e));
		jfield(json, "raddr", d, sizeof(d));
		jfield(json, "rport", f, sizeof(f));
		jfield(json, "opened", g, sizeof(g));
		n = snprintf(line, sizeof(line), "%s  closed  %s %s %s:%s -> %s%s%s  opened %s  by",
			     ts, a, b, c1, e, d[0] ? d : "*", d[0] ? ":" : "", f,
			     g[0] ? g : "(before sockscope)");
	} else {
		jfield(json, "ts", ts, sizeof(ts));
		jfield(json, kind[0] == 'f' ? "event" : "action", a, sizeof(a));
		jfield(json, "proto", b, sizeof(b));
		jfield(json, "laddr", c1, sizeof(c1));
		jfield(json, "lport", e, sizeof(e));
		jfield(json, "error", d, sizeof(d));
		n = snprintf(line, sizeof(line), "%s  %-7s %s %s %s:%s %s  by", ts,
			     kind[0] == 'f' ? "failed" : "owner", a, b, c1, e, d);
	}
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	/* holders: every "pid"/"comm" pair (comm already escaped as JSON text) */
	holders = json;
	while ((holders = strstr(holders, "\"pid\":")) && (size_t)n < sizeof(line) - 64) {
		char pid[16], comm[64];

		jfield(holders, "pid", pid, sizeof(pid));
		jfield(holders, "comm", comm, sizeof(comm));
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s(pid=%s)", comm, pid);
		holders += 6;
	}
	writer_printf(c->w, 1, "%s\n", line);
}

/*
 * TEMPORARY (helper "store"): today's JSON of a stored row, rebuilt from the
 * row struct the store now returns, so emit_row() below keeps working until
 * helper "query"'s printers (output/rows.c) replace both.
 */
static void tmp_time(struct sbuf *sb, const char *key, int64_t ns)
{
	struct timefmt tf;

	timefmt_init_offset(&tf, 0);
	sbuf_puts(sb, key);
	sbuf_putc(sb, '"');
	timefmt_rfc3339(&tf, sb, ns > 0 ? (uint64_t)ns : 0);
	sbuf_putc(sb, '"');
}

static void tmp_str(struct sbuf *sb, const char *key, const char *v, size_t size)
{
	sbuf_puts(sb, key);
	json_str(sb, v, size);
}

static void tmp_local(struct sbuf *sb, const char *laddr, uint16_t lport)
{
	if (!laddr[0] && !lport)
		return;
	tmp_str(sb, ",\"laddr\":", laddr, 48);
	sbuf_printf(sb, ",\"lport\":%u", lport);
}

static void tmp_remote(struct sbuf *sb, const char *raddr, uint16_t rport)
{
	if (!rport)
		return;
	tmp_str(sb, ",\"raddr\":", raddr, 48);
	sbuf_printf(sb, ",\"rport\":%u", rport);
}

static void tmp_proc(struct sbuf *sb, uint32_t pid, uint32_t uid, const char *comm)
{
	if (!pid)
		return;
	sbuf_printf(sb, ",\"pid\":%u,\"uid\":%u", pid, uid);
	tmp_str(sb, ",\"comm\":", comm, 16);
}

static void tmp_row_json(struct sbuf *sb, const struct store_row *row)
{
	if (row->kind == STORE_KIND_SOCKET) {
		const struct store_socket *r = &row->socket;

		sbuf_printf(sb, "{\"kind\":\"socket\",\"cookie\":%llu,\"netns\":%u",
			    (unsigned long long)r->cookie, r->netns);
		tmp_str(sb, ",\"proto\":", r->proto, sizeof(r->proto));
		tmp_str(sb, ",\"family\":", r->family, sizeof(r->family));
		tmp_local(sb, r->laddr, r->lport);
		tmp_remote(sb, r->raddr, r->rport);
		if (r->state[0])
			tmp_str(sb, ",\"state\":", r->state, sizeof(r->state));
		if (r->opened_ns > 0)
			tmp_time(sb, ",\"opened\":", r->opened_ns);
		tmp_time(sb, ",\"closed\":", r->closed_ns);
		if (r->opened_ns > 0)
			sbuf_printf(sb, ",\"duration_ns\":%lld",
				    (long long)(r->closed_ns > r->opened_ns ?
							r->closed_ns - r->opened_ns : 0));
		sbuf_printf(sb, ",\"bytes_sent\":%llu,\"bytes_received\":%llu,\"holders\":[",
			    (unsigned long long)r->bytes_sent,
			    (unsigned long long)r->bytes_received);
		for (uint32_t i = 0; i < r->nr_holders; i++) {
			sbuf_printf(sb, "%s{\"pid\":%u", i ? "," : "", r->holders[i].pid);
			tmp_str(sb, ",\"comm\":", r->holders[i].comm, 16);
			sbuf_printf(sb, ",\"uid\":%u}", r->holders[i].uid);
		}
		sbuf_puts(sb, "]}");
	} else if (row->kind == STORE_KIND_FAILURE) {
		const struct store_failure *r = &row->failure;

		sbuf_puts(sb, "{\"kind\":\"failure\"");
		tmp_time(sb, ",\"ts\":", r->ts_ns);
		tmp_str(sb, ",\"event\":", r->event, sizeof(r->event));
		tmp_proc(sb, r->pid, r->uid, r->comm);
		sbuf_printf(sb, ",\"netns\":%u", r->netns);
		tmp_str(sb, ",\"proto\":", r->proto, sizeof(r->proto));
		tmp_local(sb, r->laddr, r->lport);
		tmp_remote(sb, r->raddr, r->rport);
		tmp_str(sb, ",\"error\":", r->error, sizeof(r->error));
		sbuf_printf(sb, ",\"errno\":%d", r->err);
		if (r->reason[0])
			tmp_str(sb, ",\"reason\":", r->reason, sizeof(r->reason));
		if (r->nr_holders)
			sbuf_puts(sb, ",\"holders\":[");
		for (uint32_t i = 0; i < r->nr_holders; i++) {
			const struct store_failure_holder *h = &r->holders[i];

			sbuf_puts(sb, i ? ",{" : "{");
			if (h->has_process) {
				sbuf_printf(sb, "\"pid\":%u", h->pid);
				tmp_str(sb, ",\"comm\":", h->comm, 16);
				sbuf_printf(sb, ",\"uid\":%u,", h->uid);
			}
			sbuf_printf(sb, "\"cookie\":%llu", (unsigned long long)h->cookie);
			tmp_str(sb, ",\"state\":", h->state, sizeof(h->state));
			tmp_str(sb, ",\"laddr\":", h->laddr, sizeof(h->laddr));
			sbuf_printf(sb, ",\"lport\":%u", h->lport);
			tmp_remote(sb, h->raddr, h->rport);
			sbuf_printf(sb, ",\"reuseaddr\":%s,\"reuseport\":%s}",
				    h->reuseaddr ? "true" : "false", h->reuseport ? "true" : "false");
		}
		if (r->nr_holders)
			sbuf_putc(sb, ']');
		sbuf_putc(sb, '}');
	} else {
		const struct store_owner *r = &row->owner;

		sbuf_puts(sb, "{\"kind\":\"owner\"");
		tmp_time(sb, ",\"ts\":", r->ts_ns);
		tmp_str(sb, ",\"action\":", r->action, sizeof(r->action));
		sbuf_printf(sb, ",\"netns\":%u", r->netns);
		tmp_str(sb, ",\"proto\":", r->proto, sizeof(r->proto));
		tmp_local(sb, r->laddr, r->lport);
		sbuf_printf(sb, ",\"cookie\":%llu", (unsigned long long)r->cookie);
		tmp_proc(sb, r->pid, r->uid, r->comm);
		sbuf_putc(sb, '}');
	}
}

static int emit_store_row(const struct store_row *row, void *arg)
{
	char line[8192];
	struct sbuf sb;

	sbuf_init(&sb, line, sizeof(line));
	tmp_row_json(&sb, row);
	emit_row(line, arg);
	return 0;
}

int dq_history(struct store *st, const struct cli_opts *o, const struct writer *w)
{
	struct history_query q = {
		.port = o->filter.port,
		.pid = o->filter.pid,
		.comm = o->filter.has_comm ? o->filter.comm : NULL,
		.failed = o->filter.failed_only,
		.limit = o->limit,
	};
	struct emit_ctx c = { .w = w, .json = o->json };
	int rc;

	if (o->since && (rc = dq_time("--since", o->since, &q.since_ns, w)))
		return rc;
	if (o->until && (rc = dq_time("--until", o->until, &q.until_ns, w)))
		return rc;
	rc = store__history(st, &q, emit_store_row, &c);
	if (rc < 0) {
		writer_printf(w, 2, "sockscope: history: database error (%d)\n", rc);
		return SS_EXIT_RUNTIME;
	}
	if (!rc && !o->json)
		writer_printf(w, 2, "sockscope: no history matches\n");
	return SS_EXIT_OK;
}

int dq_who(struct engine *en, struct store *st, const struct cli_opts *o, struct timefmt *tf,
	   const struct writer *w)
{
	struct engrows r = { 0 };
	struct emit_ctx c = { .w = w, .json = o->json };
	const char *proto = o->filter.proto == SS_PROTO_TCP ? "tcp" :
			    o->filter.proto == SS_PROTO_UDP ? "udp" : NULL;
	int64_t at;
	int rc;

	if (o->at) {
		if ((rc = dq_time("--at", o->at, &at, w)))
			return rc;
		if (!st) {
			writer_printf(w, 2, "sockscope: who --at needs the daemon's database\n");
			return SS_EXIT_RUNTIME;
		}
		c.title = "held at that time:";
		rc = store__who_at(st, o->who_port, proto, o->netns, at, emit_store_row, &c);
		if (rc < 0) {
			writer_printf(w, 2, "sockscope: who --at: database error (%d)\n", rc);
			return SS_EXIT_RUNTIME;
		}
		/* and the sockets still open that were already there then */
		if (en && !engrows_who(&r, en, o)) {
			size_t k = 0;

			for (size_t i = 0; i < r.nr; i++)
				if (r.v[i]->created_ns &&
				    (int64_t)timefmt_real_ns(tf, r.v[i]->created_ns) <= at)
					r.v[k++] = r.v[i];
			r.nr = k;
			if (r.nr && !o->json)
				writer_printf(w, 1, "held then and still now:\n");
			rows_out(&r, o, tf, w, true);
		}
		rc += (int)r.nr;
		engrows_free(&r);
		if (!rc) {
			writer_printf(w, 2, "sockscope: nothing held port %u at that time\n",
				      o->who_port);
			return SS_EXIT_NOT_HELD;
		}
		return SS_EXIT_OK;
	}
	if (en && engrows_who(&r, en, o)) {
		engrows_free(&r);
		return SS_EXIT_RUNTIME;
	}
	rows_out(&r, o, tf, w, true);
	if (st) {
		struct history_query q = { .port = o->who_port, .limit = 20 };

		c.title = "held before:";
		store__history(st, &q, emit_store_row, &c);
	}
	rc = r.nr ? SS_EXIT_OK : SS_EXIT_NOT_HELD;
	if (!r.nr)
		writer_printf(w, 2, "sockscope: nothing holds port %u now\n", o->who_port);
	engrows_free(&r);
	return rc;
}

int answers__run(struct engine *en, struct store *st, struct timefmt *tf,
		 const struct cli_opts *o, const struct writer *w)
{
	switch (o->command) {
	case SS_CMD_PORTS:
		return dq_ports(en, o, tf, w);
	case SS_CMD_WHO:
		return dq_who(en, st, o, tf, w);
	case SS_CMD_HISTORY:
		return dq_history(st, o, w);
	default:
		writer_printf(w, 2, "sockscope: only ports, who and history are answered here\n");
		return SS_EXIT_USAGE;
	}
}
