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
	for (size_t i = 0; i < r->nr_holders; i++) {
		if (i)
			sbuf_putc(sb, ',');
		text_str(sb, r->holders[i].comm, SS_COMM_LEN);
		sbuf_printf(sb, "(pid=%u", r->holders[i].pid);
		if (r->holders[i].fd >= 0)
			sbuf_printf(sb, ",fd=%d", r->holders[i].fd);
		sbuf_putc(sb, ')');
	}
	sbuf_putc(sb, '\n');
}

void portrow_json(struct sbuf *sb, const struct port_row *r, struct timefmt *tf)
{
	const struct ss_sockinfo *s = r->sock;
	char buf[SS_ADDRSTRLEN];

	sbuf_printf(sb, "{\"proto\":\"%s\",\"family\":\"%s\",\"state\":\"%s\"",
		    proto_name(s->proto) ? proto_name(s->proto) : "?",
		    family_name(s->family) ? family_name(s->family) : "?",
		    sock_state_name(s->proto, s->state));
	sbuf_printf(sb, ",\"laddr\":\"%s\",\"lport\":%u", addr_str(buf, s->family, s->laddr),
		    s->lport);
	if (s->rport)
		sbuf_printf(sb, ",\"raddr\":\"%s\",\"rport\":%u",
			    addr_str(buf, s->family, s->raddr), s->rport);
	sbuf_printf(sb, ",\"netns\":%u,\"cookie\":%llu", s->netns, (unsigned long long)s->cookie);
	if (s->proto == SS_PROTO_TCP && s->state == SS_TCP_TIME_WAIT)
		; /* TIME_WAIT sockets have no owner uid */
	else
		sbuf_printf(sb, ",\"uid\":%u", s->uid);
	sbuf_printf(sb, ",\"reuseaddr\":%s,\"reuseport\":%s", s->reuseaddr ? "true" : "false",
		    s->reuseport ? "true" : "false");
	if (s->family == SS_AF_INET6)
		sbuf_puts(sb, s->v6only ? ",\"v6only\":true" : ",\"v6only\":false");
	if (r->since_real_ns && tf) {
		sbuf_puts(sb, ",\"since\":\"");
		timefmt_rfc3339(tf, sb, r->since_real_ns);
		sbuf_putc(sb, '"');
	}
	if (r->change == ROW_NEW)
		sbuf_puts(sb, ",\"change\":\"new\"");
	else if (r->change == ROW_CHANGED)
		sbuf_puts(sb, ",\"change\":\"changed\"");
	else if (r->change == ROW_GONE)
		sbuf_puts(sb, ",\"change\":\"gone\"");
	identity_json(sb, portrow_ident(r));
	sbuf_puts(sb, ",\"holders\":[");
	for (size_t i = 0; i < r->nr_holders; i++) {
		const struct holder *h = &r->holders[i];

		if (i)
			sbuf_putc(sb, ',');
		sbuf_printf(sb, "{\"pid\":%u,\"comm\":", h->pid);
		json_str(sb, h->comm, SS_COMM_LEN);
		sbuf_printf(sb, ",\"uid\":%u", h->uid);
		if (h->fd >= 0)
			sbuf_printf(sb, ",\"fd\":%d", h->fd);
		identity_json(sb, cg_ident_lookup(h->cgroup_id));
		identity_proc_json(sb, proc_ident__live(h->pid));
		sbuf_putc(sb, '}');
	}
	sbuf_puts(sb, "]}\n");
}
