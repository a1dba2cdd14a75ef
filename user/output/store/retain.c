// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Retention: rows older than retain_secs, then the oldest rows of any kind
 * until the database is under retain_bytes, in short transactions so that
 * a flush never waits long.
 */
#include <stdio.h>

#include "output/store/store_internal.h"

#define RETAIN_CHUNK 5000      /* rows deleted per transaction */
#define RETAIN_STEP_MAX 100000 /* rows chosen per size-retention round */

static void count_deleted(struct store *st, const uint64_t del[NR_QUEUES])
{
	store_lock(&st->qlock);
	st->stats.rows_socket -= del[Q_SOCKET];
	st->stats.rows_failure -= del[Q_FAILURE];
	st->stats.rows_owner -= del[Q_OWNER];
	store_unlock(&st->qlock);
}

/*
 * One transaction deleting up to RETAIN_CHUNK rows of each kind whose time
 * is <= t, oldest first. *more: some may be left.
 */
static int delete_chunk(struct store *st, int64_t t, bool *more, char *err, size_t errlen)
{
	static const char *const sql[] = {
		/* the same rows twice: the subquery reads the same index */
		"DELETE FROM socket_holder WHERE closed_ns <= ?1 AND socket_id"
		" IN (SELECT id FROM socket WHERE closed_ns <= ?1"
		" ORDER BY closed_ns LIMIT ?2)",
		"DELETE FROM socket WHERE id IN (SELECT id FROM socket"
		" WHERE closed_ns <= ?1 ORDER BY closed_ns LIMIT ?2)",
		"DELETE FROM failure WHERE id IN (SELECT id FROM failure"
		" WHERE ts_ns <= ?1 ORDER BY ts_ns LIMIT ?2)",
		"DELETE FROM owner WHERE id IN (SELECT id FROM owner"
		" WHERE ts_ns <= ?1 ORDER BY ts_ns LIMIT ?2)",
	};
	uint64_t del[NR_QUEUES] = {0};
	const char *what = "begin";
	int rc, ret;

	*more = false;
	store_lock(&st->dblock);
	ret = db_ready(st, err, errlen);
	if (ret)
		goto out;
	rc = stmt_run(st->stmt[S_BEGIN]);
	if (rc)
		goto fail;
	what = "delete";
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s;
		int changes;

		rc = sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL);
		if (rc)
			goto fail;
		sqlite3_bind_int64(s, 1, t);
		sqlite3_bind_int(s, 2, RETAIN_CHUNK);
		rc = stmt_run(s);
		sqlite3_finalize(s);
		if (rc)
			goto fail;
		changes = sqlite3_changes(st->db);
		if (i > 0) /* sql[0]: holders, not counted rows */
			del[i - 1] = (uint64_t)changes;
		if (i > 0 && changes == RETAIN_CHUNK)
			*more = true;
	}
	what = "commit";
	rc = stmt_run(st->stmt[S_COMMIT]);
	if (rc)
		goto fail;
	count_deleted(st, del);
	goto out;
fail:
	ret = db_fail(st, rc, what, err, errlen);
	if (!sqlite3_get_autocommit(st->db))
		stmt_run(st->stmt[S_ROLLBACK]);
out:
	store_unlock(&st->dblock);
	return ret;
}

/* Every row with a time <= t, in short transactions. */
static int delete_through(struct store *st, int64_t t, char *err, size_t errlen)
{
	bool more = true;
	int ret = 0;

	while (more && !ret)
		ret = delete_chunk(st, t, &more, err, errlen);
	return ret;
}

/* The time of the k-th oldest row of any kind (k >= 1), by merging. */
static int kth_oldest(struct store *st, uint64_t k, int64_t *t, char *err, size_t errlen)
{
	sqlite3_stmt *s[NR_QUEUES] = {NULL};
	bool live[NR_QUEUES];
	char sql[96];
	int rc = SQLITE_OK, ret = 0;

	*t = INT64_MIN;
	ret = db_ready(st, err, errlen);
	if (ret)
		return ret;
	for (int q = 0; q < NR_QUEUES; q++) {
		snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY %s", store_time_col[q],
			 store_table[q], store_time_col[q]);
		rc = sqlite3_prepare_v2(st->db, sql, -1, &s[q], NULL);
		if (rc)
			goto out;
		rc = sqlite3_step(s[q]);
		live[q] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto out;
	}
	rc = SQLITE_OK;
	for (; k; k--) {
		int best = -1;

		for (int q = 0; q < NR_QUEUES; q++)
			if (live[q] && (best < 0 || sqlite3_column_int64(s[q], 0) <
							    sqlite3_column_int64(s[best], 0)))
				best = q;
		if (best < 0)
			break; /* fewer than k rows: all of them */
		*t = sqlite3_column_int64(s[best], 0);
		rc = sqlite3_step(s[best]);
		live[best] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto out;
		rc = SQLITE_OK;
	}
