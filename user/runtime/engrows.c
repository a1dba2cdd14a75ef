// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "lib/grow.h"
#include "runtime/engrows.h"
#include "model/explain.h"
#include "runtime/rowfilter.h"

struct collect {
	struct engrows *r;
	const struct cli_opts *o;
	bool who;
};

static bool wanted(const struct eng_sock *s, const struct collect *c)
{
	const struct cli_opts *o = c->o;

	if (c->who) {
		if (s->info.lport != o->who_port)
			return false;
		if (!rowfilter_who(&s->info, s->holders, s->nr_holders, o))
			return false;
		return addr_covers(s->info.family, s->info.laddr, s->info.v6only, o->who_family,
				   o->who_addr) &&
		       rowfilter_holders_identity(s->holders, s->nr_holders, o);
	}
	/* --state chooses instead of listening / --all */
	if (o->fx.states ? !rowfilter_state(&s->info, o) : !o->all && !sock_is_listening(&s->info))
		return false;
	return rowfilter_match(&s->info, s->holders, s->nr_holders, o);
}

static int add(const struct eng_sock *s, void *arg)
{
	struct collect *c = arg;
	struct engrows *r = c->r;

	if (!wanted(s, c))
		return 0;
	if (r->nr == r->cap && grow_array(&r->v, &r->cap, sizeof(*r->v), 256))
		return -ENOMEM;
	r->v[r->nr++] = s;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return sockinfo_cmp(&(*(const struct eng_sock *const *)a)->info,
			    &(*(const struct eng_sock *const *)b)->info);
}

static struct sortkey row_key(const void *rec, size_t at)
{
	return sockinfo_key(&(*(const struct eng_sock *const *)rec)->info, at);
}

static int collect(struct engrows *r, struct engine *en, const struct cli_opts *o, bool who)
{
	struct collect c = {.r = r, .o = o, .who = who};
	int err;

	r->nr = 0;
	err = engine__for_each_visible(en, add, &c);
	/* in table order; by keys, or the comparator when memory is short */
	if (!err)
		keysort_array(r->v, r->nr, sizeof(*r->v), row_key, cmp);
	return err;
}

int engrows_ports(struct engrows *r, struct engine *en, const struct cli_opts *o)
{
	return collect(r, en, o, false);
}

int engrows_who(struct engrows *r, struct engine *en, const struct cli_opts *o)
{
	return collect(r, en, o, true);
}

void engrows_free(struct engrows *r)
{
	free(r->v);
	r->v = NULL;
	r->nr = r->cap = 0;
}
