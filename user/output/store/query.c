// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The queries: the history planner and who --at, answering in row structs
 * (rendering them is output/rows.c's job). The file may have been tampered
 * with: every string is cut to its array, every blob bounds-checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "output/store/store_internal.h"

/* Into dst[size]: NUL-terminated, or filling it. */
static void col_str(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	size_t n = v ? (size_t)sqlite3_column_bytes(s, i) : 0;

	if (n > size)
		n = size;
	memcpy(dst, v ?: "", n);
	if (n < size)
		dst[n] = '\0';
}

/* Numbers are stored as SQLite's int64; unsigned ones round-trip bitwise. */
static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

#define COL_STR(s, i, field) col_str(s, i, field, sizeof(field))

/* The NR_PROC_COLS columns from column i on; a NULL is not known. */
static void read_proc(struct proc_ident *p, sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) != SQLITE_NULL &&
	    sqlite3_column_type(s, i + 1) != SQLITE_NULL) {
		p->nspid = (uint32_t)col_u64(s, i);
		p->pidns = (uint32_t)col_u64(s, i + 1);
		p->flags |= PI_NS;
	}
	if (sqlite3_column_type(s, i + 2) != SQLITE_NULL) {
		p->ppid = (uint32_t)col_u64(s, i + 2);
		p->flags |= PI_PPID;
		COL_STR(s, i + 3, p->pcomm);
	}
	if (sqlite3_column_type(s, i + 4) != SQLITE_NULL) {
		COL_STR(s, i + 4, p->exe);
		p->flags |= PI_EXE;
	}
	if (sqlite3_column_type(s, i + 5) != SQLITE_NULL) {
		COL_STR(s, i + 5, p->cmdline);
		p->flags |= PI_CMDLINE;
	}
}

static void read_socket(struct store_socket *r, sqlite3_stmt *s)
{
	memset(r, 0, sizeof(*r));
	r->cookie = col_u64(s, SC_COOKIE);
	r->netns = (uint32_t)col_u64(s, SC_NETNS);
	COL_STR(s, SC_PROTO, r->proto);
	COL_STR(s, SC_FAMILY, r->family);
	COL_STR(s, SC_LADDR, r->laddr);
	r->lport = (uint16_t)col_u64(s, SC_LPORT);
	COL_STR(s, SC_RADDR, r->raddr);
	r->rport = (uint16_t)col_u64(s, SC_RPORT);
	COL_STR(s, SC_STATE, r->state);
	r->opened_ns = sqlite3_column_int64(s, SC_OPENED);
	r->closed_ns = sqlite3_column_int64(s, SC_CLOSED);
	r->bytes_sent = col_u64(s, SC_SENT);
	r->bytes_received = col_u64(s, SC_RECEIVED);
	r->nr_holders = holders_decode(r->holders, sqlite3_column_blob(s, SC_HOLDERS),
				       (size_t)sqlite3_column_bytes(s, SC_HOLDERS));
	r->v6only = col_u64(s, SC_V6ONLY) != 0;
	COL_STR(s, SC_CGROUP, r->cgroup);
	if (sqlite3_column_type(s, SC_CLOSER) != SQLITE_NULL) {
		r->proc.pid = (uint32_t)col_u64(s, SC_CLOSER);
		read_proc(&r->proc, s, SC_PROC);
	}
}

static void read_failure(struct store_failure *r, sqlite3_stmt *s)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = sqlite3_column_int64(s, FC_TS);
	COL_STR(s, FC_EVENT, r->event);
	r->pid = (uint32_t)col_u64(s, FC_PID);
	r->uid = (uint32_t)col_u64(s, FC_UID);
	COL_STR(s, FC_COMM, r->comm);
	r->netns = (uint32_t)col_u64(s, FC_NETNS);
	COL_STR(s, FC_PROTO, r->proto);
	COL_STR(s, FC_LADDR, r->laddr);
	r->lport = (uint16_t)col_u64(s, FC_LPORT);
	COL_STR(s, FC_RADDR, r->raddr);
	r->rport = (uint16_t)col_u64(s, FC_RPORT);
	r->err = sqlite3_column_int(s, FC_ERRNO);
	COL_STR(s, FC_ERROR, r->error);
	COL_STR(s, FC_REASON, r->reason);
	COL_STR(s, FC_CGROUP, r->cgroup);
	/* older versions' JSON text is TEXT: no holders */
	if (sqlite3_column_type(s, FC_HOLDERS) == SQLITE_BLOB)
		fholders_decode(r, sqlite3_column_blob(s, FC_HOLDERS),
				(size_t)sqlite3_column_bytes(s, FC_HOLDERS));
	read_proc(&r->proc, s, FC_PROC);
}

