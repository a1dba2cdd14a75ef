// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include <string.h>

#include "lib/addrfmt.h"
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
	f->owner.len = 0;
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

/*
 * An event line is written in place in one pass (lib/sbuf.h): room for the
 * longest its fixed part can be is made once, the pieces are copied in,
 * the key strings with their lengths known when compiled, the names
 * (events, states, types) from a table of copies that are copied whole.
 */

/* A name from lib/names.h, copied whole (NAME_COPY bytes: the room made
 * for it counts them) and then cut to its length. The names are short
 * (test_format_cut checks that every one fits). */
#define NAME_COPY 32

struct name {
	char s[NAME_COPY];
	size_t len;
	bool known;
};

static struct {
	bool ready;
	struct name events[SS_EV_MAX];
	struct name states[SS_TCP_MAX_STATES];
	struct name types[8];
	struct name tcp, udp, inet, inet6;
} names;

static void name_set(struct name *n, const char *s)
{
	n->known = s != NULL;
	n->len = s ? strnlen(s, NAME_COPY - 1) : 0;
	if (s)
		memcpy(n->s, s, n->len);
}

static void names_init(void)
{
	for (unsigned int i = 0; i < SS_EV_MAX; i++)
		name_set(&names.events[i], event_name(i));
	for (unsigned int i = 0; i < SS_TCP_MAX_STATES; i++)
		name_set(&names.states[i], tcp_state_name(i));
	for (unsigned int i = 0; i < sizeof(names.types) / sizeof(names.types[0]); i++)
		name_set(&names.types[i], sock_type_name(i));
	name_set(&names.tcp, proto_name(SS_PROTO_TCP));
	name_set(&names.udp, proto_name(SS_PROTO_UDP));
	name_set(&names.inet, family_name(SS_AF_INET));
	name_set(&names.inet6, family_name(SS_AF_INET6));
	names.ready = true;
}

static char *put_name(char *p, const struct name *n)
{
	memcpy(p, n->s, NAME_COPY);
	return p + n->len;
}

/* NULL: the number has no name (the callers print it instead) */
static const struct name *state_name(unsigned int state)
{
	return state < SS_TCP_MAX_STATES && names.states[state].known ? &names.states[state] : NULL;
}

static const struct name *type_name(unsigned int type)
{
	return type < sizeof(names.types) / sizeof(names.types[0]) && names.types[type].known
		       ? &names.types[type]
		       : NULL;
}

static const struct name *proto_piece(unsigned int proto)
{
	return proto == SS_PROTO_TCP ? &names.tcp : proto == SS_PROTO_UDP ? &names.udp : NULL;
}

static const struct name *family_piece(unsigned int family)
{
	return family == SS_AF_INET ? &names.inet : family == SS_AF_INET6 ? &names.inet6 : NULL;
}

/* errno names are glibc's (at most 15 bytes today) */
#define ERRNAME_MAX 64

