// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "kernel/decode.h"
#include "lib/addrfmt.h"
#include "lib/escape.h"
#include "lib/names.h"
#include "output/identity.h"
#include "output/portrow.h"

#define W_PROTO 6
#define W_STATE 12
#define W_ADDR 28
#define W_NETNS 12
#define W_IDENT 22

const char *sock_state_name(unsigned int proto, unsigned int state)
{
	if (proto == SS_PROTO_UDP)
		return state == SS_TCP_ESTABLISHED ? "ESTAB" : "UNCONN";
	return tcp_state_name(state) ? tcp_state_name(state) : "?";
}

bool sock_is_listening(const struct ss_sockinfo *s)
{
	if (s->proto == SS_PROTO_TCP)
		return s->state == SS_TCP_LISTEN;
	return s->state != SS_TCP_ESTABLISHED; /* UDP: not connected */
}

char *raw_portrow_addr(char *p, unsigned int family, const __u8 *addr, unsigned int port)
{
	bool v6 = addr_prints_v6(family, addr);

	if (v6)
		*p++ = '[';
	p = raw_addr(p, family, addr);
	if (v6)
		*p++ = ']';
	*p++ = ':';
	return raw_u64(p, port);
}

char *raw_portrow_local(char *p, unsigned int family, const __u8 *addr, unsigned int port,
			bool v6only)
{
	if (family == SS_AF_INET6 && !v6only && addr_is_zero(family, addr))
		return raw_u64(raw_lit(p, "*:"), port);
	return raw_portrow_addr(p, family, addr, port);
}

void portrow_addr(struct sbuf *sb, unsigned int family, const __u8 *addr, unsigned int port)
{
	char tmp[PORTROW_ADDR_MAX];
	char *p = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, p, raw_portrow_addr(p, family, addr, port));
}

void portrow_local(struct sbuf *sb, unsigned int family, const __u8 *addr, unsigned int port,
		   bool v6only)
{
	char tmp[PORTROW_ADDR_MAX];
	char *p = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, p, raw_portrow_local(p, family, addr, port, v6only));
}

static void col_end(struct sbuf *sb, size_t start, size_t width)
{
	sbuf_pad_from(sb, start, width - 1);
	sbuf_putc(sb, ' ');
}

void portrow_header(struct sbuf *sb)
{
	sbuf_printf(sb, "%-*s%-*s%-*s%-*s%-*s%-*s%s\n", W_PROTO, "PROTO", W_STATE, "STATE", W_ADDR,
		    "LOCAL", W_ADDR, "REMOTE", W_NETNS, "NETNS", W_IDENT, "UNIT/CONTAINER",
		    "PROCESSES");
}

const struct cg_ident *portrow_ident(const struct port_row *r)
{
	const struct cg_ident *id;

	for (size_t i = 0; i < r->nr_holders; i++)
		if ((id = cg_ident_lookup(r->holders[i].cgroup_id)))
			return id;
	return NULL;
}

/* "[,]comm(pid=N[,fd=N])" */
static void holder_text(struct sbuf *sb, const struct holder *h, size_t i)
{
	char tmp[TEXT_STR_MAX(SS_COMM_LEN) + 2 * RAW_U64_MAX + 12];
	char *p = sbuf_begin(sb, tmp, sizeof(tmp)), *e = p;

	if (i)
		*e++ = ',';
	e = raw_text_str(e, h->comm, strnlen(h->comm, SS_COMM_LEN));
	e = raw_u32(raw_lit(e, "(pid="), h->pid);
	if (h->fd >= 0)
		e = raw_u32(raw_lit(e, ",fd="), (uint32_t)h->fd);
	*e++ = ')';
	sbuf_end(sb, tmp, p, e);
}

void portrow_text(struct sbuf *sb, const struct port_row *r)
{
	const struct ss_sockinfo *s = r->sock;
	size_t col = sb->len;

	sbuf_puts(sb, proto_name(s->proto) ? proto_name(s->proto) : "?");
	sbuf_putc(sb, s->family == SS_AF_INET6 ? '6' : '4');
	col_end(sb, col, W_PROTO);
	col = sb->len;
	sbuf_puts(sb, sock_state_name(s->proto, s->state));
	col_end(sb, col, W_STATE);
	col = sb->len;
	portrow_local(sb, s->family, s->laddr, s->lport, s->v6only);
	col_end(sb, col, W_ADDR);
	col = sb->len;
	if (s->rport)
		portrow_addr(sb, s->family, s->raddr, s->rport);
	else
		sbuf_putc(sb, '*');
	col_end(sb, col, W_ADDR);
	col = sb->len;
	sbuf_u64(sb, s->netns);
	col_end(sb, col, W_NETNS);
	col = sb->len;
	identity_column(sb, portrow_ident(r));
	col_end(sb, col, W_IDENT);
	if (!r->nr_holders)
		sbuf_putc(sb, '-');
	for (size_t i = 0; i < r->nr_holders; i++)
		holder_text(sb, &r->holders[i], i);
	sbuf_putc(sb, '\n');
}

