// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "cmd/daemon_rows.h"
#include "kernel/decode.h"
#include "lib/escape.h"
#include "lib/names.h"
#include "output/portrow.h"

static void addr_text(char *out, size_t len, unsigned int family,
		      const __u8 *addr)
{
	char buf[SS_ADDRSTRLEN];

	snprintf(out, len, "%s", addr_str(buf, family, addr));
}

static void copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, SS_COMM_LEN);
	dst[SS_COMM_LEN - 1] = '\0';
}

void daemon_row_closed(struct store_socket *r, const struct eng_sock *s,
		       const struct ss_event *e, const struct holder *holders,
		       size_t nr_holders, struct timefmt *tf)
{
	memset(r, 0, sizeof(*r));
	r->cookie = s->info.cookie;
	r->netns = s->info.netns;
	snprintf(r->proto, sizeof(r->proto), "%s",
		 proto_name(s->info.proto) ?: "?");
	snprintf(r->family, sizeof(r->family), "%s",
		 family_name(s->info.family) ?: "?");
	addr_text(r->laddr, sizeof(r->laddr), s->info.family, s->info.laddr);
	r->lport = s->info.lport;
	if (s->info.rport) {
		addr_text(r->raddr, sizeof(r->raddr), s->info.family,
			  s->info.raddr);
		r->rport = s->info.rport;
	}
	snprintf(r->state, sizeof(r->state), "%s",
		 sock_state_name(s->info.proto, s->info.state));
	if (s->created_ns)
		r->opened_ns = (int64_t)timefmt_real_ns(tf, s->created_ns);
	r->closed_ns = (int64_t)timefmt_real_ns(tf, e->ts_ns);
	if (e->hdr.flags & SS_F_TCP_INFO) {
		r->bytes_sent = e->u.close.bytes_sent;
		r->bytes_received = e->u.close.bytes_received;
	}
	r->nr_holders = nr_holders < 8 ? (uint32_t)nr_holders : 8;
	for (uint32_t i = 0; i < r->nr_holders; i++) {
		r->holders[i].pid = holders[i].pid;
		r->holders[i].uid = holders[i].uid;
		copy_comm(r->holders[i].comm, holders[i].comm);
	}
}

/* The explanation's holders as explain_json() prints them: a JSON array. */
static void holders_json(char *out, size_t len, const struct explanation *x)
{
	char buf[SS_ADDRSTRLEN];
	struct sbuf sb;

	sbuf_init(&sb, out, len);
	sbuf_putc(&sb, '[');
	for (size_t i = 0; i < x->nr_holders; i++) {
		const struct explain_holder *h = &x->holders[i];

		if (i)
			sbuf_putc(&sb, ',');
		sbuf_putc(&sb, '{');
		if (h->has_process) {
			sbuf_printf(&sb, "\"pid\":%u,\"comm\":", h->proc.pid);
			json_str(&sb, h->proc.comm, SS_COMM_LEN);
			sbuf_printf(&sb, ",\"uid\":%u,", h->proc.uid);
		}
		sbuf_printf(&sb,
			    "\"cookie\":%llu,\"state\":\"%s\",\"laddr\":\"%s\","
			    "\"lport\":%u",
			    (unsigned long long)h->sock.cookie,
			    sock_state_name(h->sock.proto, h->sock.state),
			    addr_str(buf, h->sock.family, h->sock.laddr),
			    h->sock.lport);
		if (h->sock.rport)
			sbuf_printf(
				&sb, ",\"raddr\":\"%s\",\"rport\":%u",
				addr_str(buf, h->sock.family, h->sock.raddr),
				h->sock.rport);
		sbuf_printf(&sb, ",\"reuseaddr\":%s,\"reuseport\":%s}",
			    h->sock.reuseaddr ? "true" : "false",
			    h->sock.reuseport ? "true" : "false");
	}
	sbuf_putc(&sb, ']');
	if (sb.overflow || sb.len >= len)
		out[0] = '\0'; /* never half an array */
	else
		out[sb.len] = '\0';
}

void daemon_row_failure(struct store_failure *r, const struct ss_event *e,
			const struct explanation *x, struct timefmt *tf)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = (int64_t)timefmt_real_ns(tf, e->ts_ns);
	snprintf(r->event, sizeof(r->event), "%s", event_name(e->hdr.type));
	r->pid = e->pid;
	r->uid = e->uid;
	copy_comm(r->comm, e->comm);
	r->netns = e->netns;
	snprintf(r->proto, sizeof(r->proto), "%s", proto_name(e->proto) ?: "?");
	if (e->hdr.flags & SS_F_LOCAL) {
		addr_text(r->laddr, sizeof(r->laddr), e->laddr_family,
			  e->laddr);
		r->lport = e->lport;
	}
	if (e->hdr.flags & SS_F_REMOTE) {
		addr_text(r->raddr, sizeof(r->raddr), e->raddr_family,
			  e->raddr);
		r->rport = e->rport;
	}
	r->err = e->err;
	snprintf(r->error, sizeof(r->error), "%s", errno_name(e->err) ?: "");
	if (!x)
		return;
	snprintf(r->reason, sizeof(r->reason), "%s", x->reason);
	if (x->nr_holders)
		holders_json(r->holders_json, sizeof(r->holders_json), x);
}

void daemon_row_owner(struct store_owner *r, const struct ss_event *e,
		      const char *action, struct timefmt *tf)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = (int64_t)timefmt_real_ns(tf, e->ts_ns);
	r->netns = e->netns;
	snprintf(r->proto, sizeof(r->proto), "%s", proto_name(e->proto) ?: "?");
	addr_text(r->laddr, sizeof(r->laddr), e->laddr_family, e->laddr);
	r->lport = e->lport;
	r->cookie = e->cookie;
	r->pid = e->pid;
	r->uid = e->uid;
	copy_comm(r->comm, e->comm);
	snprintf(r->action, sizeof(r->action), "%s", action);
}
