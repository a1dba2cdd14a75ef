// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "kernel/decode.h"
#include "lib/addrfmt.h"
#include "lib/escape.h"
#include "lib/names.h"
#include "output/identity.h"
#include "output/rows.h"

/* A stored row's identity, from its cgroup path (false: none stored). */
static bool row_ident(const char *cgroup, struct cg_ident *id)
{
	return cgroup[0] && !cg_ident_parse(cgroup, id);
}

static void json_ident(struct sbuf *sb, const char *cgroup)
{
	struct cg_ident id;

	if (row_ident(cgroup, &id))
		identity_json(sb, &id);
}

/* "  in nginx.service", "  in 0123456789ab(docker)": when there is one */
static void text_ident(struct sbuf *sb, const char *cgroup)
{
	struct cg_ident id;

	if (row_ident(cgroup, &id) && (id.unit[0] || id.container_id[0])) {
		sbuf_puts(sb, "  in ");
		identity_column(sb, &id);
	}
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

void rows_live_marked(struct sbuf *sb, const struct port_row *r, bool tty)
{
	if (tty)
		sbuf_puts(sb, marker_color(r->change));
	else
		sbuf_putc(sb, " +*-"[r->change]);
	sbuf_putc(sb, ' ');
	portrow_text(sb, r);
	if (tty && r->change != ROW_SAME) {
		sb->len--; /* reset the colour before the newline */
		sbuf_puts(sb, "\033[0m\n");
	}
}

/* ---- JSON: the field order and omissions the database's rows always had ----
 */

/* ,"key":"value" (at most the row's array of it: a tampered file may fill it)
 */
static void j_str(struct sbuf *sb, const char *key, const char *v, size_t max)
{
	sbuf_puts(sb, key);
	json_str(sb, v, max);
}

static void j_u64(struct sbuf *sb, const char *key, uint64_t v)
{
	sbuf_puts(sb, key);
	sbuf_u64(sb, v);
}

static void j_i64(struct sbuf *sb, const char *key, int64_t v)
{
	sbuf_puts(sb, key);
	sbuf_i64(sb, v);
}

static void j_time(struct sbuf *sb, const char *key, struct timefmt *tf, int64_t ns)
{
	sbuf_puts(sb, key);
	sbuf_putc(sb, '"');
	timefmt_rfc3339(tf, sb, ns > 0 ? (uint64_t)ns : 0);
	sbuf_putc(sb, '"');
}

/* never bound: no laddr/lport at all (unknown is left out, not invented) */
static bool has_local(const char *laddr, uint16_t lport)
{
	return laddr[0] || lport;
}

static void j_local(struct sbuf *sb, const char *laddr, uint16_t lport)
{
	if (!has_local(laddr, lport))
		return;
	j_str(sb, ",\"laddr\":", laddr, 48);
	j_u64(sb, ",\"lport\":", lport);
}

static void j_remote(struct sbuf *sb, const char *raddr, uint16_t rport)
{
	if (!rport)
		return;
	j_str(sb, ",\"raddr\":", raddr, 48);
	j_u64(sb, ",\"rport\":", rport);
}

static void j_process(struct sbuf *sb, uint32_t pid, uint32_t uid, const char *comm)
{
	if (!pid)
		return;
	j_u64(sb, ",\"pid\":", pid);
	j_u64(sb, ",\"uid\":", uid);
	j_str(sb, ",\"comm\":", comm, 16);
}

static void json_socket(struct sbuf *sb, const struct store_socket *s, struct timefmt *tf)
{
	sbuf_puts(sb, "{\"kind\":\"socket\"");
	j_u64(sb, ",\"cookie\":", s->cookie);
	j_u64(sb, ",\"netns\":", s->netns);
	j_str(sb, ",\"proto\":", s->proto, sizeof(s->proto));
	j_str(sb, ",\"family\":", s->family, sizeof(s->family));
	if (!strncmp(s->family, "inet6", sizeof(s->family)))
		sbuf_puts(sb, s->v6only ? ",\"v6only\":true" : ",\"v6only\":false");
	j_local(sb, s->laddr, s->lport);
	j_remote(sb, s->raddr, s->rport);
	if (s->state[0])
		j_str(sb, ",\"state\":", s->state, sizeof(s->state));
	if (s->opened_ns > 0)
		j_time(sb, ",\"opened\":", tf, s->opened_ns);
	j_time(sb, ",\"closed\":", tf, s->closed_ns);
	if (s->opened_ns > 0)
		j_i64(sb, ",\"duration_ns\":",
		      s->closed_ns > s->opened_ns ? s->closed_ns - s->opened_ns : 0);
	j_u64(sb, ",\"bytes_sent\":", s->bytes_sent);
	j_u64(sb, ",\"bytes_received\":", s->bytes_received);
	sbuf_puts(sb, ",\"holders\":[");
	for (uint32_t i = 0; i < s->nr_holders && i < 8; i++) {
		if (i)
			sbuf_putc(sb, ',');
		j_u64(sb, "{\"pid\":", s->holders[i].pid);
		j_str(sb, ",\"comm\":", s->holders[i].comm, 16);
		j_u64(sb, ",\"uid\":", s->holders[i].uid);
		if (s->proc.flags && s->proc.pid == s->holders[i].pid)
			identity_proc_json(sb, &s->proc);
		sbuf_putc(sb, '}');
	}
	sbuf_putc(sb, ']');
	json_ident(sb, s->cgroup);
	sbuf_putc(sb, '}');
}

/* As explain_json() prints a holder (model/explain.c). */
static void json_failure_holder(struct sbuf *sb, const struct store_failure_holder *h)
{
	sbuf_putc(sb, '{');
	if (h->has_process) {
		j_u64(sb, "\"pid\":", h->pid);
		j_str(sb, ",\"comm\":", h->comm, sizeof(h->comm));
		j_u64(sb, ",\"uid\":", h->uid);
		sbuf_putc(sb, ',');
	}
	j_u64(sb, "\"cookie\":", h->cookie);
	j_str(sb, ",\"state\":", h->state, sizeof(h->state));
	j_str(sb, ",\"laddr\":", h->laddr, sizeof(h->laddr));
	j_u64(sb, ",\"lport\":", h->lport);
	j_remote(sb, h->raddr, h->rport);
	sbuf_printf(sb, ",\"reuseaddr\":%s,\"reuseport\":%s}", h->reuseaddr ? "true" : "false",
		    h->reuseport ? "true" : "false");
}

static void json_failure(struct sbuf *sb, const struct store_failure *f, struct timefmt *tf)
{
	sbuf_puts(sb, "{\"kind\":\"failure\"");
	j_time(sb, ",\"ts\":", tf, f->ts_ns);
	j_str(sb, ",\"event\":", f->event, sizeof(f->event));
	j_process(sb, f->pid, f->uid, f->comm);
	j_u64(sb, ",\"netns\":", f->netns);
	j_str(sb, ",\"proto\":", f->proto, sizeof(f->proto));
	j_local(sb, f->laddr, f->lport);
	j_remote(sb, f->raddr, f->rport);
	j_str(sb, ",\"error\":", f->error, sizeof(f->error));
	j_i64(sb, ",\"errno\":", f->err);
	if (f->reason[0])
		j_str(sb, ",\"reason\":", f->reason, sizeof(f->reason));
	if (f->nr_holders) {
		sbuf_puts(sb, ",\"holders\":[");
		for (uint32_t i = 0; i < f->nr_holders && i < 8; i++) {
			if (i)
				sbuf_putc(sb, ',');
			json_failure_holder(sb, &f->holders[i]);
		}
		sbuf_putc(sb, ']');
	}
	json_ident(sb, f->cgroup);
	identity_proc_json(sb, &f->proc);
	sbuf_putc(sb, '}');
}

static void json_owner(struct sbuf *sb, const struct store_owner *w, struct timefmt *tf)
{
	sbuf_puts(sb, "{\"kind\":\"owner\"");
	j_time(sb, ",\"ts\":", tf, w->ts_ns);
	j_str(sb, ",\"action\":", w->action, sizeof(w->action));
	j_u64(sb, ",\"netns\":", w->netns);
	j_str(sb, ",\"proto\":", w->proto, sizeof(w->proto));
	j_local(sb, w->laddr, w->lport);
	j_u64(sb, ",\"cookie\":", w->cookie);
	j_process(sb, w->pid, w->uid, w->comm);
	json_ident(sb, w->cgroup);
	identity_proc_json(sb, &w->proc);
	sbuf_putc(sb, '}');
}

void rows_past_json(struct sbuf *sb, const struct store_row *r, struct timefmt *tf)
{
	if (r->kind == STORE_KIND_SOCKET)
		json_socket(sb, &r->socket, tf);
	else if (r->kind == STORE_KIND_FAILURE)
		json_failure(sb, &r->failure, tf);
	else
		json_owner(sb, &r->owner, tf);
	sbuf_putc(sb, '\n');
}

/* ---- text: one line per row, every value one token ---- */

static void t_str(struct sbuf *sb, const char *v, size_t max)
{
	text_str(sb, v, max);
}

static void t_time(struct sbuf *sb, struct timefmt *tf, int64_t ns)
{
	timefmt_rfc3339(tf, sb, ns > 0 ? (uint64_t)ns : 0);
}

/* "ADDR:PORT" as stored; an unknown local end prints as ":" */
static void t_local(struct sbuf *sb, const char *laddr, uint16_t lport)
{
	t_str(sb, laddr, 48);
	sbuf_putc(sb, ':');
	if (has_local(laddr, lport))
		sbuf_u64(sb, lport);
}

static void t_by(struct sbuf *sb, uint32_t pid, const char *comm)
{
	sbuf_putc(sb, ' ');
	t_str(sb, comm, 16);
	sbuf_printf(sb, "(pid=%u)", pid);
}

static void text_socket(struct sbuf *sb, const struct store_socket *s, struct timefmt *tf)
{
	t_time(sb, tf, s->closed_ns);
	sbuf_puts(sb, "  closed  ");
	t_str(sb, s->proto, sizeof(s->proto));
	sbuf_putc(sb, ' ');
	t_str(sb, s->state, sizeof(s->state));
	sbuf_putc(sb, ' ');
	/* as ss and ports print it: "::" that also held the IPv4 port is "*" */
	if (!strncmp(s->family, "inet6", sizeof(s->family)) && !s->v6only &&
	    !strncmp(s->laddr, "::", sizeof(s->laddr)))
		t_local(sb, "*", s->lport);
	else
		t_local(sb, s->laddr, s->lport);
	sbuf_puts(sb, " -> ");
	if (s->rport) {
		t_str(sb, s->raddr, sizeof(s->raddr));
		sbuf_printf(sb, ":%u", s->rport);
	} else {
		sbuf_putc(sb, '*');
	}
	sbuf_puts(sb, "  opened ");
	if (s->opened_ns > 0)
		t_time(sb, tf, s->opened_ns);
	else
		sbuf_puts(sb, "(before sockscope)");
	sbuf_puts(sb, "  by");
	for (uint32_t i = 0; i < s->nr_holders && i < 8; i++)
		t_by(sb, s->holders[i].pid, s->holders[i].comm);
	text_ident(sb, s->cgroup);
}

/* "TS  failed  EVENT PROTO LOCAL ERROR  by ..." and "TS  owner   ACTION ..." */
static void text_event(struct sbuf *sb, struct timefmt *tf, int64_t ts, const char *what,
		       const char *name, const char *proto, const char *laddr, uint16_t lport,
		       const char *error)
{
	t_time(sb, tf, ts);
	sbuf_printf(sb, "  %-7s ", what);
	t_str(sb, name, 16);
	sbuf_putc(sb, ' ');
	t_str(sb, proto, 4);
	sbuf_putc(sb, ' ');
	t_local(sb, laddr, lport);
	sbuf_putc(sb, ' ');
	t_str(sb, error, 24);
	sbuf_puts(sb, "  by");
}

static void text_failure(struct sbuf *sb, const struct store_failure *f, struct timefmt *tf)
{
	text_event(sb, tf, f->ts_ns, "failed", f->event, f->proto, f->laddr, f->lport, f->error);
	if (f->pid)
		t_by(sb, f->pid, f->comm);
	for (uint32_t i = 0; i < f->nr_holders && i < 8; i++)
		if (f->holders[i].has_process)
			t_by(sb, f->holders[i].pid, f->holders[i].comm);
	text_ident(sb, f->cgroup);
}

static void text_owner(struct sbuf *sb, const struct store_owner *w, struct timefmt *tf)
{
	text_event(sb, tf, w->ts_ns, "owner", w->action, w->proto, w->laddr, w->lport, "");
	if (w->pid)
		t_by(sb, w->pid, w->comm);
	text_ident(sb, w->cgroup);
}

void rows_past_text(struct sbuf *sb, const struct store_row *r, struct timefmt *tf)
{
	if (r->kind == STORE_KIND_SOCKET)
		text_socket(sb, &r->socket, tf);
	else if (r->kind == STORE_KIND_FAILURE)
		text_failure(sb, &r->failure, tf);
	else
		text_owner(sb, &r->owner, tf);
	sbuf_putc(sb, '\n');
}

void rows_socket_of(struct store_socket *r, const struct ss_sockinfo *s, uint64_t opened_ns,
		    uint64_t closed_ns, const struct holder *h, size_t nr)
{
	memset(r, 0, sizeof(*r));
	r->cookie = s->cookie;
	r->netns = s->netns;
	rows_str(r->proto, sizeof(r->proto), proto_name(s->proto) ?: "?");
	rows_str(r->family, sizeof(r->family), family_name(s->family) ?: "?");
	rows_addr(r->laddr, sizeof(r->laddr), s->family, s->laddr);
	r->lport = s->lport;
	if (s->rport) {
		rows_addr(r->raddr, sizeof(r->raddr), s->family, s->raddr);
		r->rport = s->rport;
	}
	rows_str(r->state, sizeof(r->state), sock_state_name(s->proto, s->state));
	r->v6only = s->family == SS_AF_INET6 && s->v6only;
	r->opened_ns = (int64_t)opened_ns;
	r->closed_ns = (int64_t)closed_ns;
	for (size_t i = 0; i < nr && i < 8; i++) {
		r->holders[i].pid = h[i].pid;
		r->holders[i].uid = h[i].uid;
		memcpy(r->holders[i].comm, h[i].comm, SS_COMM_LEN);
		r->holders[i].comm[SS_COMM_LEN - 1] = '\0';
	}
	r->nr_holders = nr < 8 ? (uint32_t)nr : 8;
	rows_cgroup_of(r->cgroup, sizeof(r->cgroup), h, nr);
}

void rows_cgroup_path(char *dst, size_t len, uint64_t cgroup_id)
{
	const struct cg_ident *id = cg_ident_lookup(cgroup_id);

	rows_str(dst, len, id ? id->path : "");
}

void rows_cgroup_of(char *dst, size_t len, const struct holder *h, size_t nr)
{
	struct port_row row = {.holders = h, .nr_holders = nr};
	const struct cg_ident *id = portrow_ident(&row);

	rows_str(dst, len, id ? id->path : "");
}

void rows_str(char *dst, size_t len, const char *s)
{
	size_t n;

	if (!len)
		return;
	n = strnlen(s, len - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void rows_addr(char *dst, size_t len, unsigned int family, const __u8 *addr)
{
	char buf[RAW_ADDR_MAX + 1];

	*raw_addr(buf, family, addr) = '\0';
	rows_str(dst, len, buf);
}