/* The fixed fields of a JSON row, up to "uid" and the reuse flags */
#define ROW_HEAD_MAX (200 + 2 * RAW_ADDR_MAX + 3 * RAW_U64_MAX)

static char *raw_str(char *p, const char *s)
{
	return raw_put(p, s, strlen(s));
}

static char *raw_row_head(char *p, const struct ss_sockinfo *s)
{
	p = raw_lit(p, "{\"proto\":\"");
	p = raw_str(p, proto_name(s->proto) ? proto_name(s->proto) : "?");
	p = raw_lit(p, "\",\"family\":\"");
	p = raw_str(p, family_name(s->family) ? family_name(s->family) : "?");
	p = raw_lit(p, "\",\"state\":\"");
	p = raw_str(p, sock_state_name(s->proto, s->state));
	p = raw_lit(p, "\",\"laddr\":\"");
	p = raw_addr(p, s->family, s->laddr);
	p = raw_lit(p, "\",\"lport\":");
	p = raw_u32(p, s->lport);
	if (s->rport) {
		p = raw_lit(p, ",\"raddr\":\"");
		p = raw_addr(p, s->family, s->raddr);
		p = raw_lit(p, "\",\"rport\":");
		p = raw_u32(p, s->rport);
	}
	p = raw_lit(p, ",\"netns\":");
	p = raw_u32(p, s->netns);
	p = raw_lit(p, ",\"cookie\":");
	p = raw_u64(p, s->cookie);
	/* TIME_WAIT sockets have no owner uid */
	if (s->proto != SS_PROTO_TCP || s->state != SS_TCP_TIME_WAIT) {
		p = raw_lit(p, ",\"uid\":");
		p = raw_u32(p, s->uid);
	}
	p = s->reuseaddr ? raw_lit(p, ",\"reuseaddr\":true") : raw_lit(p, ",\"reuseaddr\":false");
	p = s->reuseport ? raw_lit(p, ",\"reuseport\":true") : raw_lit(p, ",\"reuseport\":false");
	if (s->family == SS_AF_INET6)
		p = s->v6only ? raw_lit(p, ",\"v6only\":true") : raw_lit(p, ",\"v6only\":false");
	return p;
}

/* '{"pid":N,"comm":"...","uid":N[,"fd":N]' */
#define HOLDER_HEAD_MAX (40 + 3 * RAW_U64_MAX + JSON_STR_MAX(SS_COMM_LEN))

static char *raw_holder_head(char *p, const struct holder *h)
{
	p = raw_lit(p, "{\"pid\":");
	p = raw_u32(p, h->pid);
	p = raw_lit(p, ",\"comm\":");
	p = raw_json_str(p, h->comm, strnlen(h->comm, SS_COMM_LEN));
	p = raw_lit(p, ",\"uid\":");
	p = raw_u32(p, h->uid);
	if (h->fd >= 0) {
		p = raw_lit(p, ",\"fd\":");
		p = raw_u32(p, (uint32_t)h->fd);
	}
	return p;
}

void portrow_json(struct sbuf *sb, const struct port_row *r, struct timefmt *tf)
{
	char tmp[ROW_HEAD_MAX > HOLDER_HEAD_MAX ? ROW_HEAD_MAX : HOLDER_HEAD_MAX];
	char *p = sbuf_begin(sb, tmp, ROW_HEAD_MAX);

	/* written in place, no printf: a row costs a tenth of what it did */
	sbuf_end(sb, tmp, p, raw_row_head(p, r->sock));
	if (r->since_real_ns && tf) {
		sbuf_lit(sb, ",\"since\":\"");
		timefmt_rfc3339(tf, sb, r->since_real_ns);
		sbuf_putc(sb, '"');
	}
	if (r->change == ROW_NEW)
		sbuf_lit(sb, ",\"change\":\"new\"");
	else if (r->change == ROW_CHANGED)
		sbuf_lit(sb, ",\"change\":\"changed\"");
	else if (r->change == ROW_GONE)
		sbuf_lit(sb, ",\"change\":\"gone\"");
	identity_json(sb, portrow_ident(r));
	sbuf_lit(sb, ",\"holders\":[");
	for (size_t i = 0; i < r->nr_holders; i++) {
		const struct holder *h = &r->holders[i];

		if (i)
			sbuf_putc(sb, ',');
		p = sbuf_begin(sb, tmp, HOLDER_HEAD_MAX);
		sbuf_end(sb, tmp, p, raw_holder_head(p, h));
		identity_json(sb, cg_ident_lookup(h->cgroup_id));
		identity_proc_json(sb, proc_ident__live(h->pid));
		sbuf_putc(sb, '}');
	}
	sbuf_lit(sb, "]}\n");
}