static void read_owner(struct store_owner *r, sqlite3_stmt *s)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = sqlite3_column_int64(s, OC_TS);
	COL_STR(s, OC_ACTION, r->action);
	r->netns = (uint32_t)col_u64(s, OC_NETNS);
	COL_STR(s, OC_PROTO, r->proto);
	COL_STR(s, OC_LADDR, r->laddr);
	r->lport = (uint16_t)col_u64(s, OC_LPORT);
	r->cookie = col_u64(s, OC_COOKIE);
	r->pid = (uint32_t)col_u64(s, OC_PID);
	r->uid = (uint32_t)col_u64(s, OC_UID);
	COL_STR(s, OC_COMM, r->comm);
	COL_STR(s, OC_CGROUP, r->cgroup);
	read_proc(&r->proc, s, OC_PROC);
}

static void read_row(struct store_row *row, int k, sqlite3_stmt *s)
{
	row->kind = 1u << k;
	if (k == Q_SOCKET)
		read_socket(&row->socket, s);
	else if (k == Q_FAILURE)
		read_failure(&row->failure, s);
	else
		read_owner(&row->owner, s);
}

/* The current row of s, of kind k (Q_*), to fn; fn's answer. */
static int emit(int k, sqlite3_stmt *s, int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	struct store_row row;

	read_row(&row, k, s);
	return fn(&row, arg);
}

