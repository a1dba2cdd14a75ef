// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/decode.h"
#include "lib/escape.h"
#include "model/explain.h"
#include "model/proc_ident.h"
#include "output/identity.h"
#include "lib/names.h"

bool explain_wanted(const struct ss_event *e)
{
	switch (e->hdr.type) {
	case SS_EV_BIND:
		return e->err == EADDRINUSE || e->err == EACCES || e->err == EADDRNOTAVAIL;
	case SS_EV_LISTEN:
		return e->err == EADDRINUSE;
	case SS_EV_CONNECT_DONE:
		return e->err == EADDRNOTAVAIL;
	default:
		return false;
	}
}

bool explain_needs_snapshot(const struct ss_event *e)
{
	return explain_wanted(e) && (e->err == EADDRINUSE || e->hdr.type == SS_EV_CONNECT_DONE);
}

/* IPv4 address of (family, addr) if it is one (plain or v4-mapped). */
static bool as_v4(unsigned int family, const __u8 *addr, __u8 out[4])
{
	if (family == SS_AF_INET) {
		memcpy(out, addr, 4);
		return true;
	}
	if (family == SS_AF_INET6 && addr_is_v4mapped(addr)) {
		memcpy(out, addr + 12, 4);
		return true;
	}
	return false;
}

bool addr_covers(unsigned int family, const __u8 *laddr, bool v6only, unsigned int af,
		 const __u8 *addr)
{
	__u8 a4[4], b4[4];
	bool addr_v4;

	if (!af)
		return true;
	addr_v4 = as_v4(af, addr, b4);
	if (addr_is_zero(family, laddr)) {
		if (family == SS_AF_INET)
			return addr_v4;
		/* "::" covers IPv6, and IPv4 too unless IPV6_V6ONLY */
		return !addr_v4 || !v6only;
	}
	if (as_v4(family, laddr, a4))
		return addr_v4 && !memcmp(a4, b4, 4);
	return !addr_v4 && af == SS_AF_INET6 && !memcmp(laddr, addr, SS_ADDR_LEN);
}

/* The failing socket's own IPV6_V6ONLY: its "::" is dual-stack without it. */
static bool event_v6only(const struct ss_event *e)
{
	return e->family == SS_AF_INET6 && (e->hdr.flags & SS_F_V6ONLY);
}

/* Two local addresses that cannot both be bound to one port. */
static bool addrs_conflict(const struct ss_sockinfo *s, const struct ss_event *e)
{
	__u8 zero[SS_ADDR_LEN] = {0};
	unsigned int af = e->laddr_family;

	if (addr_covers(s->family, s->laddr, s->v6only, af, e->laddr))
		return true;
	/* the request is a wildcard covering the existing socket's address */
	if (addr_is_zero(af, e->laddr))
		return addr_covers(af, zero, event_v6only(e), s->family, s->laddr);
	return false;
}

/* An IPv6 socket on "::" without IPV6_V6ONLY: it holds the IPv4 port too. */
static bool dual_stack(const struct ss_sockinfo *s)
{
	return s->family == SS_AF_INET6 && !s->v6only && addr_is_zero(s->family, s->laddr);
}

static bool is_v4(unsigned int family, const __u8 *addr)
{
	__u8 a4[4];

	return as_v4(family, addr, a4);
}

/* Whether the conflict is the IPv4 half of a dual-stack socket, either way. */
static void stack_note(char *out, size_t len, const struct ss_event *e, const struct ss_sockinfo *s)
{
	struct ss_sockinfo me = {.family = e->family, .v6only = event_v6only(e)};

	out[0] = '\0';
	memcpy(me.laddr, e->laddr, SS_ADDR_LEN);
	if (dual_stack(s) && is_v4(e->laddr_family, e->laddr))
		snprintf(
			out, len,
			": a dual-stack IPv6 socket (IPV6_V6ONLY off), which also holds the IPv4 port");
	else if (e->laddr_family == SS_AF_INET6 && dual_stack(&me) && is_v4(s->family, s->laddr))
		snprintf(
			out, len,
			"; this socket is dual-stack (IPV6_V6ONLY off) and needs the IPv4 port too: IPV6_V6ONLY would allow this bind");
}

static bool holder_listed(const struct explanation *x, uint32_t pid)
{
	for (size_t i = 0; i < x->nr_holders; i++)
		if (x->holders[i].has_process && x->holders[i].proc.pid == pid)
			return true;
	return false;
}

