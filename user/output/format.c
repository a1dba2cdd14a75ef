// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "lib/escape.h"
#include "output/format.h"
#include "lib/names.h"
#include "output/identity.h"
#include "output/portrow.h"

#define W_TIME 16
#define W_EVENT 13
#define W_PID 8
#define W_COMM 17
#define W_PROTO 6
#define W_ADDR 26

void formatter_init(struct formatter *f, bool json)
{
	timefmt_init(&f->tf);
	f->json = json;
}

static bool has_local(const struct ss_event *e)
{
	return e->hdr.flags & SS_F_LOCAL;
}

static bool has_remote(const struct ss_event *e)
{
	return e->hdr.flags & SS_F_REMOTE;
}

static bool has_owner(const struct ss_event *e)
{
	return !(e->hdr.flags & SS_F_NO_OWNER);
}

/* ---- JSON ---------------------------------------------------------------- */

static void jkey(struct sbuf *sb, const char *key)
{
	sbuf_putc(sb, ',');
	sbuf_putc(sb, '"');
	sbuf_puts(sb, key);
	sbuf_puts(sb, "\":");
}

static void jstr(struct sbuf *sb, const char *key, const char *val)
{
	jkey(sb, key);
	sbuf_putc(sb, '"');
	sbuf_puts(sb, val); /* only for our own constant names */
	sbuf_putc(sb, '"');
}

static void ju64(struct sbuf *sb, const char *key, uint64_t val)
{
	jkey(sb, key);
	sbuf_u64(sb, val);
}

static void jaddr(struct sbuf *sb, const char *akey, const char *pkey, unsigned int family,
		  const __u8 *addr, unsigned int port)
{
	char buf[SS_ADDRSTRLEN];

	jstr(sb, akey, addr_str(buf, family, addr));
	ju64(sb, pkey, port);
}

static void jstate(struct sbuf *sb, const char *key, unsigned int state)
{
	const char *name = tcp_state_name(state);

	if (name)
		jstr(sb, key, name);
	else
		ju64(sb, key, state);
}

static void json_holders(struct sbuf *sb, const struct holder *h, size_t n)
{
	sbuf_puts(sb, ",\"holders\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_putc(sb, ',');
		sbuf_printf(sb, "{\"pid\":%u,\"comm\":", h[i].pid);
		json_str(sb, h[i].comm, SS_COMM_LEN);
		sbuf_printf(sb, ",\"uid\":%u", h[i].uid);
		identity_json(sb, cg_ident_lookup(h[i].cgroup_id));
		sbuf_putc(sb, '}');
	}
	sbuf_putc(sb, ']');
}

static void json_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		       const struct event_extra *x)
{
	const char *s;

	sbuf_puts(sb, "{\"ts\":\"");
	timefmt_rfc3339(&f->tf, sb, timefmt_real_ns(&f->tf, e->ts_ns));
	sbuf_putc(sb, '"');
	jstr(sb, "event", event_name(e->hdr.type));
	if (has_owner(e)) {
		ju64(sb, "pid", e->pid);
		ju64(sb, "tid", e->tid);
		ju64(sb, "uid", e->uid);
		jkey(sb, "comm");
		json_str(sb, e->comm, sizeof(e->comm));
		ju64(sb, "cgroup_id", e->cgroup_id);
	}
	if (e->netns)
		ju64(sb, "netns", e->netns);
	if (!(e->hdr.flags & SS_F_NO_COOKIE) && e->cookie)
		ju64(sb, "cookie", e->cookie);
	if ((s = proto_name(e->proto)))
		jstr(sb, "proto", s);
	if ((s = family_name(e->family)))
		jstr(sb, "family", s);
	if (has_local(e))
		jaddr(sb, "laddr", "lport", e->laddr_family, e->laddr, e->lport);
	if (has_remote(e))
		jaddr(sb, "raddr", "rport", e->raddr_family, e->raddr, e->rport);
	if (e->family == SS_AF_INET6)
		sbuf_puts(sb,
			  (e->hdr.flags & SS_F_V6ONLY) ? ",\"v6only\":true" : ",\"v6only\":false");
	if (e->err) {
		if ((s = errno_name(e->err)))
			jstr(sb, "error", s);
		ju64(sb, "errno", (uint64_t)e->err);
	}
	if (e->hdr.flags & SS_F_ASYNC)
		sbuf_puts(sb, ",\"async\":true");
	if (e->hdr.flags & SS_F_IMPLICIT)
		sbuf_puts(sb, ",\"implicit\":true");

	switch (e->hdr.type) {
	case SS_EV_SOCKET:
		if ((s = sock_type_name(e->u.socket.type)))
			jstr(sb, "type", s);
		else
			ju64(sb, "type", e->u.socket.type);
		break;
	case SS_EV_LISTEN:
		ju64(sb, "backlog", e->u.listen.backlog);
		break;
	case SS_EV_CONNECT_DONE:
		ju64(sb, "latency_ns", e->u.connect.latency_ns);
		break;
	case SS_EV_CLOSE:
		if (e->u.close.duration_ns)
			ju64(sb, "duration_ns", e->u.close.duration_ns);
		if (e->hdr.flags & SS_F_TCP_INFO) {
			ju64(sb, "bytes_sent", e->u.close.bytes_sent);
			ju64(sb, "bytes_received", e->u.close.bytes_received);
			jstate(sb, "state", e->u.close.state);
		}
		break;
	case SS_EV_STATE:
		jstate(sb, "old_state", e->u.state.old_state);
		jstate(sb, "new_state", e->u.state.new_state);
		break;
	}
	if (x && x->nr_holders)
		json_holders(sb, x->holders, x->nr_holders);
	if (x && x->expl)
		explain_json(sb, x->expl);
	if (x && x->ident)
		identity_json(sb, x->ident);
	if (x && has_owner(e))
		identity_proc_json(sb, x->proc);
	sbuf_puts(sb, "}\n");
}