static void bind_named_i64(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

/*
 * The SQL of one kind's part of a history query, newest first, with only
 * the conditions asked for. Unbucketed (no port, pid or comm): the time
 * index. Bucketed: the rows of time bucket :b, found by one "driver"
 * subquery on a bucketed index (the port's if there is one); the other
 * conditions only filter those rows, and the unary + keeps the planner from
 * trading the driver for a scan of the time index or of the whole bucket.
 */
static void history_sql(struct sbuf *sb, int kind, const struct history_query *q, bool bucketed)
{
	static const char *const cols[NR_QUEUES] = {SOCKET_COLS, FAILURE_COLS, OWNER_COLS};
	const char *t = store_time_col[kind], *tbl = store_table[kind];
	bool by_port = q->port, by_holder = q->pid || q->comm;
	const char *plus = bucketed ? "+" : "";

	sbuf_printf(sb, "SELECT %s FROM %s WHERE 1", cols[kind], tbl);
	if (by_port) {
		sbuf_printf(sb,
			    " AND id IN (SELECT id FROM %s WHERE (%s >> " BUCKET_SQL
			    ") = :b AND lport = :port",
			    tbl, t);
		/* both sides, two index ranges; IN makes a set of them */
		if (kind != Q_OWNER)
			sbuf_printf(sb,
				    " UNION ALL SELECT id FROM %s WHERE (%s "
				    ">> " BUCKET_SQL ") = :b AND rport = :port",
				    tbl, t);
		sbuf_putc(sb, ')');
	}
	if (by_holder && kind == Q_SOCKET) {
		/* any holder; pid and comm, if both, of the same one */
		sbuf_puts(sb, " AND id IN (SELECT socket_id FROM socket_holder"
			      " WHERE " BUCKET("closed_ns") " = :b");
		if (q->pid)
			sbuf_puts(sb, " AND pid = :pid");
		if (q->comm)
			sbuf_puts(sb, " AND comm = :comm");
		sbuf_putc(sb, ')');
	} else if (by_holder && by_port) {
		if (q->pid)
			sbuf_puts(sb, " AND +pid = :pid");
		if (q->comm)
			sbuf_puts(sb, " AND +comm = :comm");
	} else if (by_holder) {
		sbuf_printf(sb, " AND id IN (SELECT id FROM %s WHERE (%s >> " BUCKET_SQL ") = :b",
			    tbl, t);
		if (q->pid)
			sbuf_puts(sb, " AND pid = :pid");
		if (q->comm)
			sbuf_puts(sb, " AND comm = :comm");
		sbuf_putc(sb, ')');
	}
	/* filters only: the identity is derived from the path (identity_sql.c) */
	if (q->unit)
		sbuf_puts(sb, " AND ss_unit(cgroup) = :unit");
	if (q->container)
		sbuf_puts(sb,
			  " AND substr(ss_container(cgroup), 1, length(:container)) = :container");
	if (q->since_ns)
		sbuf_printf(sb, " AND %s%s >= :since", plus, t);
	if (q->until_ns)
		sbuf_printf(sb, " AND %s%s <= :until", plus, t);
	sbuf_printf(sb, " ORDER BY %s DESC, id DESC LIMIT :limit", t);
}

struct history_out {
	uint32_t limit; /* 0: none */
	int count;
	bool stopped; /* fn said so */
	int (*fn)(const struct store_row *r, void *arg);
	void *arg;
	bool (*match)(const struct store_row *r, void *arg); /* NULL: every row */
	void *match_arg;
};

/* The current row of kind k to out->fn if it matches; counted if given. */
static void history_give(int k, sqlite3_stmt *s, struct history_out *out)
{
	struct store_row row;

	read_row(&row, k, s);
	if (out->match && !out->match(&row, out->match_arg))
		return;
	out->count++;
	if (out->fn(&row, out->arg))
		out->stopped = true;
}

static bool history_full(const struct history_out *out)
{
	return out->stopped || (out->limit && (uint32_t)out->count >= out->limit);
}

/* Runs the statements (NULL: kind not asked for), each newest first, and
 * emits their rows merged newest first. */
static int history_merge(sqlite3_stmt *s[NR_QUEUES], struct history_out *out)
{
	bool live[NR_QUEUES] = {false};
	int rc;

	for (int k = 0; k < NR_QUEUES; k++) {
		if (!s[k])
			continue;
		rc = sqlite3_step(s[k]);
		live[k] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc;
	}
	while (!history_full(out)) {
		int best = -1;

		for (int k = 0; k < NR_QUEUES; k++) {
			if (!live[k])
				continue;
			if (best < 0 ||
			    sqlite3_column_int64(s[k], 1) > sqlite3_column_int64(s[best], 1))
				best = k;
		}
		if (best < 0)
			break;
		history_give(best, s[best], out);
		if (out->stopped)
			break;
		rc = sqlite3_step(s[best]);
		live[best] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* The time of the newest row of the asked kinds at or before lim; -1: none */
static int history_latest(sqlite3_stmt *prev[NR_QUEUES], int64_t lim, int64_t *t)
{
	int rc;

	*t = -1;
	for (int k = 0; k < NR_QUEUES; k++) {
		if (!prev[k])
			continue;
		sqlite3_reset(prev[k]);
		sqlite3_bind_int64(prev[k], 1, lim);
		rc = sqlite3_step(prev[k]);
		if (rc != SQLITE_ROW)
			return rc;
		if (sqlite3_column_type(prev[k], 0) != SQLITE_NULL &&
		    sqlite3_column_int64(prev[k], 0) > *t)
			*t = sqlite3_column_int64(prev[k], 0);
	}
	return SQLITE_OK;
}

/*
 * With a port, pid or comm the bucketed indexes answer, one bucket at a
 * time from the newest: every bucket is a few short index ranges, and a
 * limit stops the walk early. Empty buckets are skipped (the time indexes
 * give the next one), so the cost follows the rows, not the time span.
 */
static int history_buckets(struct store *st, sqlite3_stmt *s[NR_QUEUES],
			   const struct history_query *q, struct history_out *out)
{
	sqlite3_stmt *prev[NR_QUEUES] = {NULL};
	int64_t lim = q->until_ns ? q->until_ns : INT64_MAX, t;
	int64_t lo = clamp_time(q->since_ns) >> BUCKET_SHIFT;
	char sql[96];
	int rc = SQLITE_OK;

	for (int k = 0; k < NR_QUEUES && !rc; k++) {
		if (!s[k])
			continue;
		snprintf(sql, sizeof(sql), "SELECT max(%s) FROM %s WHERE %s <= ?",
			 store_time_col[k], store_table[k], store_time_col[k]);
		rc = sqlite3_prepare_v2(st->db, sql, -1, &prev[k], NULL);
	}
	while (!rc && lim >= 0 && !history_full(out)) {
		int64_t b;

		rc = history_latest(prev, lim, &t);
		if (rc || t < 0)
			break;
		b = t >> BUCKET_SHIFT;
		if (b < lo)
			break;
		for (int k = 0; k < NR_QUEUES; k++) {
			if (!s[k])
				continue;
			sqlite3_reset(s[k]);
			bind_named_i64(s[k], ":b", b);
		}
		rc = history_merge(s, out);
		lim = (b << BUCKET_SHIFT) - 1;
	}
	for (int k = 0; k < NR_QUEUES; k++)
		sqlite3_finalize(prev[k]);
	return rc;
}

int store__history(struct store *st, const struct history_query *q,
		   int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	sqlite3_stmt *s[NR_QUEUES] = {NULL};
	uint32_t kinds =
		q->failed ? STORE_KIND_FAILURE
			  : (q->kinds ?: STORE_KIND_SOCKET | STORE_KIND_FAILURE | STORE_KIND_OWNER);
	bool bucketed = q->port || q->pid || q->comm;
	struct history_out out = {
		.limit = q->limit,
		.fn = fn,
		.arg = arg,
		.match = q->match,
		.match_arg = q->match_arg,
	};
	char sqlbuf[2048];
	int rc = SQLITE_OK, ret;

	store_lock(&st->dblock);
	st->errmsg[0] = '\0';
	ret = db_ready(st, st->errmsg, sizeof(st->errmsg));
	if (ret)
		goto out;
	for (int k = 0; k < NR_QUEUES; k++) {
		struct sbuf sb;

		if (!(kinds & (1u << k)))
			continue;
		sbuf_init(&sb, sqlbuf, sizeof(sqlbuf));
		history_sql(&sb, k, q, bucketed);
		rc = sqlite3_prepare_v2(st->db, sqlbuf, -1, &s[k], NULL);
		if (rc)
			goto fail;
		bind_named_i64(s[k], ":port", q->port);
		bind_named_i64(s[k], ":pid", q->pid);
		bind_named_i64(s[k], ":since", q->since_ns);
		bind_named_i64(s[k], ":until", q->until_ns);
		/* with more conditions, rows past the limit may be the ones */
		bind_named_i64(s[k], ":limit", q->limit && !q->match ? (int64_t)q->limit : -1);
		if (q->comm)
			sqlite3_bind_text(s[k], sqlite3_bind_parameter_index(s[k], ":comm"),
					  q->comm, -1, SQLITE_STATIC);
		if (q->unit)
			sqlite3_bind_text(s[k], sqlite3_bind_parameter_index(s[k], ":unit"),
					  q->unit, -1, SQLITE_STATIC);
		if (q->container)
			sqlite3_bind_text(s[k], sqlite3_bind_parameter_index(s[k], ":container"),
					  q->container, -1, SQLITE_STATIC);
	}
	rc = bucketed ? history_buckets(st, s, q, &out) : history_merge(s, &out);
	if (rc)
		goto fail;
	ret = out.count;
	goto out;
fail:
	ret = db_fail(st, rc, "history", st->errmsg, sizeof(st->errmsg));
out:
	for (int k = 0; k < NR_QUEUES; k++)
		sqlite3_finalize(s[k]);
	store_unlock(&st->dblock);
	return ret;
}

struct who_hit {
	int64_t id, opened;
};

/* Most recently opened first; unknown openings (0) last. */
static int who_hit_cmp(const void *a, const void *b)
{
	const struct who_hit *x = a, *y = b;

	if (x->opened != y->opened)
		return x->opened < y->opened ? 1 : -1;
	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/*
 * Sockets open at AT: opened <= AT <= closed. An index on either time alone
 * still scans every socket closed after AT (or opened before it), which on
 * a busy port is most of the table. So by life: a socket that lived less
 * than a bucket and was open at AT closed in AT's bucket or the next one,
 * two index lookups. The longer-lived ones (listeners, long connections,
 * sockets older than sockscope) are few and have a partial index of their
 * own, read from AT on without touching the rows. The cost follows the
 * answer and the long-lived sockets since AT, not the size of the table.
 */
int store__who_at(struct store *st, uint16_t port, const char *proto, uint32_t netns, int64_t at_ns,
		  int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	static const int which[] = {S_WHO_SHORT, S_WHO_LONG};
	int64_t at = clamp_time(at_ns);
	struct who_hit *hits = NULL;
	size_t nr = 0, cap = 0;
	sqlite3_stmt *s;
	size_t i;
	int rc = SQLITE_OK, ret;

	store_lock(&st->dblock);
	st->errmsg[0] = '\0';
	ret = db_ready(st, st->errmsg, sizeof(st->errmsg));
	if (ret)
		goto out;
	for (size_t w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		s = st->stmt[which[w]];
		sqlite3_bind_int64(s, 1, at >> BUCKET_SHIFT);
		sqlite3_bind_int(s, 2, port);
		sqlite3_bind_int64(s, 3, at);
		if (proto)
			sqlite3_bind_text(s, 4, proto, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 4);
		sqlite3_bind_int64(s, 5, netns);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (nr == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				struct who_hit *n = realloc(hits, ncap * sizeof(*hits));

				if (!n) {
					sqlite3_reset(s);
					ret = -ENOMEM;
					goto out;
				}
				hits = n;
				cap = ncap;
			}
			hits[nr].id = sqlite3_column_int64(s, 0);
			hits[nr].opened = sqlite3_column_int64(s, 1);
			nr++;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (nr)
		qsort(hits, nr, sizeof(*hits), who_hit_cmp);
	s = st->stmt[S_SOCKET_BY_ID];
	for (i = 0; i < nr; i++) {
		bool stop = false;

		sqlite3_bind_int64(s, 1, hits[i].id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			stop = emit(Q_SOCKET, s, fn, arg);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			goto fail;
		if (stop) {
			i++;
			break;
		}
	}
	ret = (int)i;
	goto out;
fail:
	ret = db_fail(st, rc, "who --at", st->errmsg, sizeof(st->errmsg));
out:
	store_unlock(&st->dblock);
	free(hits);
	return ret;
}
