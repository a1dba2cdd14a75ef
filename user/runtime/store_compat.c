// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TEMPORARY ADAPTER: see store_compat.h. Reads back the flat JSON objects
 * the store prints today (its own output: no nesting but the holders).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/store_compat.h"

#undef store__history
#undef store__who_at

struct p {
	const char *s;
	int bad;
};

static void ws(struct p *p)
{
	while (*p->s == ' ')
		p->s++;
}

static bool eat(struct p *p, char c)
{
	ws(p);
	if (*p->s != c)
		return false;
	p->s++;
	return true;
}

static void put_utf8(char *out, size_t cap, size_t *n, unsigned int cp)
{
	char b[4];
	size_t k = 0;

	if (cp < 0x80) {
		b[k++] = (char)cp;
	} else if (cp < 0x800) {
		b[k++] = (char)(0xc0 | cp >> 6);
		b[k++] = (char)(0x80 | (cp & 0x3f));
	} else {
		b[k++] = (char)(0xe0 | cp >> 12);
		b[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[k++] = (char)(0x80 | (cp & 0x3f));
	}
	for (size_t i = 0; i < k && *n < cap; i++)
		out[(*n)++] = b[i];
}

/* A JSON string into out (cap bytes, NUL-terminated if it fits). */
static void str(struct p *p, char *out, size_t cap)
{
	size_t n = 0;

	if (!eat(p, '"')) {
		p->bad = 1;
		return;
	}
	while (*p->s && *p->s != '"') {
		char c = *p->s++;

		if (c == '\\') {
			c = *p->s++;
			if (c == 'n')
				c = '\n';
			else if (c == 'r')
				c = '\r';
			else if (c == 't')
				c = '\t';
			else if (c == 'u') {
				put_utf8(out, cap, &n,
					 (unsigned int)strtoul(
						 (char[5]){p->s[0], p->s[1],
							   p->s[2], p->s[3], 0},
						 NULL, 16));
				p->s += strnlen(p->s, 4);
				continue;
			} else if (!c) {
				p->bad = 1;
				return;
			}
		}
		if (n < cap)
			out[n++] = c;
	}
	if (n < cap)
		out[n] = '\0';
	if (!eat(p, '"'))
		p->bad = 1;
}

static int64_t num(struct p *p)
{
	char *end;
	int64_t v;

	ws(p);
	if (!strncmp(p->s, "true", 4)) {
		p->s += 4;
		return 1;
	}
	if (!strncmp(p->s, "false", 5)) {
		p->s += 5;
		return 0;
	}
	v = (int64_t)strtoull(p->s, &end, 10);
	if (*p->s == '-')
		v = strtoll(p->s, &end, 10);
	if (end == p->s)
		p->bad = 1;
	p->s = end;
	return v;
}

/* "2026-11-21T14:02:11.123456789Z" -> ns */
static int64_t rfc3339(const char *t)
{
	struct tm tm = {0};
	const char *frac;
	int64_t ns = 0, scale = 100000000;

	if (!strptime(t, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	frac = strchr(t, '.');
	if (frac)
		for (frac++; *frac >= '0' && *frac <= '9'; frac++, scale /= 10)
			ns += (*frac - '0') * scale;
	return (int64_t)timegm(&tm) * 1000000000 + ns;
}

#define KEY(k) (!strcmp(key, k))

static void holder_field(struct p *p, const char *key,
			 struct store_failure_holder *h,
			 struct store_holder *sh)
{
	if (KEY("comm")) {
		str(p, sh ? sh->comm : h->comm, 16);
		return;
	}
	if (!sh && (KEY("state") || KEY("laddr") || KEY("raddr"))) {
		str(p,
		    KEY("state")   ? h->state
		    : KEY("laddr") ? h->laddr
				   : h->raddr,
		    KEY("state") ? 16 : 48);
		return;
	}
	int64_t v = num(p);

	if (sh) {
		if (KEY("pid"))
			sh->pid = (uint32_t)v;
		else if (KEY("uid"))
			sh->uid = (uint32_t)v;
		return;
	}
	if (KEY("pid"))
		h->pid = (uint32_t)v, h->has_process = 1;
	else if (KEY("uid"))
		h->uid = (uint32_t)v;
	else if (KEY("cookie"))
		h->cookie = (uint64_t)v;
	else if (KEY("lport"))
		h->lport = (uint16_t)v;
	else if (KEY("rport"))
		h->rport = (uint16_t)v;
	else if (KEY("reuseaddr"))
		h->reuseaddr = (uint8_t)v;
	else if (KEY("reuseport"))
		h->reuseport = (uint8_t)v;
}

static void holders(struct p *p, struct store_row *r)
{
	uint32_t *nr = r->kind == STORE_KIND_SOCKET ? &r->socket.nr_holders
						    : &r->failure.nr_holders;

	if (!eat(p, '['))
		goto bad;
	while (!p->bad && !eat(p, ']')) {
		struct store_failure_holder fh = {0}, *h = &fh;
		struct store_holder sh = {0};
		char key[32];

		if (*nr && !eat(p, ','))
			goto bad;
		if (!eat(p, '{'))
			goto bad;
		while (!p->bad && !eat(p, '}')) {
			eat(p, ',');
			str(p, key, sizeof(key));
			if (!eat(p, ':'))
				goto bad;
			holder_field(p, key, h,
				     r->kind == STORE_KIND_SOCKET ? &sh : NULL);
		}
		if (*nr < 8 && r->kind == STORE_KIND_SOCKET)
			r->socket.holders[*nr] = sh;
		else if (*nr < 8)
			r->failure.holders[*nr] = fh;
		if (*nr < 8)
			(*nr)++;
	}
	return;
bad:
	p->bad = 1;
}

static void field(struct p *p, const char *key, struct store_row *r)
{
	struct store_socket *s = &r->socket;
	struct store_failure *f = &r->failure;
	struct store_owner *o = &r->owner;
	char t[64];

	if (KEY("kind")) {
		str(p, t, sizeof(t));
		r->kind = !strcmp(t, "socket")	  ? STORE_KIND_SOCKET
			  : !strcmp(t, "failure") ? STORE_KIND_FAILURE
						  : STORE_KIND_OWNER;
	} else if (KEY("holders")) {
		holders(p, r);
	} else if (KEY("opened") || KEY("closed") || KEY("ts")) {
		str(p, t, sizeof(t));
		if (KEY("opened"))
			s->opened_ns = rfc3339(t);
		else if (KEY("closed"))
			s->closed_ns = rfc3339(t);
		else if (r->kind == STORE_KIND_FAILURE)
			f->ts_ns = rfc3339(t);
		else
			o->ts_ns = rfc3339(t);
	} else if (r->kind == STORE_KIND_SOCKET) {
		if (KEY("proto"))
			str(p, s->proto, sizeof(s->proto));
		else if (KEY("family"))
			str(p, s->family, sizeof(s->family));
		else if (KEY("laddr"))
			str(p, s->laddr, sizeof(s->laddr));
		else if (KEY("raddr"))
			str(p, s->raddr, sizeof(s->raddr));
		else if (KEY("state"))
			str(p, s->state, sizeof(s->state));
		else {
			int64_t v = num(p);

			if (KEY("cookie"))
				s->cookie = (uint64_t)v;
			else if (KEY("netns"))
				s->netns = (uint32_t)v;
			else if (KEY("lport"))
				s->lport = (uint16_t)v;
			else if (KEY("rport"))
				s->rport = (uint16_t)v;
			else if (KEY("bytes_sent"))
				s->bytes_sent = (uint64_t)v;
			else if (KEY("bytes_received"))
				s->bytes_received = (uint64_t)v;
		}
	} else if (r->kind == STORE_KIND_FAILURE) {
		if (KEY("event"))
			str(p, f->event, sizeof(f->event));
		else if (KEY("comm"))
			str(p, f->comm, sizeof(f->comm));
		else if (KEY("proto"))
			str(p, f->proto, sizeof(f->proto));
		else if (KEY("laddr"))
			str(p, f->laddr, sizeof(f->laddr));
		else if (KEY("raddr"))
			str(p, f->raddr, sizeof(f->raddr));
		else if (KEY("error"))
			str(p, f->error, sizeof(f->error));
		else if (KEY("reason"))
			str(p, f->reason, sizeof(f->reason));
		else {
			int64_t v = num(p);

			if (KEY("pid"))
				f->pid = (uint32_t)v;
			else if (KEY("uid"))
				f->uid = (uint32_t)v;
			else if (KEY("netns"))
				f->netns = (uint32_t)v;
			else if (KEY("lport"))
				f->lport = (uint16_t)v;
			else if (KEY("rport"))
				f->rport = (uint16_t)v;
			else if (KEY("errno"))
				f->err = (int)v;
		}
	} else {
		if (KEY("action"))
			str(p, o->action, sizeof(o->action));
		else if (KEY("comm"))
			str(p, o->comm, sizeof(o->comm));
		else if (KEY("proto"))
			str(p, o->proto, sizeof(o->proto));
		else if (KEY("laddr"))
			str(p, o->laddr, sizeof(o->laddr));
		else {
			int64_t v = num(p);

			if (KEY("pid"))
				o->pid = (uint32_t)v;
			else if (KEY("uid"))
				o->uid = (uint32_t)v;
			else if (KEY("netns"))
				o->netns = (uint32_t)v;
			else if (KEY("lport"))
				o->lport = (uint16_t)v;
			else if (KEY("cookie"))
				o->cookie = (uint64_t)v;
		}
	}
}

int compat_store__parse(const char *json, struct store_row *r)
{
	struct p p = {.s = json};
	char key[32];

	memset(r, 0, sizeof(*r));
	if (!eat(&p, '{'))
		return -EINVAL;
	while (!p.bad && !eat(&p, '}')) {
		eat(&p, ',');
		str(&p, key, sizeof(key));
		if (p.bad || !eat(&p, ':'))
			return -EINVAL;
		field(&p, key, r);
	}
	return p.bad ? -EINVAL : 0;
}

struct compat {
	store_row_fn fn;
	void *arg;
	int err;
};

static void one(const char *json, void *arg)
{
	struct compat *c = arg;
	struct store_row *r;

	if (c->err)
		return;
	r = malloc(sizeof(*r));
	if (!r) {
		c->err = -ENOMEM;
		return;
	}
	if (!compat_store__parse(json, r))
		c->err = c->fn(r, c->arg);
	free(r);
}

int compat_store__history(struct store *st, const struct history_query *q,
			  store_row_fn fn, void *arg)
{
	struct compat c = {.fn = fn, .arg = arg};
	int n = store__history(st, q, one, &c);

	return n < 0 ? n : c.err < 0 ? c.err : n;
}

int compat_store__who_at(struct store *st, uint16_t port, const char *proto,
			 uint32_t netns, int64_t at_ns, store_row_fn fn,
			 void *arg)
{
	struct compat c = {.fn = fn, .arg = arg};
	int n = store__who_at(st, port, proto, netns, at_ns, one, &c);

	return n < 0 ? n : c.err < 0 ? c.err : n;
}