/* ---- text ---------------------------------------------------------------- */

static void text_col_end(struct sbuf *sb, size_t start, size_t width)
{
	sbuf_pad_from(sb, start, width - 1);
	sbuf_putc(sb, ' ');
}

/* An address column: ADDR:PORT (a local wildcard as ss prints it), or '-'
 * when the record has none. */
static void text_addr_col(struct sbuf *sb, bool has, unsigned int family, const __u8 *addr,
			  unsigned int port, bool v6only)
{
	size_t col = sb->len;

	if (has)
		portrow_local(sb, family, addr, port, v6only);
	else
		sbuf_putc(sb, '-');
	text_col_end(sb, col, W_ADDR);
}

static void text_duration(struct sbuf *sb, uint64_t ns)
{
	if (ns < 1000000)
		sbuf_printf(sb, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		sbuf_printf(sb, "%.2fms", (double)ns / 1e6);
	else
		sbuf_printf(sb, "%.2fs", (double)ns / 1e9);
}

static void text_state(struct sbuf *sb, unsigned int state)
{
	const char *name = tcp_state_name(state);

	if (name)
		sbuf_puts(sb, name);
	else
		sbuf_u64(sb, state);
}

static void text_result(struct sbuf *sb, const struct ss_event *e)
{
	const char *s;

	if (e->err) {
		if ((s = errno_name(e->err)))
			sbuf_puts(sb, s);
		else
			sbuf_printf(sb, "errno=%d", e->err);
	} else if (e->hdr.type != SS_EV_STATE && e->hdr.type != SS_EV_CONNECT) {
		sbuf_puts(sb, "ok");
	}
	if (e->hdr.flags & SS_F_IMPLICIT)
		sbuf_puts(sb, " implicit");
	switch (e->hdr.type) {
	case SS_EV_SOCKET:
		s = sock_type_name(e->u.socket.type);
		sbuf_printf(sb, " type=%s", s ? s : "?");
		break;
	case SS_EV_LISTEN:
		sbuf_printf(sb, " backlog=%u", e->u.listen.backlog);
		break;
	case SS_EV_CONNECT:
		sbuf_puts(sb, "...");
		break;
	case SS_EV_CONNECT_DONE:
		sbuf_puts(sb, " latency=");
		text_duration(sb, e->u.connect.latency_ns);
		break;
	case SS_EV_CLOSE:
		if (e->u.close.duration_ns) {
			sbuf_puts(sb, " life=");
			text_duration(sb, e->u.close.duration_ns);
		}
		if (e->hdr.flags & SS_F_TCP_INFO) {
			sbuf_printf(sb, " tx=%llu rx=%llu ",
				    (unsigned long long)e->u.close.bytes_sent,
				    (unsigned long long)e->u.close.bytes_received);
			text_state(sb, e->u.close.state);
		}
		break;
	case SS_EV_STATE:
		text_state(sb, e->u.state.old_state);
		sbuf_puts(sb, "->");
		text_state(sb, e->u.state.new_state);
		break;
	}
}

static void text_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		       const struct event_extra *x)
{
	size_t col = sb->len;

	timefmt_clock(&f->tf, sb, timefmt_real_ns(&f->tf, e->ts_ns));
	text_col_end(sb, col, W_TIME);

	col = sb->len;
	sbuf_puts(sb, event_name(e->hdr.type));
	text_col_end(sb, col, W_EVENT);

	col = sb->len;
	if (has_owner(e))
		sbuf_u64(sb, e->pid);
	else
		sbuf_putc(sb, '-');
	text_col_end(sb, col, W_PID);

	col = sb->len;
	if (has_owner(e) && e->comm[0])
		text_str(sb, e->comm, sizeof(e->comm));
	else
		sbuf_putc(sb, '-');
	text_col_end(sb, col, W_COMM);

	col = sb->len;
	sbuf_puts(sb, proto_name(e->proto) ? proto_name(e->proto) : "?");
	sbuf_putc(sb, e->family == SS_AF_INET6 ? '6' : '4');
	text_col_end(sb, col, W_PROTO);

	/* only an inet6 socket's "::" can be dual-stack; a remote is never a wildcard */
	text_addr_col(sb, has_local(e), e->laddr_family, e->laddr, e->lport,
		      e->family != SS_AF_INET6 || (e->hdr.flags & SS_F_V6ONLY));
	text_addr_col(sb, has_remote(e), e->raddr_family, e->raddr, e->rport, true);

	text_result(sb, e);
	sbuf_putc(sb, '\n');
	if (x && x->expl)
		explain_text(sb, x->expl);
}

