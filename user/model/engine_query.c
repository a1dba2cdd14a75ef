// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading the engine's model: what ports, who, history and the explanation source
 * ask (see engine.h). Nothing here changes it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine_internal.h"
#include "model/explain.h"

/* In the kernel's tables, as ss sees them: TCP unless closed, UDP once
 * bound to a port. */
static bool visible(const struct eng_sock *s)
{
	if (s->info.proto == SS_PROTO_TCP)
		return s->info.state != SS_TCP_CLOSE;
	return s->info.lport != 0;
}

struct eng_sock *engine__find(struct engine *en, uint64_t cookie)
{
	return sock_table__find(&en->socks, cookie);
}

int engine__for_each_visible(struct engine *en, int (*fn)(const struct eng_sock *s, void *arg),
			     void *arg)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *s;

	while ((s = sock_table__next(&en->socks, &it))) {
		int rc;

		if (!visible(s))
			continue;
		rc = fn(s, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int engine__for_each_history(struct engine *en, int (*fn)(const struct eng_sock *s, void *arg),
			     void *arg)
{
	for (size_t i = 0; i < en->history.len; i++) {
		int rc = fn(sock_history__at(&en->history, i), arg);

		if (rc)
			return rc;
	}
	return 0;
}

size_t engine__port_sockets(struct engine *en, uint32_t netns, unsigned int proto,
			    unsigned int port, unsigned int af, const uint8_t *addr,
			    const struct eng_sock **out, size_t max)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *s;
	size_t n = 0;

	while ((s = sock_table__next(&en->socks, &it))) {
		const struct ss_sockinfo *k = &s->info;

		if (!visible(s) || k->netns != netns || k->proto != proto || k->lport != port)
			continue;
		if (!addr_covers(k->family, k->laddr, k->v6only, af, addr))
			continue;
		if (n < max)
			out[n] = s;
		n++;
	}
	return n;
}

const struct ss_event *engine__last_tuple(struct engine *en, const struct ss_event *e,
					  struct ss_event *out)
{
	const struct ss_sockinfo *k;
	struct eng_sock *s;
	bool local, remote;

	if (e->hdr.type != SS_EV_CLOSE &&
	    (e->hdr.type != SS_EV_STATE || e->u.state.new_state != SS_TCP_CLOSE))
		return e;
	if ((e->hdr.flags & (SS_F_LOCAL | SS_F_REMOTE)) == (SS_F_LOCAL | SS_F_REMOTE) ||
	    !e->cookie || (e->hdr.flags & SS_F_NO_COOKIE) ||
	    !(s = sock_table__find(&en->socks, e->cookie)))
		return e;
	k = &s->info;
	local = !(e->hdr.flags & SS_F_LOCAL) && k->lport;
	remote = !(e->hdr.flags & SS_F_REMOTE) && k->rport;
	if (!local && !remote)
		return e;
	*out = *e;
	if (local) {
		memcpy(out->laddr, k->laddr, SS_ADDR_LEN);
		out->laddr_family = k->family;
		out->lport = k->lport;
		out->hdr.flags |= SS_F_LOCAL;
	}
	if (remote) {
		memcpy(out->raddr, k->raddr, SS_ADDR_LEN);
		out->raddr_family = k->family;
		out->rport = k->rport;
		out->hdr.flags |= SS_F_REMOTE;
	}
	return out;
}

/* The holder rows of s, in the snapshot's shape. */
static void holder_rows(const struct eng_sock *s, struct snapshot *out)
{
	for (uint32_t k = 0; k < s->nr_holders; k++) {
		struct ss_sockinfo *h = &out->holders[out->nr_holders++];

		*h = s->info;
		h->hdr.type = SS_REC_HOLDER;
		h->pid = s->holders[k].pid;
		h->uid = s->holders[k].uid;
		h->fd = s->holders[k].fd < 0 ? 0 : (uint32_t)s->holders[k].fd;
		memcpy(h->comm, s->holders[k].comm, SS_COMM_LEN);
	}
}

/* The holders' cgroups, as the snapshot keeps them (by pid). */
static int holder_cgroups(const struct eng_sock *const *found, size_t n, size_t nh,
			  struct snapshot *out)
{
	struct snap_pidcg *v = calloc(nh ? nh : 1, sizeof(*v));
	size_t k = 0;
	int rc;

	if (!v) {
		snapshot__free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < found[i]->nr_holders; j++)
			v[k++] = (struct snap_pidcg){found[i]->holders[j].pid,
						     found[i]->holders[j].cgroup_id};
	rc = snapshot__set_cgroups(out, v, k);
	free(v);
	if (rc)
		snapshot__free(out);
	return rc;
}

int engine__port_snapshot(struct engine *en, uint32_t netns, unsigned int proto, unsigned int port,
			  struct snapshot *out)
{
	const struct eng_sock *found[64];
	size_t n, nh = 0;

	memset(out, 0, sizeof(*out));
	n = engine__port_sockets(en, netns, proto, port, 0, NULL, found, 64);
	if (n > 64)
		n = 64;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		nh += found[i]->nr_holders;
	out->socks = calloc(n, sizeof(*out->socks));
	out->holders = calloc(nh ? nh : 1, sizeof(*out->holders));
	if (!out->socks || !out->holders) {
		snapshot__free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		out->socks[out->nr_socks++] = found[i]->info;
		holder_rows(found[i], out);
	}
	snapshot__sort(out);
	return holder_cgroups(found, n, nh, out);
}

uint64_t engine__seq(const struct engine *en)
{
	return en->seq;
}

void engine__stats(const struct engine *en, struct engine_stats *st)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *s;

	*st = en->st;
	st->sockets = en->socks.nr_socks;
	st->history = en->history.len;
	st->visible = 0;
	st->listening = 0;
	while ((s = sock_table__next(&en->socks, &it))) {
		st->visible += visible(s);
		st->listening += visible(s) && sock_is_listening(&s->info);
	}
}
