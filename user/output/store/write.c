// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writing: the queued rows of every kind in one transaction, with the
 * statements prepared at open. Durability: see db.c.
 */
#include <string.h>

#include "output/store/store_internal.h"

/* Fixed-size fields may fill their array without a NUL. */
static void bind_str(sqlite3_stmt *s, int i, const char *v, size_t size)
{
	sqlite3_bind_text(s, i, v, (int)strnlen(v, size), SQLITE_STATIC);
}

/*
 * Life class: the bit length of closed - opened; a socket of class k lived
 * less than 2^k ns. See store__who_at().
 */
static int life_class(int64_t opened, int64_t closed)
{
	if (opened <= 0)
		return DCLASS_UNKNOWN;
	if (closed <= opened)
		return 0;
	return 64 - __builtin_clzll((uint64_t)(closed - opened));
}

/* The NR_PROC_COLS columns from parameter i on: NULL for what is unknown. */
static void bind_proc(sqlite3_stmt *s, int i, const struct proc_ident *p)
{
	for (int k = 0; k < NR_PROC_COLS; k++)
		sqlite3_bind_null(s, i + k);
	if (p->flags & PI_NS) {
		sqlite3_bind_int64(s, i, p->nspid);
		sqlite3_bind_int64(s, i + 1, p->pidns);
	}
	if (p->flags & PI_PPID) {
		sqlite3_bind_int64(s, i + 2, p->ppid);
		if (p->pcomm[0])
			bind_str(s, i + 3, p->pcomm, sizeof(p->pcomm));
	}
	if (p->flags & PI_EXE)
		bind_str(s, i + 4, p->exe, sizeof(p->exe));
	if (p->flags & PI_CMDLINE)
		bind_str(s, i + 5, p->cmdline, sizeof(p->cmdline));
}

static int insert_socket(struct store *st, const struct store_socket *r)
{
	unsigned char blob[8 * HOLDER_BLOB];
	sqlite3_stmt *s = st->stmt[S_INS_SOCKET];
	uint32_t n = r->nr_holders < 8 ? r->nr_holders : 8;
	int64_t id, closed = clamp_time(r->closed_ns);
	int64_t opened = clamp_time(r->opened_ns);
	size_t nblob = holders_encode(blob, r->holders, n);
	int rc;

	sqlite3_bind_int64(s, 1, closed);
	sqlite3_bind_int64(s, 2, opened);
	sqlite3_bind_int(s, 3, life_class(opened, closed));
	sqlite3_bind_int64(s, 4, (int64_t)r->cookie);
	sqlite3_bind_int64(s, 5, r->netns);
	bind_str(s, 6, r->proto, sizeof(r->proto));
	bind_str(s, 7, r->family, sizeof(r->family));
	bind_str(s, 8, r->laddr, sizeof(r->laddr));
	sqlite3_bind_int(s, 9, r->lport);
	bind_str(s, 10, r->raddr, sizeof(r->raddr));
	sqlite3_bind_int(s, 11, r->rport);
	bind_str(s, 12, r->state, sizeof(r->state));
	sqlite3_bind_int64(s, 13, (int64_t)r->bytes_sent);
	sqlite3_bind_int64(s, 14, (int64_t)r->bytes_received);
	sqlite3_bind_blob(s, 15, blob, (int)nblob, SQLITE_STATIC);
	sqlite3_bind_int(s, 16, !!r->v6only);
	bind_str(s, 17, r->cgroup, sizeof(r->cgroup));
	if (r->proc.flags)
		sqlite3_bind_int64(s, 18, r->proc.pid);
	else
		sqlite3_bind_null(s, 18);
	bind_proc(s, 19, &r->proc);
	rc = stmt_run(s);
	if (rc)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	s = st->stmt[S_INS_HOLDER];
	for (uint32_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, closed);
		sqlite3_bind_int64(s, 2, id);
		sqlite3_bind_int64(s, 3, r->holders[i].pid);
		sqlite3_bind_int64(s, 4, r->holders[i].uid);
		bind_str(s, 5, r->holders[i].comm, 16);
		rc = stmt_run(s);
		if (rc)
			return rc;
	}
	return 0;
}

