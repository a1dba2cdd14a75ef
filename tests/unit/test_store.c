// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The history store against a real SQLite file: what it writes survives,
 * retention keeps what it should; disk trouble costs rows only when the
 * queue is full, never the process. Opening: test_store_open.c; answers:
 * test_store_query.c.
 */
#include "test_store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- tests ---- */

static void survives_close_and_reopen(void **state)
{
	struct history_query q = {0};
	struct store *st = open_store(0, 0, 0);
	struct store_socket s;
	struct store_stats ss;
	struct rows l;

	(void)state;
	rows_init(&l);
	for (int i = 0; i < 300; i++) {
		s = sock((uint64_t)i, 8080, 0, T0, T0 + i * SEC, 10, "srv");
		store__add_socket(st, &s);
	}
	flush_ok(st);
	for (int i = 300; i < 310; i++) {
		struct store_owner o = owner(T0 + i * SEC, 8080, (uint64_t)i, 10, "srv", "listen");

		store__add_owner(st, &o);
	}
	store__close(st); /* flushes the last ten */

	/* the file is in WAL mode, with incremental vacuum */
	{
		sqlite3_stmt *ps;
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &ps, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(ps), SQLITE_ROW);
		assert_string_equal(sqlite3_column_text(ps, 0), "wal");
		sqlite3_finalize(ps);
		assert_int_equal(db_pragma(db, "auto_vacuum"), 2);
		sqlite3_close(db);
	}

	st = open_store(0, 0, 0);
	ss = stats(st);
	assert_int_equal(ss.rows_socket, 300);
	assert_int_equal(ss.rows_owner, 10);
	assert_int_equal(ss.rows_failure, 0);
	assert_int_equal(ss.committed, 0);
	assert_int_equal(history(st, &q, &l), 310);
	assert_int_equal(l.v[0].kind, STORE_KIND_OWNER);
	assert_int_equal(row_cookie(&l.v[0]), 309);
	assert_int_equal(row_cookie(&l.v[309]), 0);
	/* and the schema is not created twice */
	s = sock(1000, 8080, 0, T0, T0 + 1000 * SEC, 10, "srv");
	store__add_socket(st, &s);
	flush_ok(st);
	assert_int_equal(stats(st).rows_socket, 301);
	store__close(st);
	rows_clear(&l);
}

