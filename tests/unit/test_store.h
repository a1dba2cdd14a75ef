/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the store's tests share: a fresh directory per test, row builders,
 * and the rows a query hands back, kept as structs to check field by field.
 */
#ifndef SS_TEST_STORE_H
#define SS_TEST_STORE_H

#include "testutil.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "output/store/store.h"

#define SEC 1000000000LL
/* 2026-11-20T14:02:11Z */
#define T0 (1795183331LL * SEC)
#define NETNS 4026531840u

#define TS_UNUSED __attribute__((unused))

static char dir[256];
static char path[320];

/* ---- collecting query answers ---- */

struct rows {
	struct store_row *v;
	size_t n, cap;
	bool counting_only; /* count, do not keep */
	size_t stop_after;  /* fn returns 1 at this row; 0: never */
};

static int collect(const struct store_row *r, void *arg)
{
	struct rows *l = arg;

	assert_true(r->kind == STORE_KIND_SOCKET || r->kind == STORE_KIND_FAILURE ||
		    r->kind == STORE_KIND_OWNER);
	if (l->counting_only) { /* timing the store, not this copy */
		l->n++;
	} else {
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 16;
			l->v = realloc(l->v, l->cap * sizeof(*l->v));
			assert_non_null(l->v);
		}
		l->v[l->n++] = *r;
	}
	return l->stop_after && l->n == l->stop_after;
}

static TS_UNUSED void rows_init(struct rows *l)
{
	memset(l, 0, sizeof(*l));
}