out:
	if (rc)
		ret = db_fail(st, rc, "retention", err, errlen);
	for (int q = 0; q < NR_QUEUES; q++)
		sqlite3_finalize(s[q]);
	return ret;
}

struct db_size {
	int64_t pages, free_pages, page_size;
};

static int db_measure(struct store *st, struct db_size *sz, char *err, size_t errlen)
{
	int rc;

	sz->pages = single_int(st->db, "PRAGMA page_count", &rc);
	if (!rc)
		sz->free_pages = single_int(st->db, "PRAGMA freelist_count", &rc);
	if (!rc)
		sz->page_size = single_int(st->db, "PRAGMA page_size", &rc);
	if (rc)
		return db_fail(st, rc, "measuring", err, errlen);
	return 0;
}

/*
 * Size retention. Deleting rows frees pages inside the file, it does not
 * shrink it: the measure is the pages in use, (page_count - freelist) *
 * page_size. Above the limit, the oldest rows go until 90% of it is used
 * (so we do not come back after every flush); the free pages are reused
 * by later inserts. Only the free pages that put the file itself over the
 * limit (a limit lowered since the last run) are given back to the file
 * system, with an incremental vacuum: it moves a few pages from the end of
 * the file and truncates it. A full VACUUM would rewrite the whole database
 * (twice its size on disk while it runs, exactly when space is short) and
 * hold the write lock for as long, stalling every flush.
 */
static int retain_size(struct store *st, bool *deleted, char *err, size_t errlen)
{
	uint64_t limit = st->retain_bytes, target = limit - limit / 10;
	struct db_size sz;
	int ret = 0;

	for (int round = 0; round < 32; round++) {
		struct store_stats now;
		uint64_t used, rows, k;
		int64_t t;

		store_lock(&st->dblock);
		ret = db_ready(st, err, errlen);
		if (!ret)
			ret = db_measure(st, &sz, err, errlen);
		store_unlock(&st->dblock);
		if (ret)
			return ret;
		used = (uint64_t)(sz.pages - sz.free_pages) * (uint64_t)sz.page_size;
		store__stats(st, &now);
		rows = now.rows_socket + now.rows_failure + now.rows_owner;
		if (used <= limit || !rows)
			break;
		/* rows in proportion to the excess; rounds correct the guess */
		k = (uint64_t)((double)rows * (double)(used - target) / (double)used) + 1;
		if (k > RETAIN_STEP_MAX)
			k = RETAIN_STEP_MAX;
		store_lock(&st->dblock);
		ret = kth_oldest(st, k, &t, err, errlen);
		store_unlock(&st->dblock);
		if (!ret)
			ret = delete_through(st, t, err, errlen);
		if (ret)
			return ret;
		*deleted = true;
	}
	/* the file itself: give back only the free pages above the limit */
	store_lock(&st->dblock);
	ret = db_ready(st, err, errlen);
	if (!ret)
		ret = db_measure(st, &sz, err, errlen);
	if (!ret && (uint64_t)(sz.pages * sz.page_size) > limit && sz.free_pages) {
		int64_t excess = (sz.pages * sz.page_size - (int64_t)limit + sz.page_size - 1) /
				 sz.page_size;
		char sql[64];
		int rc;

		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%lld)", (long long)excess);
		rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		if (rc)
			ret = db_fail(st, rc, "incremental vacuum", err, errlen);
		*deleted = true;
	}
	store_unlock(&st->dblock);
	return ret;
}

int store__retain(struct store *st, int64_t now_real_ns, char *err, size_t errlen)
{
	bool deleted = false;
	int ret = db_writable(st, err, errlen);

	if (ret)
		return ret;
	if (st->retain_secs && st->retain_secs <= INT64_MAX / NSEC) {
		int64_t cutoff;

		if (!__builtin_sub_overflow(now_real_ns, (int64_t)st->retain_secs * NSEC,
					    &cutoff)) {
			/* strictly older than the cutoff */
			ret = delete_through(st, cutoff - 1, err, errlen);
			deleted = true;
		}
	}
	if (!ret && st->retain_bytes)
		ret = retain_size(st, &deleted, err, errlen);
	if (!ret && deleted) {
		/*
		 * Bring the file and the WAL on disk down to the database's
		 * size now rather than at the next automatic checkpoint. A
		 * reader in the way only makes it partial: not an error.
		 */
		store_lock(&st->dblock);
		if (st->db)
			sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
						  NULL);
		store_unlock(&st->dblock);
	}
	return ret;
}