static void add_holder(struct explanation *x, const struct ss_sockinfo *sock,
		       const struct ss_sockinfo *proc, uint64_t cgroup_id)
{
	struct explain_holder *h;

	/* a process is listed once, with the socket that says the most */
	if (proc && holder_listed(x, proc->pid))
		return;
	if (x->nr_holders == EXPLAIN_MAX_HOLDERS) {
		x->more_holders++;
		return;
	}
	h = &x->holders[x->nr_holders++];
	memset(h, 0, sizeof(*h));
	h->sock = *sock;
	if (proc) {
		h->has_process = true;
		h->proc.pid = proc->pid;
		h->proc.uid = proc->uid;
		h->proc.fd = (int32_t)proc->fd;
		memcpy(h->proc.comm, proc->comm, SS_COMM_LEN);
		h->proc.cgroup_id = cgroup_id;
	}
}

/* The reason, cut at its size (a long unit name is cut, never overflows). */
static void __attribute__((format(printf, 2, 3)))
reason_printf(struct explanation *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
	va_end(ap);
}

/* comm as text: every unsafe byte escaped to \xNN (at most 4 bytes each),
 * then the unit or container of cgroup_id when known ("nginx,
 * nginx.service"); cut at the buffer, which the reason bounds anyway */
#define COMM_TEXT_LEN 256

static void comm_text(char *out, size_t len, const char *comm, uint64_t cgroup_id)
{
	const struct cg_ident *id = cg_ident_lookup(cgroup_id);
	struct sbuf sb;

	sbuf_init(&sb, out, len);
	text_str(&sb, comm, SS_COMM_LEN);
	if (id && (id->container_id[0] || id->unit[0])) {
		sbuf_puts(&sb, ", ");
		identity_phrase(&sb, id);
	}
}

/* comm, and the pid the holder sees when its pid namespace is not ours */
#define WHO_TEXT_LEN (COMM_TEXT_LEN + 40)

static void holder_text(char *out, size_t len, const struct ss_sockinfo *h, uint64_t cgroup_id)
{
	const struct proc_ident *pi = proc_ident__live(h->pid);
	size_t n;

	comm_text(out, len, h->comm, cgroup_id);
	n = strlen(out);
	if (pi && (pi->flags & PI_NS) && pi->nspid != h->pid)
		snprintf(out + n, len - n, ", pid %u in its namespace", pi->nspid);
}

static void tuple_text(char *out, size_t len, const struct ss_sockinfo *s)
{
	char buf[128];
	struct sbuf sb;

	sbuf_init(&sb, buf, sizeof(buf));
	portrow_addr(&sb, s->family, s->laddr, s->lport);
	if (s->rport) {
		sbuf_puts(&sb, " -> ");
		portrow_addr(&sb, s->family, s->raddr, s->rport);
	}
	snprintf(out, len, "%s", buf);
}

/* Rank: a process-held listener/bound socket says the most, then a
 * connection held by a process, then TIME_WAIT and orphans. */
static int conflict_rank(const struct ss_sockinfo *s, size_t nr_holders)
{
	if (nr_holders && sock_is_listening(s))
		return 0;
	if (nr_holders)
		return 1;
	if (s->proto == SS_PROTO_TCP && s->state == SS_TCP_TIME_WAIT)
		return 2;
	return 3;
}

static void reuse_note(char *out, size_t len, const struct ss_event *e, const struct ss_sockinfo *s)
{
	bool mine_rp = e->hdr.flags & SS_F_REUSEPORT;

	out[0] = '\0';
	if (s->reuseport && !mine_rp)
		snprintf(out, len,
			 "; SO_REUSEPORT is set on the existing socket but not on this one");
	else if (!s->reuseport && mine_rp)
		snprintf(out, len,
			 "; SO_REUSEPORT is set on this socket but not on the existing one");
	else if (s->reuseport && mine_rp && s->uid != e->uid)
		snprintf(
			out, len,
			"; both set SO_REUSEPORT, but the sockets belong to different users (uid %u vs %u)",
			s->uid, e->uid);
}

/* A socket of the snapshot in the way of e's bind or listen. */
static bool in_the_way(const struct ss_event *e, const struct ss_sockinfo *c)
{
	if (c->netns != e->netns || c->proto != e->proto || c->lport != e->lport ||
	    c->cookie == e->cookie)
		return false;
	if (e->hdr.type == SS_EV_LISTEN && !sock_is_listening(c))
		return false;
	return addrs_conflict(c, e);
}

