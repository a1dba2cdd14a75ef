// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>

#include "kernel/resolve.h"
#include "runtime/rowfilter.h"

static int af_of(unsigned int ss_family)
{
	return ss_family == SS_AF_INET ? AF_INET : ss_family == SS_AF_INET6 ? AF_INET6 : AF_UNSPEC;
}

/*
 * An address filter on a socket row: like the kernel's, an address the row
 * does not have (no port bound, no peer) never matches.
 */
static bool addr_ok(const struct addr_prefix *p, unsigned int family, const __u8 *addr,
		    unsigned int port)
{
	if (!p->family)
		return true;
	return port && prefix_covers(p, af_of(family), addr);
}

/* The tuple: ports and address prefixes (the kernel's tuple_passes()). */
static bool tuple_ok(const struct ss_sockinfo *s, const struct cli_opts *o)
{
	const struct ss_filter *f = &o->filter;

	if (f->lport && s->lport != f->lport)
		return false;
	if (f->rport && s->rport != f->rport)
		return false;
	if (!addr_ok(&o->fx.laddr, s->family, s->laddr, s->lport))
		return false;
	return addr_ok(&o->fx.raddr, s->family, s->raddr, s->rport);
}

/*
 * One holder for every holder filter at once (pid, comm, uid, cgroup); a
 * socket nobody holds (TIME_WAIT, orphans) has no process to match.
 */
static bool holders_ok(const struct holder *h, size_t nr, const struct cli_opts *o)
{
	const struct ss_filter *f = &o->filter;
	bool by_cgroup = o->fx.cgroup[0];

	if (!f->pid && !f->has_comm && !f->has_uid && !by_cgroup)
		return true;
	for (size_t i = 0; i < nr; i++) {
		if (f->pid && h[i].pid != f->pid)
			continue;
		if (f->has_comm && strncmp(h[i].comm, f->comm, SS_COMM_LEN))
			continue;
		if (f->has_uid && h[i].uid != f->uid)
			continue;
		/* last: it reads /proc */
		if (by_cgroup && cgroup_pid_within(h[i].pid, o->fx.cgroup) != 1)
			continue;
		return true;
	}
	return false;
}

static bool netns_ok(const struct ss_sockinfo *s, const struct cli_opts *o)
{
	return !o->netns || s->netns == o->netns;
}

bool rowfilter_match(const struct ss_sockinfo *sock, const struct holder *h, size_t nr,
		     const struct cli_opts *o)
{
	const struct ss_filter *f = &o->filter;

	if (!netns_ok(sock, o))
		return false;
	if (f->proto && sock->proto != f->proto)
		return false;
	if (f->family && sock->family != f->family)
		return false;
	if (f->port && sock->lport != f->port && sock->rport != f->port)
		return false;
	if (!tuple_ok(sock, o) || !rowfilter_holders_identity(h, nr, o))
		return false;
	return holders_ok(h, nr, o);
}

bool rowfilter_who(const struct ss_sockinfo *sock, const struct holder *h, size_t nr,
		   const struct cli_opts *o)
{
	if (!netns_ok(sock, o) || (o->filter.proto && sock->proto != o->filter.proto))
		return false;
	if (!rowfilter_state(sock, o) || !tuple_ok(sock, o))
		return false;
	if (!rowfilter_holders_identity(h, nr, o))
		return false;
	return holders_ok(h, nr, o); /* who takes no -p/-c: uid, cgroup */
}

bool rowfilter_state(const struct ss_sockinfo *sock, const struct cli_opts *o)
{
	return !o->fx.states || (sock->state < 32 && (o->fx.states & (1u << sock->state)));
}

/* ---- past rows (history) ---- */

bool rowfilter_past_active(const struct cli_opts *o)
{
	const struct ss_filter *f = &o->filter;

	return f->has_uid || o->netns || f->lport || f->rport || o->fx.laddr.family ||
	       o->fx.raddr.family || o->fx.cgroup[0];
}

/* A stored address ("10.0.0.1", "::1", "" when there was none) in p. */
static bool text_addr_ok(const struct addr_prefix *p, const char *text, unsigned int port)
{
	uint8_t a[16];

	if (!p->family)
		return true;
	if (!port || !text[0])
		return false;
	if (inet_pton(AF_INET, text, a) == 1)
		return prefix_covers(p, AF_INET, a);
	if (inet_pton(AF_INET6, text, a) == 1)
		return prefix_covers(p, AF_INET6, a);
	return false;
}

/* The tuple of a past row; rport 0 and raddr "" when it had no peer. */
static bool past_tuple_ok(const struct cli_opts *o, uint32_t netns, const char *laddr,
			  uint16_t lport, const char *raddr, uint16_t rport)
{
	const struct ss_filter *f = &o->filter;

	if (o->netns && netns != o->netns)
		return false;
	if ((f->lport && lport != f->lport) || (f->rport && rport != f->rport))
		return false;
	return text_addr_ok(&o->fx.laddr, laddr, lport) && text_addr_ok(&o->fx.raddr, raddr, rport);
}

static const char *row_cgroup(const struct store_row *r)
{
	switch (r->kind) {
	case STORE_KIND_SOCKET:
		return r->socket.cgroup;
	case STORE_KIND_FAILURE:
		return r->failure.cgroup;
	case STORE_KIND_OWNER:
		return r->owner.cgroup;
	}
	return "";
}

bool rowfilter_past(const struct store_row *r, const struct cli_opts *o)
{
	const struct ss_filter *f = &o->filter;

	/* a row's cgroup is its process's (a socket's: its first holder's);
	 * a row without one is not known to be in it */
	if (o->fx.cgroup[0] &&
	    (!row_cgroup(r)[0] || !cgroup_path_within(row_cgroup(r), o->fx.cgroup)))
		return false;
	switch (r->kind) {
	case STORE_KIND_SOCKET: {
		const struct store_socket *s = &r->socket;

		if (!past_tuple_ok(o, s->netns, s->laddr, s->lport, s->raddr, s->rport))
			return false;
		if (!f->has_uid)
			return true;
		for (uint32_t i = 0; i < s->nr_holders && i < 8; i++)
			if (s->holders[i].uid == f->uid)
				return true;
		return false;
	}
	case STORE_KIND_FAILURE: {
		const struct store_failure *s = &r->failure;

		if (!past_tuple_ok(o, s->netns, s->laddr, s->lport, s->raddr, s->rport))
			return false;
		return !f->has_uid || (s->pid && s->uid == f->uid);
	}
	case STORE_KIND_OWNER: {
		const struct store_owner *s = &r->owner;

		/* a port changing hands has no remote end */
		if (!past_tuple_ok(o, s->netns, s->laddr, s->lport, "", 0))
			return false;
		return !f->has_uid || (s->pid && s->uid == f->uid);
	}
	}
	return false;
}

bool rowfilter_identity(const struct cg_ident *id, const struct cli_opts *o)
{
	if (o->container && !cg_ident_container_matches(id, o->container))
		return false;
	if (o->unit && (!id || strcmp(id->unit, o->unit)))
		return false;
	return true;
}

bool rowfilter_holders_identity(const struct holder *h, size_t nr, const struct cli_opts *o)
{
	if (!o->container && !o->unit)
		return true;
	for (size_t i = 0; i < nr; i++)
		if (rowfilter_identity(cg_ident_lookup(h[i].cgroup_id), o))
			return true;
	return false;
}