void format_header(struct formatter *f, struct sbuf *sb)
{
	if (f->json)
		return;
	sbuf_printf(sb, "%-*s%-*s%-*s%-*s%-*s%-*s%-*s%s\n", W_TIME, "TIME", W_EVENT, "EVENT", W_PID,
		    "PID", W_COMM, "COMM", W_PROTO, "PROTO", W_ADDR, "LOCAL", W_ADDR, "REMOTE",
		    "RESULT");
}

void format_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		  const struct event_extra *x)
{
	if (f->json)
		json_event(f, sb, e, x);
	else
		text_event(f, sb, e, x);
}

/* TIME and EVENT columns of a line sockscope itself adds to the stream. */
static void text_note_start(struct formatter *f, struct sbuf *sb, uint64_t now_real_ns,
			    const char *what)
{
	size_t col = sb->len;

	timefmt_clock(&f->tf, sb, now_real_ns);
	text_col_end(sb, col, W_TIME);
	col = sb->len;
	sbuf_puts(sb, what);
	text_col_end(sb, col, W_EVENT);
}

void format_lost(struct formatter *f, struct sbuf *sb, uint64_t lost, uint64_t since_real_ns,
		 uint64_t now_real_ns)
{
	if (f->json) {
		sbuf_puts(sb, "{\"ts\":\"");
		timefmt_rfc3339(&f->tf, sb, now_real_ns);
		sbuf_puts(sb, "\",\"event\":\"lost\",\"lost\":");
		sbuf_u64(sb, lost);
		sbuf_puts(sb, ",\"since\":\"");
		timefmt_rfc3339(&f->tf, sb, since_real_ns);
		sbuf_puts(sb, "\"}\n");
		return;
	}
	text_note_start(f, sb, now_real_ns, "lost");
	sbuf_printf(sb, "%llu records dropped by the kernel since ", (unsigned long long)lost);
	timefmt_clock(&f->tf, sb, since_real_ns);
	sbuf_puts(sb, " (ring buffer full: try --ring-size)\n");
}

void format_resync(struct formatter *f, struct sbuf *sb, uint64_t sockets, uint64_t now_real_ns)
{
	if (f->json) {
		sbuf_puts(sb, "{\"ts\":\"");
		timefmt_rfc3339(&f->tf, sb, now_real_ns);
		sbuf_printf(sb, "\",\"event\":\"resync\",\"sockets\":%llu}\n",
			    (unsigned long long)sockets);
		return;
	}
	text_note_start(f, sb, now_real_ns, "resync");
	sbuf_printf(sb, "socket table re-read from the kernel after lost records (%llu sockets)\n",
		    (unsigned long long)sockets);
}