static void rows_clear(struct rows *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static TS_UNUSED int history(struct store *st, const struct history_query *q, struct rows *l)
{
	int n;

	rows_clear(l);
	n = store__history(st, q, collect, l);
	if (n >= 0)
		assert_int_equal((size_t)n, l->n);
	return n;
}

static TS_UNUSED int who_at(struct store *st, uint16_t port, const char *proto, uint32_t netns,
			    int64_t at, struct rows *l)
{
	int n;

	rows_clear(l);
	n = store__who_at(st, port, proto, netns, at, collect, l);
	if (n >= 0)
		assert_int_equal((size_t)n, l->n);
	return n;
}

/* The row's time: a socket's close. */
static TS_UNUSED int64_t row_time(const struct store_row *r)
{
	if (r->kind == STORE_KIND_SOCKET)
		return r->socket.closed_ns;
	return r->kind == STORE_KIND_FAILURE ? r->failure.ts_ns : r->owner.ts_ns;
}

/* A socket's or an owner row's cookie; failures have none (-1). */
static TS_UNUSED int64_t row_cookie(const struct store_row *r)
{
	if (r->kind == STORE_KIND_SOCKET)
		return (int64_t)r->socket.cookie;
	return r->kind == STORE_KIND_OWNER ? (int64_t)r->owner.cookie : -1;
}

/* Is comm the row's process (any holder of a socket)? */
static TS_UNUSED bool row_has_comm(const struct store_row *r, const char *comm)
{
	if (r->kind == STORE_KIND_SOCKET) {
		for (uint32_t i = 0; i < r->socket.nr_holders; i++)
			if (!strncmp(r->socket.holders[i].comm, comm, 16))
				return true;
		return false;
	}
	return !strncmp(r->kind == STORE_KIND_FAILURE ? r->failure.comm : r->owner.comm, comm, 16);
}

/* Is port the row's local or remote port? */
static TS_UNUSED bool row_has_port(const struct store_row *r, uint16_t port)
{
	if (r->kind == STORE_KIND_SOCKET)
		return r->socket.lport == port || r->socket.rport == port;
	if (r->kind == STORE_KIND_FAILURE)
		return r->failure.lport == port || r->failure.rport == port;
	return r->owner.lport == port;
}

static TS_UNUSED void assert_all_comm(const struct rows *l, const char *comm)
{
	for (size_t i = 0; i < l->n; i++)
		if (!row_has_comm(&l->v[i], comm))
			fail_msg("row %zu is not %s's", i, comm);
}

/* ---- rows ---- */

static TS_UNUSED struct store_socket sock(uint64_t cookie, uint16_t lport, uint16_t rport,
					  int64_t opened, int64_t closed, uint32_t pid,
					  const char *comm)
{
	struct store_socket r;

	memset(&r, 0, sizeof(r));
	r.cookie = cookie;
	r.netns = NETNS;
	strcpy(r.proto, "tcp");
	strcpy(r.family, "inet");
	strcpy(r.laddr, "127.0.0.1");
	r.lport = lport;
	if (rport) {
		strcpy(r.raddr, "10.0.0.2");
		r.rport = rport;
	}
	strcpy(r.state, rport ? "ESTABLISHED" : "LISTEN");
	r.opened_ns = opened;
	r.closed_ns = closed;
	r.holders[0].pid = pid;
	r.holders[0].uid = 1000;
	snprintf(r.holders[0].comm, sizeof(r.holders[0].comm), "%s", comm);
	r.nr_holders = 1;
	return r;
}

static TS_UNUSED struct store_failure failure(int64_t ts, uint16_t lport, uint32_t pid,
					      const char *comm)
{
	struct store_failure r;

	memset(&r, 0, sizeof(r));
	r.ts_ns = ts;
	strcpy(r.event, "bind");
	r.pid = pid;
	r.uid = 1000;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	r.netns = NETNS;
	strcpy(r.proto, "tcp");
	strcpy(r.laddr, "0.0.0.0");
	r.lport = lport;
	r.err = 98;
	strcpy(r.error, "EADDRINUSE");
	return r;
}

static TS_UNUSED struct store_owner owner(int64_t ts, uint16_t lport, uint64_t cookie, uint32_t pid,
					  const char *comm, const char *action)
{
	struct store_owner r;

	memset(&r, 0, sizeof(r));
	r.ts_ns = ts;
	r.netns = NETNS;
	strcpy(r.proto, "tcp");
	strcpy(r.laddr, "0.0.0.0");
	r.lport = lport;
	r.cookie = cookie;
	r.pid = pid;
	r.uid = 1000;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	strcpy(r.action, action);
	return r;
}

static TS_UNUSED struct store *open_store(uint64_t retain_secs, uint64_t retain_bytes,
					  uint32_t queue_rows)
{
	struct store_opts o = {
		.path = path,
		.retain_secs = retain_secs,
		.retain_bytes = retain_bytes,
		.queue_rows = queue_rows,
	};
	struct store *st;
	char err[256] = "";
	int ret;

	ret = store__open(&st, &o, err, sizeof(err));
	if (ret)
		fail_msg("store__open: %d %s", ret, err);
	return st;
}

static TS_UNUSED void flush_ok(struct store *st)
{
	char err[256] = "";
	int ret = store__flush(st, err, sizeof(err));

	if (ret)
		fail_msg("store__flush: %d %s", ret, err);
}

static TS_UNUSED struct store_stats stats(struct store *st)
{
	struct store_stats s;

	store__stats(st, &s);
	return s;
}

/* Runs sql on the database file behind the store's back. */
static TS_UNUSED void db_exec(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The first column of "PRAGMA name" on db, as a number. */
static TS_UNUSED int64_t db_pragma(sqlite3 *db, const char *name)
{
	char sql[64];
	sqlite3_stmt *ps;
	int64_t v;

	snprintf(sql, sizeof(sql), "PRAGMA %s", name);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &ps, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(ps), SQLITE_ROW);
	v = sqlite3_column_int64(ps, 0);
	sqlite3_finalize(ps);
	return v;
}

/* Each test gets a fresh directory, two levels the store must create. */
static TS_UNUSED int setup(void **state)
{
	(void)state;
	if (tu_mkdtemp(dir, sizeof(dir), "store"))
		return -1;
	snprintf(path, sizeof(path), "%s/var/sockscope/history.db", dir);
	return 0;
}

static TS_UNUSED int teardown(void **state)
{
	(void)state;
	tu_rm_rf(dir);
	return 0;
}

#endif