static size_t errname(int err, const char **s)
{
	*s = errno_name(err);
	return *s ? strnlen(*s, ERRNAME_MAX) : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

#define JU64(p, key, v) raw_u64(raw_lit(p, ",\"" key "\":"), v)

static char *jname(char *p, const struct name *n)
{
	*p++ = '"';
	p = put_name(p, n);
	*p++ = '"';
	return p;
}

static char *jstate(char *p, const struct name *n, unsigned int state)
{
	return n ? jname(p, n) : raw_u64(p, state);
}

static char *jaddr(char *p, unsigned int family, const __u8 *addr)
{
	*p++ = '"';
	p = raw_addr(p, family, addr);
	*p++ = '"';
	return p;
}

/* pid, tid, uid, comm, cgroup_id and netns: copied from the last line when
 * that line had the same owner (a busy process's events come in runs) */
static char *json_owner(struct fmt_owner_memo *m, char *p, const struct ss_event *e)
{
	_Static_assert(
		offsetof(struct ss_event, netns) + 4 - offsetof(struct ss_event, cgroup_id) == 24,
		"the owner's fields are contiguous");
	char *start = p;

	if (m->len && !memcmp(m->key, &e->cgroup_id, 24) &&
	    !memcmp(m->key + 24, e->comm, SS_COMM_LEN))
		return raw_put(p, m->text, m->len);
	p = JU64(p, "pid", e->pid);
	p = JU64(p, "tid", e->tid);
	p = JU64(p, "uid", e->uid);
	p = raw_lit(p, ",\"comm\":");
	p = raw_json_str(p, e->comm, strnlen(e->comm, sizeof(e->comm)));
	p = JU64(p, "cgroup_id", e->cgroup_id);
	if (e->netns)
		p = JU64(p, "netns", e->netns);
	m->len = 0;
	if ((size_t)(p - start) <= sizeof(m->text)) {
		memcpy(m->key, &e->cgroup_id, 24);
		memcpy(m->key + 24, e->comm, SS_COMM_LEN);
		m->len = (size_t)(p - start);
		memcpy(m->text, start, m->len);
	}
	return p;
}

/*
 * The longest the fixed part of a line can be (ts to the type's fields),
 * each name counted as NAME_COPY, the error as ERRNAME_MAX: well under it.
 */
#define JSON_FIXED_MAX 1024

static char *json_fixed(struct formatter *f, char *p, const struct ss_event *e)
{
	const char *err;
	size_t n;

	p = raw_lit(p, "{\"ts\":\"");
	p = raw_rfc3339(&f->tf, p, timefmt_real_ns(&f->tf, e->ts_ns));
	p = raw_lit(p, "\",\"event\":");
	p = jname(p, &names.events[e->hdr.type < SS_EV_MAX ? e->hdr.type : 0]);
	if (has_owner(e))
		p = json_owner(&f->owner, p, e);
	else if (e->netns)
		p = JU64(p, "netns", e->netns);
	if (!(e->hdr.flags & SS_F_NO_COOKIE) && e->cookie)
		p = JU64(p, "cookie", e->cookie);
	if (proto_piece(e->proto))
		p = jname(raw_lit(p, ",\"proto\":"), proto_piece(e->proto));
	if (family_piece(e->family))
		p = jname(raw_lit(p, ",\"family\":"), family_piece(e->family));
	if (has_local(e)) {
		p = jaddr(raw_lit(p, ",\"laddr\":"), e->laddr_family, e->laddr);
		p = JU64(p, "lport", e->lport);
	}
	if (has_remote(e)) {
		p = jaddr(raw_lit(p, ",\"raddr\":"), e->raddr_family, e->raddr);
		p = JU64(p, "rport", e->rport);
	}
	if (e->family == SS_AF_INET6)
		p = (e->hdr.flags & SS_F_V6ONLY) ? raw_lit(p, ",\"v6only\":true")
						 : raw_lit(p, ",\"v6only\":false");
	if (e->err) {
		if ((n = errname(e->err, &err))) {
			p = raw_put(raw_lit(p, ",\"error\":\""), err, n);
			*p++ = '"';
		}
		p = JU64(p, "errno", (uint64_t)e->err);
	}
	if (e->hdr.flags & SS_F_ASYNC)
		p = raw_lit(p, ",\"async\":true");
	if (e->hdr.flags & SS_F_IMPLICIT)
		p = raw_lit(p, ",\"implicit\":true");

	switch (e->hdr.type) {
	case SS_EV_SOCKET:
		p = raw_lit(p, ",\"type\":");
		if (type_name(e->u.socket.type))
			p = jname(p, type_name(e->u.socket.type));
		else
			p = raw_u64(p, e->u.socket.type);
		break;
	case SS_EV_LISTEN:
		p = JU64(p, "backlog", e->u.listen.backlog);
		break;
	case SS_EV_CONNECT_DONE:
		p = JU64(p, "latency_ns", e->u.connect.latency_ns);
		break;
	case SS_EV_CLOSE:
		if (e->u.close.duration_ns)
			p = JU64(p, "duration_ns", e->u.close.duration_ns);
		if (e->hdr.flags & SS_F_TCP_INFO) {
			p = JU64(p, "bytes_sent", e->u.close.bytes_sent);
			p = JU64(p, "bytes_received", e->u.close.bytes_received);
			p = raw_lit(p, ",\"state\":");
			p = jstate(p, state_name(e->u.close.state), e->u.close.state);
		}
		break;
	case SS_EV_STATE:
		p = raw_lit(p, ",\"old_state\":");
		p = jstate(p, state_name(e->u.state.old_state), e->u.state.old_state);
		p = raw_lit(p, ",\"new_state\":");
		p = jstate(p, state_name(e->u.state.new_state), e->u.state.new_state);
		break;
	}
	return p;
}

#define HOLDER_MAX (64 + JSON_STR_MAX(SS_COMM_LEN))

static void json_holders(struct sbuf *sb, const struct holder *h, size_t n)
{
	sbuf_lit(sb, ",\"holders\":[");
	for (size_t i = 0; i < n; i++) {
		char tmp[HOLDER_MAX];
		char *start = sbuf_begin(sb, tmp, sizeof(tmp)), *p = start;

		if (i)
			*p++ = ',';
		p = raw_u64(raw_lit(p, "{\"pid\":"), h[i].pid);
		p = raw_lit(p, ",\"comm\":");
		p = raw_json_str(p, h[i].comm, strnlen(h[i].comm, SS_COMM_LEN));
		p = JU64(p, "uid", h[i].uid);
		sbuf_end(sb, tmp, start, p);
		identity_json(sb, cg_ident_lookup(h[i].cgroup_id));
		sbuf_putc(sb, '}');
	}
	sbuf_putc(sb, ']');
}

static void json_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		       const struct event_extra *x)
{
	char tmp[JSON_FIXED_MAX];
	char *start = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, start, json_fixed(f, start, e));
	if (x && x->nr_holders)
		json_holders(sb, x->holders, x->nr_holders);
	if (x && x->expl)
		explain_json(sb, x->expl);
	if (x && x->ident)
		identity_json(sb, x->ident);
	if (x && has_owner(e))
		identity_proc_json(sb, x->proc);
	sbuf_lit(sb, "}\n");
}