/*
 * The sockets in the way, best first (conflict_rank()), each process once:
 * a server with its listener and a hundred accepted connections on the
 * port is one holder, listed with its listener.
 */
static void add_holders(const struct ss_event *e, const struct snapshot *s, struct explanation *x)
{
	for (int rank = 0; rank <= 3; rank++) {
		for (size_t i = 0; i < s->nr_socks; i++) {
			const struct ss_sockinfo *c = &s->socks[i];
			const struct ss_sockinfo *procs;
			size_t n;

			if (!in_the_way(e, c))
				continue;
			procs = snapshot__holders(s, c->cookie, &n);
			if (conflict_rank(c, n) != rank)
				continue;
			if (!n)
				add_holder(x, c, NULL, 0);
			for (size_t k = 0; k < n; k++)
				add_holder(x, c, &procs[k], snapshot__pid_cgroup(s, procs[k].pid));
		}
	}
}

static bool explain_in_use(const struct ss_event *e, const struct snapshot *s,
			   struct explanation *x)
{
	const struct ss_sockinfo *best = NULL, *best_proc = NULL;
	int best_rank = 99;
	char what[160], who[WHO_TEXT_LEN], note[160], stack[160];

	for (size_t i = 0; i < s->nr_socks; i++) {
		const struct ss_sockinfo *c = &s->socks[i];
		const struct ss_sockinfo *procs;
		size_t n;
		int rank;

		if (!in_the_way(e, c))
			continue;
		procs = snapshot__holders(s, c->cookie, &n);
		rank = conflict_rank(c, n);
		if (rank < best_rank) {
			best_rank = rank;
			best = c;
			best_proc = n ? &procs[0] : NULL;
		}
	}
	add_holders(e, s, x);

	if (!best) {
		snprintf(
			x->reason, sizeof(x->reason),
			"port %u was in use when %s() ran; nothing holds it now (the holder has closed it since)",
			e->lport, e->hdr.type == SS_EV_LISTEN ? "listen" : "bind");
		return true;
	}
	tuple_text(what, sizeof(what), best);
	reuse_note(note, sizeof(note), e, best);
	stack_note(stack, sizeof(stack), e, best);
	switch (best_rank) {
	case 0:
		holder_text(who, sizeof(who), best_proc, snapshot__pid_cgroup(s, best_proc->pid));
		reason_printf(x, "port %u is held by pid %u (%s), %s %s%s%s", e->lport,
			      best_proc->pid, who,
			      best->proto == SS_PROTO_TCP ? "listening on" : "bound to", what,
			      stack, note);
		break;
	case 1:
		holder_text(who, sizeof(who), best_proc, snapshot__pid_cgroup(s, best_proc->pid));
		reason_printf(x, "port %u is in use by a %s connection %s held by pid %u (%s)%s%s",
			      e->lport, sock_state_name(best->proto, best->state), what,
			      best_proc->pid, who, stack, note);
		break;
	case 2:
		snprintf(x->reason, sizeof(x->reason),
			 "port %u is held by a TIME_WAIT connection %s (no process)%s", e->lport,
			 what,
			 e->hdr.flags & SS_F_REUSEADDR ? ""
						       : "; SO_REUSEADDR would allow this bind");
		break;
	default:
		snprintf(x->reason, sizeof(x->reason),
			 "port %u is held by a closing connection %s in %s (no process left)",
			 e->lport, what, sock_state_name(best->proto, best->state));
		break;
	}
	return true;
}

static bool explain_eacces(const struct ss_event *e, struct explanation *x)
{
	char who[COMM_TEXT_LEN];

	comm_text(who, sizeof(who), e->comm, e->cgroup_id);
	if (e->u.bind.prot_sock && e->lport < e->u.bind.prot_sock) {
		reason_printf(
			x,
			"port %u is privileged (below net.ipv4.ip_unprivileged_port_start=%u): binding it needs CAP_NET_BIND_SERVICE, which pid %u (%s) does not have",
			e->lport, e->u.bind.prot_sock, e->pid, who);
	} else {
		snprintf(
			x->reason, sizeof(x->reason),
			"permission denied for port %u, which is not privileged here: a security module or a cgroup BPF program refused the bind",
			e->lport);
	}
	return true;
}