/* What flush acknowledged is there after kill -9 of the process. */
static void acknowledged_rows_survive_kill9(void **state)
{
	struct store *st;
	int status, sync[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(sync), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(sync[0]);
		st = open_store(0, 0, 0);
		for (int round = 0; round < 5; round++) {
			for (int i = 0; i < 1000; i++) {
				int n = round * 1000 + i;
				struct store_socket s =
					sock((uint64_t)n, 8080, 0, T0, T0 + n * SEC, 10, "srv");

				store__add_socket(st, &s);
			}
			if (store__flush(st, NULL, 0))
				_exit(1);
		}
		/* queued, never acknowledged: may be lost */
		for (int i = 0; i < 500; i++) {
			struct store_socket s = sock(9000, 1, 0, T0, T0, 1, "x");

			store__add_socket(st, &s);
		}
		/* killed from outside, as kill -9 does */
		if (write(sync[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	assert_int_equal(read(sync[0], &c, 1), 1);
	close(sync[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	st = open_store(0, 0, 0);
	assert_int_equal(stats(st).rows_socket, 5000);
	store__close(st);
}

static void retention_by_age(void **state)
{
	struct store *st = open_store(3600, 0, 0);
	struct history_query q = {0};
	struct store_stats ss;
	char err[256] = "";
	struct rows l;

	(void)state;
	rows_init(&l);
	/* one row of each kind per minute for two hours; now = T0 + 2h */
	for (int i = 0; i < 120; i++) {
		int64_t t = T0 + i * 60 * SEC;
		struct store_socket s = sock((uint64_t)i, 80, 0, t - SEC, t, 1, "a");
		struct store_failure f = failure(t, 80, 1, "a");
		struct store_owner o = owner(t, 80, (uint64_t)i, 1, "a", "bind");

		store__add_socket(st, &s);
		store__add_failure(st, &f);
		store__add_owner(st, &o);
	}
	flush_ok(st);
	assert_int_equal(store__retain(st, T0 + 7200 * SEC, err, sizeof(err)), 0);
	/* older than T0 + 1h goes, T0 + 1h itself stays */
	ss = stats(st);
	assert_int_equal(ss.rows_socket, 60);
	assert_int_equal(ss.rows_failure, 60);
	assert_int_equal(ss.rows_owner, 60);
	assert_int_equal(history(st, &q, &l), 180);
	for (size_t i = 0; i < l.n; i++) /* 15:02 .. 16:01 */
		assert_true(row_time(&l.v[i]) >= T0 + 3600 * SEC);
	q.pid = 1;
	q.kinds = STORE_KIND_SOCKET;
	assert_int_equal(history(st, &q, &l), 60); /* holders went too */
	store__close(st);

	/* the counts agree with the file after a reopen */
	st = open_store(3600, 0, 0);
	assert_int_equal(stats(st).rows_socket, 60);
	assert_int_equal(store__retain(st, T0 + 7200 * SEC, err, sizeof(err)), 0);
	assert_int_equal(stats(st).rows_socket, 60);
	store__close(st);
	rows_clear(&l);
}

static int64_t db_bytes(void)
{
	sqlite3 *db;
	int64_t pages, size;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	pages = db_pragma(db, "page_count");
	size = db_pragma(db, "page_size");
	sqlite3_close(db);
	return pages * size;
}

static void retention_by_size(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {.limit = 1};
	struct store_stats before, after;
	char err[256] = "";
	int64_t full, limit;
	struct stat sb;
	struct rows l;

	(void)state;
	rows_init(&l);
	for (int i = 0; i < 20000; i++) {
		int64_t t = T0 + i * SEC;
		struct store_socket s = sock((uint64_t)i, (uint16_t)(i % 500), 443, t - SEC, t,
					     (uint32_t)i, "client");

		store__add_socket(st, &s);
		if (i % 4 == 0) {
			struct store_owner o = owner(t, 80, (uint64_t)i, 1, "srv", "bind");

			store__add_owner(st, &o);
		}
	}
	flush_ok(st);
	before = stats(st);
	store__close(st);
	full = db_bytes();
	limit = full / 3;

	st = open_store(0, (uint64_t)limit, 0);
	assert_int_equal(store__retain(st, T0, err, sizeof(err)), 0);
	after = stats(st);
	assert_true(after.rows_socket < before.rows_socket);
	assert_true(after.rows_owner < before.rows_owner);
	assert_true(after.rows_socket > before.rows_socket / 5);
	/* the newest row is still there, the oldest went */
	assert_int_equal(history(st, &q, &l), 1);
	assert_int_equal(row_cookie(&l.v[0]), 19999);
	q.limit = 0;
	q.until_ns = T0 + 100 * SEC;
	assert_int_equal(history(st, &q, &l), 0);
	store__close(st);
	assert_true(db_bytes() <= limit);
	/* and the file on disk shrank with it */
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size <= limit);

	/* an impossible limit empties the tables without looping forever */
	st = open_store(0, 4096, 0);
	assert_int_equal(store__retain(st, T0, err, sizeof(err)), 0);
	after = stats(st);
	assert_int_equal(after.rows_socket + after.rows_owner, 0);
	store__close(st);
	rows_clear(&l);
}

static void bounded_queue_counts_drops(void **state)
{
	struct store *st = open_store(0, 0, 100);
	struct store_owner o = owner(T0, 80, 1, 1, "a", "bind");
	struct store_failure *f;
	struct store_stats ss;
	char moved[340];
	size_t fit;

	(void)state;
	for (int i = 0; i < 150; i++)
		store__add_owner(st, &o);
	ss = stats(st);
	assert_int_equal(ss.queued, 100);
	assert_int_equal(ss.dropped, 50);
	flush_ok(st);
	ss = stats(st);
	assert_int_equal(ss.queued, 0);
	assert_int_equal(ss.committed, 100);
	assert_int_equal(ss.rows_owner, 100);
	store__add_owner(st, &o); /* room again */
	assert_int_equal(stats(st).queued, 1);
	assert_int_equal(stats(st).dropped, 50);
	store__close(st);

	/* the memory bound: big rows stop before the row bound */
	st = open_store(0, 0, 1000000);
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	*f = failure(T0, 80, 1, "a");
	fit = STORE_QUEUE_BYTES / sizeof(*f);
	for (size_t i = 0; i < fit + 10; i++)
		store__add_failure(st, f);
	ss = stats(st);
	assert_int_equal(ss.queued, fit);
	assert_int_equal(ss.dropped, 10);
	/* do not make close write 40k rows: the file is gone */
	snprintf(moved, sizeof(moved), "%s.old", path);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	store__close(st);
	free(f);
}

#define ADDED 20000

static void *adder(void *arg)
{
	struct store *st = arg;

	for (int i = 0; i < ADDED; i++) {
		struct store_owner o = owner(T0 + i, 80, (uint64_t)i, 1, "a", "bind");

		store__add_owner(st, &o);
	}
	return NULL;
}

/* Another thread keeps adding while this one flushes: nothing is lost
 * or counted twice. */
static void adds_while_flushing(void **state)
{
	struct store *st = open_store(0, 0, 5000);
	struct store_stats ss;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, adder, st), 0);
	for (int i = 0; i < 20; i++)
		flush_ok(st);
	assert_int_equal(pthread_join(t, NULL), 0);
	flush_ok(st);
	ss = stats(st);
	assert_int_equal(ss.queued, 0);
	assert_int_equal(ss.committed + ss.dropped, ADDED);
	assert_int_equal(ss.rows_owner, ss.committed);
	store__close(st);
}

static void add_sockets(struct store *st, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		struct store_socket s = sock((uint64_t)i, 80, 0, T0, T0 + i * SEC, 1, "a");

		strcpy(s.state, "a long enough state");
		store__add_socket(st, &s);
	}
}

/* The file replaced by a directory: the flush fails, nothing is lost. */
static void failed_flush_keeps_rows(void **state)
{
	struct store *st = open_store(0, 0, 0);
	char err[256] = "", moved[340];
	struct store_stats ss;
	int ret;

	(void)state;
	add_sockets(st, 0, 10);
	flush_ok(st);
	snprintf(moved, sizeof(moved), "%s.old", path);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	add_sockets(st, 10, 20);
	ret = store__flush(st, err, sizeof(err));
	assert_int_equal(ret, -EISDIR);
	assert_non_null(strstr(err, "history.db"));
	ss = stats(st);
	assert_int_equal(ss.queued, 20);
	assert_int_equal(ss.flush_errors, 1);
	/* still failing: still kept, and queries fail cleanly too */
	assert_true(store__flush(st, err, sizeof(err)) < 0);
	assert_true(store__who_at(st, 80, NULL, 0, T0, NULL, NULL) < 0);
	assert_int_equal(stats(st).queued, 20);
	assert_int_equal(stats(st).flush_errors, 2);
	/* repaired: a new database gets what was queued */
	assert_int_equal(rmdir(path), 0);
	flush_ok(st);
	ss = stats(st);
	assert_int_equal(ss.queued, 0);
	assert_int_equal(ss.committed, 30);
	assert_int_equal(ss.rows_socket, 20);
	store__close(st);
}

/* The disk full (a file size limit): the flush fails, rows stay queued. */
static void full_disk_keeps_rows(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct rlimit old, lim;
	char err[256] = "";
	int ret;

	(void)state;
	add_sockets(st, 0, 10);
	flush_ok(st);
	add_sockets(st, 10, 5000); /* a few MiB of WAL */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 256 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ret = store__flush(st, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	if (!ret)
		fail_msg("flush succeeded past the file size limit");
	assert_non_null(strstr(err, "history.db"));
	assert_int_equal(stats(st).queued, 5000);
	assert_int_equal(stats(st).rows_socket, 10);
	flush_ok(st);
	assert_int_equal(stats(st).queued, 0);
	assert_int_equal(stats(st).rows_socket, 5010);
	store__close(st);
	st = open_store(0, 0, 0);
	assert_int_equal(stats(st).rows_socket, 5010);
	store__close(st);
}

/* Another process holds the write lock past the busy timeout. */
static void locked_database_keeps_rows(void **state)
{
	struct store *st = open_store(0, 0, 0);
	char err[256] = "";
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	add_sockets(st, 0, 10);
	assert_int_equal(store__flush(st, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "locked"));
	assert_int_equal(stats(st).queued, 10);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	flush_ok(st);
	assert_int_equal(stats(st).rows_socket, 10);
	store__close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(survives_close_and_reopen),  tu_test(acknowledged_rows_survive_kill9),
		tu_test(retention_by_age),	     tu_test(retention_by_size),
		tu_test(bounded_queue_counts_drops), tu_test(adds_while_flushing),
		tu_test(failed_flush_keeps_rows),    tu_test(full_disk_keeps_rows),
		tu_test(locked_database_keeps_rows),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