/* ---- text ---------------------------------------------------------------- */

/* A column that began at col ends: padded to width - 1, then a space
 * (COL_PAD spaces are written, the room made counts them). */
#define COL_PAD 32

static char *col_end(char *col, char *p, size_t width)
{
	size_t n = (size_t)(p - col);

	memset(p, ' ', COL_PAD);
	return n < width - 1 ? col + width : p + 1;
}

static void text_col_end(struct sbuf *sb, size_t start, size_t width)
{
	sbuf_pad_from(sb, start, width - 1);
	sbuf_putc(sb, ' ');
}

/* An address column: ADDR:PORT (a local wildcard as ss prints it), or '-'
 * when the record has none. */
static char *text_addr_col(char *p, bool has, unsigned int family, const __u8 *addr,
			   unsigned int port, bool v6only)
{
	char *col = p;

	if (has)
		p = raw_portrow_local(p, family, addr, port, v6only);
	else
		*p++ = '-';
	return col_end(col, p, W_ADDR);
}

static char *text_state(char *p, unsigned int state)
{
	const struct name *n = state_name(state);

	return n ? put_name(p, n) : raw_u64(p, state);
}

static char *text_result(char *p, const struct ss_event *e)
{
	const struct name *n;
	const char *err;
	size_t len;

	if (e->err) {
		if ((len = errname(e->err, &err)))
			p = raw_put(p, err, len);
		else
			p = raw_i64(raw_lit(p, "errno="), e->err);
	} else if (e->hdr.type != SS_EV_STATE && e->hdr.type != SS_EV_CONNECT) {
		p = raw_lit(p, "ok");
	}
	if (e->hdr.flags & SS_F_IMPLICIT)
		p = raw_lit(p, " implicit");
	switch (e->hdr.type) {
	case SS_EV_SOCKET:
		p = raw_lit(p, " type=");
		if ((n = type_name(e->u.socket.type)))
			p = put_name(p, n);
		else
			*p++ = '?';
		break;
	case SS_EV_LISTEN:
		p = raw_u64(raw_lit(p, " backlog="), e->u.listen.backlog);
		break;
	case SS_EV_CONNECT:
		p = raw_lit(p, "...");
		break;
	case SS_EV_CONNECT_DONE:
		p = raw_duration(raw_lit(p, " latency="), e->u.connect.latency_ns);
		break;
	case SS_EV_CLOSE:
		if (e->u.close.duration_ns)
			p = raw_duration(raw_lit(p, " life="), e->u.close.duration_ns);
		if (e->hdr.flags & SS_F_TCP_INFO) {
			p = raw_u64(raw_lit(p, " tx="), e->u.close.bytes_sent);
			p = raw_u64(raw_lit(p, " rx="), e->u.close.bytes_received);
			*p++ = ' ';
			p = text_state(p, e->u.close.state);
		}
		break;
	case SS_EV_STATE:
		p = text_state(p, e->u.state.old_state);
		p = raw_lit(p, "->");
		p = text_state(p, e->u.state.new_state);
		break;
	}
	return p;
}