static bool explain_bind_notavail(const struct ss_event *e, struct explanation *x)
{
	char addr[SS_ADDRSTRLEN];

	snprintf(
		x->reason, sizeof(x->reason),
		"address %s is not assigned to any interface in network namespace %u; IP_FREEBIND or net.ipv4.ip_nonlocal_bind=1 would allow binding it",
		addr_str(addr, e->laddr_family, e->laddr), e->netns);
	return true;
}

static bool explain_connect_notavail(const struct ss_event *e, const struct snapshot *s,
				     struct explanation *x)
{
	unsigned int lo = e->u.connect.port_lo, hi = e->u.connect.port_hi;
	unsigned int range = hi >= lo && lo ? hi - lo + 1 : 0;
	size_t same_dest = 0;
	char dest[128];
	struct sbuf sb;

	sbuf_init(&sb, dest, sizeof(dest));
	portrow_addr(&sb, e->raddr_family, e->raddr, e->rport);
	for (size_t i = 0; i < s->nr_socks; i++) {
		const struct ss_sockinfo *c = &s->socks[i];

		if (c->netns == e->netns && c->proto == e->proto && c->rport == e->rport &&
		    addr_covers(c->family, c->raddr, false, e->raddr_family, e->raddr) &&
		    !addr_is_zero(c->family, c->raddr))
			same_dest++;
	}
	if (range && same_dest * 2 >= range)
		snprintf(
			x->reason, sizeof(x->reason),
			"no free local port for %s: %zu sockets already use that destination and net.ipv4.ip_local_port_range is %u-%u (%u ports)",
			dest, same_dest, lo, hi, range);
	else
		snprintf(
			x->reason, sizeof(x->reason),
			"no local address/port available for %s (%zu sockets to that destination, net.ipv4.ip_local_port_range %u-%u)",
			dest, same_dest, lo, hi);
	return true;
}

bool explain_event(const struct ss_event *e, const struct snapshot *s, struct explanation *x)
{
	memset(x, 0, sizeof(*x));
	if (!explain_wanted(e) || (!s && explain_needs_snapshot(e)))
		return false;
	if (e->err == EADDRINUSE)
		return explain_in_use(e, s, x);
	if (e->err == EACCES)
		return explain_eacces(e, x);
	if (e->hdr.type == SS_EV_BIND)
		return explain_bind_notavail(e, x);
	return explain_connect_notavail(e, s, x);
}

void explain_json(struct sbuf *sb, const struct explanation *x)
{
	char buf[SS_ADDRSTRLEN];

	sbuf_puts(sb, ",\"reason\":");
	json_str(sb, x->reason, sizeof(x->reason));
	if (!x->nr_holders)
		return;
	sbuf_puts(sb, ",\"holders\":[");
	for (size_t i = 0; i < x->nr_holders; i++) {
		const struct explain_holder *h = &x->holders[i];

		if (i)
			sbuf_putc(sb, ',');
		sbuf_putc(sb, '{');
		if (h->has_process) {
			sbuf_printf(sb, "\"pid\":%u,\"comm\":", h->proc.pid);
			json_str(sb, h->proc.comm, SS_COMM_LEN);
			sbuf_printf(sb, ",\"uid\":%u", h->proc.uid);
			identity_json(sb, cg_ident_lookup(h->proc.cgroup_id));
			sbuf_putc(sb, ',');
		}
		sbuf_printf(sb, "\"cookie\":%llu,\"state\":\"%s\",\"laddr\":\"%s\",\"lport\":%u",
			    (unsigned long long)h->sock.cookie,
			    sock_state_name(h->sock.proto, h->sock.state),
			    addr_str(buf, h->sock.family, h->sock.laddr), h->sock.lport);
		if (h->sock.rport)
			sbuf_printf(sb, ",\"raddr\":\"%s\",\"rport\":%u",
				    addr_str(buf, h->sock.family, h->sock.raddr), h->sock.rport);
		sbuf_printf(sb, ",\"reuseaddr\":%s,\"reuseport\":%s}",
			    h->sock.reuseaddr ? "true" : "false",
			    h->sock.reuseport ? "true" : "false");
	}
	sbuf_putc(sb, ']');
	if (x->more_holders)
		sbuf_printf(sb, ",\"holders_omitted\":%zu", x->more_holders);
}

void explain_text(struct sbuf *sb, const struct explanation *x)
{
	sbuf_puts(sb, "    reason: ");
	/* the reason is our own text, but comm inside it was escaped already */
	sbuf_puts(sb, x->reason);
	sbuf_putc(sb, '\n');
}
