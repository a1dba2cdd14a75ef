// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "cmd/daemon_rows.h"
#include "kernel/decode.h"
#include "lib/names.h"
#include "output/portrow.h"
#include "output/rows.h"

static void copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, SS_COMM_LEN);
	dst[SS_COMM_LEN - 1] = '\0';
}

void daemon_row_closed(struct store_socket *r, const struct eng_sock *s, const struct ss_event *e,
		       const struct holder *holders, size_t nr_holders, struct timefmt *tf)
{
	rows_socket_of(r, &s->info, s->created_ns ? timefmt_real_ns(tf, s->created_ns) : 0,
		       timefmt_real_ns(tf, e->ts_ns), holders, nr_holders);
	if (e->hdr.flags & SS_F_TCP_INFO) {
		r->bytes_sent = e->u.close.bytes_sent;
		r->bytes_received = e->u.close.bytes_received;
	}
}

/* The explanation's holders, as the store keeps them (what explain_json()
 * prints for each). */
static void failure_holders(struct store_failure *r, const struct explanation *x)
{
	r->nr_holders = x->nr_holders < 8 ? (uint32_t)x->nr_holders : 8;
	for (uint32_t i = 0; i < r->nr_holders; i++) {
		const struct explain_holder *h = &x->holders[i];
		struct store_failure_holder *o = &r->holders[i];

		o->has_process = h->has_process;
		if (h->has_process) {
			o->pid = h->proc.pid;
			o->uid = h->proc.uid;
			copy_comm(o->comm, h->proc.comm);
		}
		o->cookie = h->sock.cookie;
		rows_str(o->state, sizeof(o->state), sock_state_name(h->sock.proto, h->sock.state));
		rows_addr(o->laddr, sizeof(o->laddr), h->sock.family, h->sock.laddr);
		o->lport = h->sock.lport;
		if (h->sock.rport) {
			rows_addr(o->raddr, sizeof(o->raddr), h->sock.family, h->sock.raddr);
			o->rport = h->sock.rport;
		}
		o->reuseaddr = h->sock.reuseaddr;
		o->reuseport = h->sock.reuseport;
	}
}

void daemon_row_failure(struct store_failure *r, const struct ss_event *e,
			const struct explanation *x, struct timefmt *tf)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = (int64_t)timefmt_real_ns(tf, e->ts_ns);
	rows_str(r->event, sizeof(r->event), event_name(e->hdr.type));
	r->pid = e->pid;
	r->uid = e->uid;
	copy_comm(r->comm, e->comm);
	r->netns = e->netns;
	rows_str(r->proto, sizeof(r->proto), proto_name(e->proto) ?: "?");
	if (e->hdr.flags & SS_F_LOCAL) {
		rows_addr(r->laddr, sizeof(r->laddr), e->laddr_family, e->laddr);
		r->lport = e->lport;
	}
	if (e->hdr.flags & SS_F_REMOTE) {
		rows_addr(r->raddr, sizeof(r->raddr), e->raddr_family, e->raddr);
		r->rport = e->rport;
	}
	r->err = e->err;
	rows_str(r->error, sizeof(r->error), errno_name(e->err) ?: "");
	if (!(e->hdr.flags & SS_F_NO_OWNER))
		rows_cgroup_path(r->cgroup, sizeof(r->cgroup), e->cgroup_id);
	if (!x)
		return;
	rows_str(r->reason, sizeof(r->reason), x->reason);
	failure_holders(r, x);
}

void daemon_row_owner(struct store_owner *r, const struct ss_event *e, const char *action,
		      struct timefmt *tf)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = (int64_t)timefmt_real_ns(tf, e->ts_ns);
	r->netns = e->netns;
	rows_str(r->proto, sizeof(r->proto), proto_name(e->proto) ?: "?");
	rows_addr(r->laddr, sizeof(r->laddr), e->laddr_family, e->laddr);
	r->lport = e->lport;
	r->cookie = e->cookie;
	r->pid = e->pid;
	r->uid = e->uid;
	copy_comm(r->comm, e->comm);
	rows_str(r->action, sizeof(r->action), action);
	if (!(e->hdr.flags & SS_F_NO_OWNER))
		rows_cgroup_path(r->cgroup, sizeof(r->cgroup), e->cgroup_id);
}