/* The longest a text line can be, padding and names copied whole counted. */
#define TEXT_LINE_MAX 1024

static char *text_line(struct formatter *f, char *p, const struct ss_event *e)
{
	const struct name *n;
	char *col = p;

	p = col_end(col, raw_clock(&f->tf, p, timefmt_real_ns(&f->tf, e->ts_ns)), W_TIME);
	col = p;
	p = col_end(col, put_name(p, &names.events[e->hdr.type < SS_EV_MAX ? e->hdr.type : 0]),
		    W_EVENT);
	col = p;
	if (has_owner(e))
		p = raw_u64(p, e->pid);
	else
		*p++ = '-';
	p = col_end(col, p, W_PID);
	col = p;
	if (has_owner(e) && e->comm[0])
		p = raw_text_str(p, e->comm, strnlen(e->comm, sizeof(e->comm)));
	else
		*p++ = '-';
	p = col_end(col, p, W_COMM);
	col = p;
	if ((n = proto_piece(e->proto)))
		p = put_name(p, n);
	else
		*p++ = '?';
	*p++ = e->family == SS_AF_INET6 ? '6' : '4';
	p = col_end(col, p, W_PROTO);

	/* only an inet6 socket's "::" can be dual-stack; a remote is never a wildcard */
	p = text_addr_col(p, has_local(e), e->laddr_family, e->laddr, e->lport,
			  e->family != SS_AF_INET6 || (e->hdr.flags & SS_F_V6ONLY));
	p = text_addr_col(p, has_remote(e), e->raddr_family, e->raddr, e->rport, true);

	p = text_result(p, e);
	*p++ = '\n';
	return p;
}

static void text_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		       const struct event_extra *x)
{
	char tmp[TEXT_LINE_MAX];
	char *start = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, start, text_line(f, start, e));
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

/*
 * A line longer than its buffer (sixteen holders with long hostile names
 * and cgroup paths, an explanation, a cmdline): never written cut, without
 * its end. It is written again with its fixed part only, which always fits
 * a line buffer: JSON says "truncated":true, text adds a note line.
 */
static void event_cut(struct formatter *f, struct sbuf *sb, size_t start, const struct ss_event *e)
{
	sb->len = start;
	if (sb->cap)
		sb->buf[start] = '\0';
	sb->overflow = false;
	if (f->json) {
		char tmp[JSON_FIXED_MAX];
		char *p = sbuf_begin(sb, tmp, sizeof(tmp));

		sbuf_end(sb, tmp, p, json_fixed(f, p, e));
		sbuf_lit(sb, ",\"truncated\":true}\n");
	} else {
		text_event(f, sb, e, NULL);
		sbuf_lit(sb, "  (the rest of this event did not fit in a line)\n");
	}
}

void format_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		  const struct event_extra *x)
{
	size_t start = sb->len;

	if (!names.ready)
		names_init();
	if (f->json)
		json_event(f, sb, e, x);
	else
		text_event(f, sb, e, x);
	if (sb->overflow && x)
		event_cut(f, sb, start, e);
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