static int insert_failure(struct store *st, const struct store_failure *r)
{
	unsigned char blob[FHOLDERS_MAX];
	sqlite3_stmt *s = st->stmt[S_INS_FAILURE];
	size_t nblob = fholders_encode(blob, r);

	sqlite3_bind_int64(s, 1, clamp_time(r->ts_ns));
	bind_str(s, 2, r->event, sizeof(r->event));
	sqlite3_bind_int64(s, 3, r->pid);
	sqlite3_bind_int64(s, 4, r->uid);
	bind_str(s, 5, r->comm, sizeof(r->comm));
	sqlite3_bind_int64(s, 6, r->netns);
	bind_str(s, 7, r->proto, sizeof(r->proto));
	bind_str(s, 8, r->laddr, sizeof(r->laddr));
	sqlite3_bind_int(s, 9, r->lport);
	bind_str(s, 10, r->raddr, sizeof(r->raddr));
	sqlite3_bind_int(s, 11, r->rport);
	sqlite3_bind_int(s, 12, r->err);
	bind_str(s, 13, r->error, sizeof(r->error));
	bind_str(s, 14, r->reason, sizeof(r->reason));
	/* a zero-length blob, not NULL: the column is NOT NULL */
	sqlite3_bind_blob(s, 15, blob, (int)nblob, SQLITE_STATIC);
	bind_str(s, 16, r->cgroup, sizeof(r->cgroup));
	bind_proc(s, 17, &r->proc);
	return stmt_run(s);
}

static int insert_owner(struct store *st, const struct store_owner *r)
{
	sqlite3_stmt *s = st->stmt[S_INS_OWNER];

	sqlite3_bind_int64(s, 1, clamp_time(r->ts_ns));
	bind_str(s, 2, r->action, sizeof(r->action));
	sqlite3_bind_int64(s, 3, r->netns);
	bind_str(s, 4, r->proto, sizeof(r->proto));
	bind_str(s, 5, r->laddr, sizeof(r->laddr));
	sqlite3_bind_int(s, 6, r->lport);
	sqlite3_bind_int64(s, 7, (int64_t)r->cookie);
	sqlite3_bind_int64(s, 8, r->pid);
	sqlite3_bind_int64(s, 9, r->uid);
	bind_str(s, 10, r->comm, sizeof(r->comm));
	bind_str(s, 11, r->cgroup, sizeof(r->cgroup));
	bind_proc(s, 12, &r->proc);
	return stmt_run(s);
}

/* The first n[k] queued rows of each kind, in one transaction. */
static int write_rows(struct store *st, struct rowq_iter it[NR_QUEUES], const size_t n[NR_QUEUES],
		      char *err, size_t errlen)
{
	const char *what = "begin";
	int rc, ret;

	rc = stmt_run(st->stmt[S_BEGIN]);
	if (rc)
		goto fail;
	what = "insert";
	for (size_t i = 0; i < n[Q_SOCKET] && !rc; i++)
		rc = insert_socket(st, rowq_iter_next(&it[Q_SOCKET]));
	for (size_t i = 0; i < n[Q_FAILURE] && !rc; i++)
		rc = insert_failure(st, rowq_iter_next(&it[Q_FAILURE]));
	for (size_t i = 0; i < n[Q_OWNER] && !rc; i++)
		rc = insert_owner(st, rowq_iter_next(&it[Q_OWNER]));
	if (rc)
		goto fail;
	what = "commit";
	rc = stmt_run(st->stmt[S_COMMIT]);
	if (rc)
		goto fail;
	return 0;
fail:
	ret = db_fail(st, rc, what, err, errlen);
	/* Some errors (SQLITE_FULL, IOERR) have rolled back already. */
	if (!sqlite3_get_autocommit(st->db))
		stmt_run(st->stmt[S_ROLLBACK]);
	return ret;
}

int store__flush(struct store *st, char *err, size_t errlen)
{
	struct rowq_iter it[NR_QUEUES];
	size_t n[NR_QUEUES], total = 0;
	int ret;

	store_lock(&st->dblock);
	ret = db_writable(st, err, errlen);
	if (!ret)
		ret = db_ready(st, err, errlen);
	if (!ret) {
		/* rows added from now on are for the next flush */
		store_lock(&st->qlock);
		for (int k = 0; k < NR_QUEUES; k++) {
			n[k] = st->q[k].count;
			total += n[k];
			rowq_iter_init(&it[k], &st->q[k]);
		}
		store_unlock(&st->qlock);
		if (total)
			ret = write_rows(st, it, n, err, errlen);
	}
	store_lock(&st->qlock);
	if (ret) {
		st->stats.flush_errors++;
	} else if (total) {
		for (int k = 0; k < NR_QUEUES; k++) {
			rowq_pop(&st->q[k], n[k]);
			st->qbytes -= n[k] * st->q[k].esize;
		}
		st->stats.committed += total;
		st->stats.rows_socket += n[Q_SOCKET];
		st->stats.rows_failure += n[Q_FAILURE];
		st->stats.rows_owner += n[Q_OWNER];
	}
	store_unlock(&st->qlock);
	store_unlock(&st->dblock);
	return ret;
}
