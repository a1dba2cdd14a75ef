// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The history store against a real SQLite file: what it writes survives,
 * what it answers is right, valid JSON and fast; disk trouble costs rows
 * only when the queue is full, never the process.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "output/store/store.h"

#define SEC 1000000000LL
/* 2026-11-20T14:02:11Z */
#define T0 (1795183331LL * SEC)
#define NETNS 4026531840u

static char dir[256];
static char path[320];

/* ---- a small JSON validator: every line the store writes must parse ---- */

static const char *j_value(const char *p);

static const char *j_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *j_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL; /* includes the end of the string */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    p[i]) || !p[i])
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
		} else if (c < 0x80) {
			p++;
		} else {
			int n = c >= 0xf0 && c <= 0xf4 ? 3 :
				c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;

			if (n < 0)
				return NULL;
			for (int i = 1; i <= n; i++)
				if (((unsigned char)p[i] & 0xc0) != 0x80)
					return NULL;
			p += n + 1;
		}
	}
	return p + 1;
}

static const char *j_number(const char *p)
{
	const char *start;

	if (*p == '-')
		p++;
	start = p;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == start || (*start == '0' && p - start > 1))
		return NULL;
	return p;
}

static const char *j_container(const char *p, char close, bool object)
{
	p = j_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = j_string(p);
			if (!p)
				return NULL;
			p = j_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = j_value(j_ws(p));
		if (!p)
			return NULL;
		p = j_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = j_ws(p);
	}
}

static const char *j_value(const char *p)
{
	switch (*p) {
	case '{':
		return j_container(p, '}', true);
	case '[':
		return j_container(p, ']', false);
	case '"':
		return j_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return j_number(p);
	}
}

static bool json_valid_object(const char *s)
{
	const char *end;

	if (*s != '{')
		return false;
	end = j_value(s);
	return end && !*end;
}

/* ---- collecting query output ---- */

struct lines {
	char **v;
	size_t n, cap;
	bool counting_only; /* count, do not check or keep */
	bool all_valid;
};

static void collect(const char *json, void *arg)
{
	struct lines *l = arg;

	if (l->counting_only) { /* timing the store, not this validator */
		l->n++;
		return;
	}
	if (!json_valid_object(json)) {
		fprintf(stderr, "invalid JSON: %s\n", json);
		l->all_valid = false;
	}
	if (strchr(json, '\n'))
		l->all_valid = false;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strdup(json);
	assert_non_null(l->v[l->n]);
	l->n++;
}

static void lines_init(struct lines *l)
{
	memset(l, 0, sizeof(*l));
	l->all_valid = true;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n && l->v; i++)
		free(l->v[i]);
	free(l->v);
	lines_init(l);
}

static int history(struct store *st, const struct history_query *q,
		   struct lines *l)
{
	int n;

	lines_free(l);
	n = store__history(st, q, collect, l);
	assert_true(l->all_valid);
	if (n >= 0)
		assert_int_equal((size_t)n, l->n);
	return n;
}

static int who_at(struct store *st, uint16_t port, const char *proto,
		  uint32_t netns, int64_t at, struct lines *l)
{
	int n;

	lines_free(l);
	n = store__who_at(st, port, proto, netns, at, collect, l);
	assert_true(l->all_valid);
	if (n >= 0)
		assert_int_equal((size_t)n, l->n);
	return n;
}

/* Every line contains needle (in order of lines: needles[i] in line i). */
static void assert_lines_contain(const struct lines *l, const char *needle)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strstr(l->v[i], needle))
			fail_msg("line %zu lacks %s: %s", i, needle, l->v[i]);
}

/* ---- rows ---- */

static struct store_socket sock(uint64_t cookie, uint16_t lport,
				uint16_t rport, int64_t opened, int64_t closed,
				uint32_t pid, const char *comm)
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

static struct store_failure failure(int64_t ts, uint16_t lport, uint32_t pid,
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

static struct store_owner owner(int64_t ts, uint16_t lport, uint64_t cookie,
				uint32_t pid, const char *comm,
				const char *action)
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

static struct store *open_store(uint64_t retain_secs, uint64_t retain_bytes,
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

static void flush_ok(struct store *st)
{
	char err[256] = "";
	int ret = store__flush(st, err, sizeof(err));

	if (ret)
		fail_msg("store__flush: %d %s", ret, err);
}

static struct store_stats stats(struct store *st)
{
	struct store_stats s;

	store__stats(st, &s);
	return s;
}

static int rm_one(const char *p, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(p);
}

static void rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Each test gets a fresh directory, two levels the store must create. */
static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sockscope-store-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/var/sockscope/history.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	return 0;
}

/* ---- tests ---- */

static void json_of_each_kind(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = { 0 };
	struct store_socket s = sock(77, 8080, 5555, T0, T0 + 3 * SEC / 2, 10,
				     "srv");
	struct store_socket s2 = sock(78, 0, 443, 0, T0 + 4 * SEC, 12, "curl");
	struct store_failure f = failure(T0 + 2 * SEC, 8080, 13, "dup");
	struct store_owner o = owner(T0 + 3 * SEC, 8080, 77, 10, "srv",
				     "release");
	struct stat sb;
	struct lines l;

	(void)state;
	lines_init(&l);
	s.bytes_sent = 100;
	s.bytes_received = 200;
	s.holders[1].pid = 11;
	s.holders[1].uid = 0;
	strcpy(s.holders[1].comm, "worker");
	s.nr_holders = 2;
	s2.laddr[0] = '\0';
	strcpy(s2.state, "SYN_SENT");
	strcpy(f.reason, "port 8080 is held by srv");
	strcpy(f.holders_json, "[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000}]");
	store__add_socket(st, &s);
	store__add_failure(st, &f);
	store__add_owner(st, &o);
	store__add_socket(st, &s2);
	assert_int_equal(stats(st).queued, 4);
	flush_ok(st);
	assert_int_equal(stats(st).queued, 0);
	assert_int_equal(stats(st).committed, 4);
	assert_int_equal(history(st, &q, &l), 4);
	/* newest first; unknown values are left out, never invented */
	assert_string_equal(
		l.v[0], "{\"kind\":\"socket\",\"cookie\":78,\"netns\":4026531840,"
			"\"proto\":\"tcp\",\"family\":\"inet\","
			"\"raddr\":\"10.0.0.2\",\"rport\":443,"
			"\"state\":\"SYN_SENT\","
			"\"closed\":\"2026-11-20T14:02:15.000000000Z\","
			"\"bytes_sent\":0,\"bytes_received\":0,"
			"\"holders\":[{\"pid\":12,\"comm\":\"curl\",\"uid\":1000}]}");
	assert_string_equal(
		l.v[1], "{\"kind\":\"owner\",\"ts\":\"2026-11-20T14:02:14.000000000Z\","
			"\"action\":\"release\",\"netns\":4026531840,"
			"\"proto\":\"tcp\",\"laddr\":\"0.0.0.0\",\"lport\":8080,"
			"\"cookie\":77,\"pid\":10,\"uid\":1000,\"comm\":\"srv\"}");
	assert_string_equal(
		l.v[2], "{\"kind\":\"failure\",\"ts\":\"2026-11-20T14:02:13.000000000Z\","
			"\"event\":\"bind\",\"pid\":13,\"uid\":1000,\"comm\":\"dup\","
			"\"netns\":4026531840,\"proto\":\"tcp\","
			"\"laddr\":\"0.0.0.0\",\"lport\":8080,"
			"\"error\":\"EADDRINUSE\",\"errno\":98,"
			"\"reason\":\"port 8080 is held by srv\","
			"\"holders\":[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000}]}");
	assert_string_equal(
		l.v[3], "{\"kind\":\"socket\",\"cookie\":77,\"netns\":4026531840,"
			"\"proto\":\"tcp\",\"family\":\"inet\","
			"\"laddr\":\"127.0.0.1\",\"lport\":8080,"
			"\"raddr\":\"10.0.0.2\",\"rport\":5555,"
			"\"state\":\"ESTABLISHED\","
			"\"opened\":\"2026-11-20T14:02:11.000000000Z\","
			"\"closed\":\"2026-11-20T14:02:12.500000000Z\","
			"\"duration_ns\":1500000000,"
			"\"bytes_sent\":100,\"bytes_received\":200,"
			"\"holders\":[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000},"
			"{\"pid\":11,\"comm\":\"worker\",\"uid\":0}]}");
	/* a failure without reason, holders or process */
	f = failure(T0 + 5 * SEC, 9090, 0, "");
	strcpy(f.event, "connect");
	strcpy(f.raddr, "192.0.2.1");
	f.rport = 80;
	f.err = 111;
	strcpy(f.error, "ECONNREFUSED");
	store__add_failure(st, &f);
	flush_ok(st);
	q.limit = 1;
	assert_int_equal(history(st, &q, &l), 1);
	assert_string_equal(
		l.v[0], "{\"kind\":\"failure\",\"ts\":\"2026-11-20T14:02:16.000000000Z\","
			"\"event\":\"connect\",\"netns\":4026531840,"
			"\"proto\":\"tcp\",\"laddr\":\"0.0.0.0\",\"lport\":9090,"
			"\"raddr\":\"192.0.2.1\",\"rport\":80,"
			"\"error\":\"ECONNREFUSED\",\"errno\":111}");
	store__close(st);
	/* the directories were created 0700, the file 0600 */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	*strrchr(path, '/') = '\0';
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	lines_free(&l);
}

static void survives_close_and_reopen(void **state)
{
	struct history_query q = { 0 };
	struct store *st = open_store(0, 0, 0);
	struct store_socket s;
	struct store_stats ss;
	struct lines l;

	(void)state;
	lines_init(&l);
	for (int i = 0; i < 300; i++) {
		s = sock((uint64_t)i, 8080, 0, T0, T0 + i * SEC, 10, "srv");
		store__add_socket(st, &s);
	}
	flush_ok(st);
	for (int i = 300; i < 310; i++) {
		struct store_owner o = owner(T0 + i * SEC, 8080, (uint64_t)i,
					     10, "srv", "listen");

		store__add_owner(st, &o);
	}
	store__close(st); /* flushes the last ten */

	/* the file is in WAL mode, with incremental vacuum */
	{
		sqlite3_stmt *ps;
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode",
						    -1, &ps, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(ps), SQLITE_ROW);
		assert_string_equal(sqlite3_column_text(ps, 0), "wal");
		sqlite3_finalize(ps);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA auto_vacuum",
						    -1, &ps, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(ps), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(ps, 0), 2);
		sqlite3_finalize(ps);
		sqlite3_close(db);
	}

	st = open_store(0, 0, 0);
	ss = stats(st);
	assert_int_equal(ss.rows_socket, 300);
	assert_int_equal(ss.rows_owner, 10);
	assert_int_equal(ss.rows_failure, 0);
	assert_int_equal(ss.committed, 0);
	assert_int_equal(history(st, &q, &l), 310);
	assert_non_null(strstr(l.v[0], "\"kind\":\"owner\""));
	assert_non_null(strstr(l.v[0], "\"cookie\":309"));
	assert_non_null(strstr(l.v[309], "\"cookie\":0,"));
	/* and the schema is not created twice */
	s = sock(1000, 8080, 0, T0, T0 + 1000 * SEC, 10, "srv");
	store__add_socket(st, &s);
	flush_ok(st);
	assert_int_equal(stats(st).rows_socket, 301);
	store__close(st);
	lines_free(&l);
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
					sock((uint64_t)n, 8080, 0, T0,
					     T0 + n * SEC, 10, "srv");

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

static void history_filters(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = { 0 };
	struct store_socket s;
	struct store_failure f;
	struct store_owner o;
	struct lines l;

	(void)state;
	lines_init(&l);
	/* sockets: [T0+10, T0+20] :80 pid 1, [T0+30, T0+40] ->:80 pid 2 and 3,
	 * [?, T0+50] :22 pid 3 */
	s = sock(1, 80, 0, T0 + 10 * SEC, T0 + 20 * SEC, 1, "nginx");
	store__add_socket(st, &s);
	s = sock(2, 40000, 80, T0 + 30 * SEC, T0 + 40 * SEC, 2, "curl");
	s.holders[1].pid = 3;
	strcpy(s.holders[1].comm, "sshd");
	s.nr_holders = 2;
	store__add_socket(st, &s);
	s = sock(3, 22, 0, 0, T0 + 50 * SEC, 3, "sshd");
	store__add_socket(st, &s);
	f = failure(T0 + 15 * SEC, 80, 4, "apache");
	store__add_failure(st, &f);
	f = failure(T0 + 45 * SEC, 22, 3, "sshd");
	store__add_failure(st, &f);
	o = owner(T0 + 10 * SEC, 80, 1, 1, "nginx", "listen");
	store__add_owner(st, &o);
	flush_ok(st);

	assert_int_equal(history(st, &q, &l), 6);
	q.port = 80;
	assert_int_equal(history(st, &q, &l), 4); /* local or remote */
	assert_lines_contain(&l, "80,");
	q.failed = true;
	assert_int_equal(history(st, &q, &l), 1);
	assert_lines_contain(&l, "\"comm\":\"apache\"");
	q.failed = false;
	q.kinds = STORE_KIND_SOCKET;
	assert_int_equal(history(st, &q, &l), 2);
	assert_lines_contain(&l, "\"kind\":\"socket\"");
	q.kinds = STORE_KIND_SOCKET | STORE_KIND_OWNER;
	assert_int_equal(history(st, &q, &l), 3);

	memset(&q, 0, sizeof(q));
	q.pid = 3; /* a holder of sockets 2 and 3, the second failure */
	assert_int_equal(history(st, &q, &l), 3);
	assert_non_null(strstr(l.v[0], "\"cookie\":3,"));
	assert_non_null(strstr(l.v[1], "\"kind\":\"failure\""));
	assert_non_null(strstr(l.v[2], "\"cookie\":2,"));
	q.comm = "curl";
	assert_int_equal(history(st, &q, &l), 0); /* pid 3 is not curl */
	q.pid = 0;
	assert_int_equal(history(st, &q, &l), 1);
	q.comm = "sshd";
	assert_int_equal(history(st, &q, &l), 3);
	q.comm = "ssh"; /* exact */
	assert_int_equal(history(st, &q, &l), 0);

	/* time: the row's, a socket's close; inclusive */
	memset(&q, 0, sizeof(q));
	q.since_ns = T0 + 35 * SEC;
	q.until_ns = T0 + 45 * SEC;
	assert_int_equal(history(st, &q, &l), 2); /* socket 2, a failure */
	q.kinds = STORE_KIND_SOCKET;
	assert_int_equal(history(st, &q, &l), 1);
	q.kinds = 0;
	q.since_ns = T0 + 15 * SEC;
	q.until_ns = T0 + 15 * SEC;
	assert_int_equal(history(st, &q, &l), 1);
	assert_lines_contain(&l, "\"comm\":\"apache\"");
	q.since_ns = T0 + 41 * SEC;
	q.until_ns = 0;
	assert_int_equal(history(st, &q, &l), 2); /* socket 3, a failure */
	q.since_ns = 0;
	q.until_ns = T0 + 10 * SEC;
	assert_int_equal(history(st, &q, &l), 1); /* the owner row */
	q.until_ns = T0 + 9 * SEC;
	assert_int_equal(history(st, &q, &l), 0);
	/* with a port too */
	q.port = 80;
	q.since_ns = T0 + 15 * SEC;
	q.until_ns = T0 + 40 * SEC;
	assert_int_equal(history(st, &q, &l), 3); /* sockets 1, 2, failure */
	q.pid = 2;
	assert_int_equal(history(st, &q, &l), 1);
	assert_lines_contain(&l, "\"cookie\":2,");

	memset(&q, 0, sizeof(q));
	q.limit = 2;
	assert_int_equal(history(st, &q, &l), 2);
	assert_non_null(strstr(l.v[0], "\"cookie\":3,"));
	assert_non_null(strstr(l.v[1], "\"kind\":\"failure\""));
	store__close(st);
	lines_free(&l);
}

/* Queries walk time buckets of about 73 minutes: rows over many of them. */
static void history_across_buckets(void **state)
{
	const int64_t hour = 3600 * SEC;
	struct store *st = open_store(0, 0, 0);
	struct history_query q = { .port = 9999 };
	struct lines l;

	(void)state;
	lines_init(&l);
	/* every 3 h for 60 h, a socket on 9999 then an owner row; noise on
	 * another port every 10 minutes in between */
	for (int i = 0; i < 20; i++) {
		int64_t t = T0 + i * 3 * hour;
		struct store_socket s = sock((uint64_t)i, 9999, 0, t - SEC, t,
					     (uint32_t)(100 + i % 2), "w");
		struct store_owner o = owner(t + 1, 9999, (uint64_t)i,
					     (uint32_t)(100 + i % 2), "w",
					     "release");

		store__add_socket(st, &s);
		store__add_owner(st, &o);
		for (int j = 1; j < 18; j++) {
			s = sock(1000, 1, 2, t, t + j * 600 * SEC, 7, "noise");
			store__add_socket(st, &s);
		}
	}
	/* one at the very start of a bucket, one just before it */
	{
		int64_t b = ((T0 >> 42) + 1) << 42;
		struct store_failure f = failure(b, 9999, 100, "w");

		store__add_failure(st, &f);
		f = failure(b - 1, 9999, 100, "w");
		store__add_failure(st, &f);
	}
	flush_ok(st);
	assert_int_equal(history(st, &q, &l), 42);
	assert_lines_contain(&l, "9999");
	/* strictly newest first across buckets and kinds */
	assert_non_null(strstr(l.v[0], "\"kind\":\"owner\""));
	assert_non_null(strstr(l.v[0], "\"cookie\":19"));
	assert_non_null(strstr(l.v[1], "\"kind\":\"socket\""));
	assert_non_null(strstr(l.v[1], "\"cookie\":19,"));
	for (size_t i = 1; i < l.n; i++) {
		const char *a = strstr(l.v[i - 1], "\"ts\":\"") ?:
				strstr(l.v[i - 1], "\"closed\":\"");
		const char *b = strstr(l.v[i], "\"ts\":\"") ?:
				strstr(l.v[i], "\"closed\":\"");

		assert_non_null(a);
		assert_non_null(b);
		a = strchr(a + 4, '2');
		b = strchr(b + 4, '2');
		if (strncmp(a, b, 30) < 0)
			fail_msg("out of order: %s then %s", l.v[i - 1], l.v[i]);
	}
	q.limit = 5;
	assert_int_equal(history(st, &q, &l), 5);
	assert_non_null(strstr(l.v[4], "\"cookie\":17,"));
	/* a window over a few buckets: sockets 5..9 and their owner rows */
	q.limit = 0;
	q.since_ns = T0 + 15 * hour;
	q.until_ns = T0 + 27 * hour + 1;
	assert_int_equal(history(st, &q, &l), 10);
	q.kinds = STORE_KIND_SOCKET;
	q.pid = 101;
	assert_int_equal(history(st, &q, &l), 3); /* 5, 7 and 9 */
	q.port = 0;
	assert_int_equal(history(st, &q, &l), 3);
	q.since_ns = q.until_ns = 0;
	assert_int_equal(history(st, &q, &l), 10);
	q.pid = 0;
	q.comm = "noise";
	q.limit = 3;
	assert_int_equal(history(st, &q, &l), 3);
	assert_lines_contain(&l, "\"cookie\":1000,");
	q.limit = 0;
	assert_int_equal(history(st, &q, &l), 20 * 17);
	/* the failures either side of the bucket edge */
	memset(&q, 0, sizeof(q));
	q.failed = true;
	q.port = 9999;
	assert_int_equal(history(st, &q, &l), 2);
	q.since_ns = ((T0 >> 42) + 1) << 42;
	assert_int_equal(history(st, &q, &l), 1);
	q.since_ns = 0;
	q.until_ns = (((T0 >> 42) + 1) << 42) - 1;
	assert_int_equal(history(st, &q, &l), 1);
	store__close(st);
	lines_free(&l);
}

/* Port 8080 changed hands three times; a long-lived listener on 8443. */
static void who_held_the_port(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct store_socket s;
	struct lines l;

	(void)state;
	lines_init(&l);
	s = sock(1, 8080, 0, T0, T0 + 100 * SEC, 101, "first");
	store__add_socket(st, &s);
	s = sock(2, 8080, 0, T0 + 100 * SEC, T0 + 200 * SEC, 102, "second");
	store__add_socket(st, &s);
	s = sock(3, 8080, 0, T0 + 250 * SEC, T0 + 3600 * SEC, 103, "third");
	store__add_socket(st, &s);
	/* an accepted connection on the third's port, a short one */
	s = sock(4, 8080, 5000, T0 + 300 * SEC, T0 + 300 * SEC + 1000, 103,
		 "third");
	store__add_socket(st, &s);
	/* same port, other protocol and namespace */
	s = sock(5, 8080, 0, T0, T0 + 3600 * SEC, 104, "udpd");
	strcpy(s.proto, "udp");
	s.netns = 7;
	store__add_socket(st, &s);
	/* held for 400 days; and one from before sockscope started */
	s = sock(6, 8443, 0, T0 - 400 * 86400 * SEC, T0 + 10 * SEC, 105, "old");
	store__add_socket(st, &s);
	s = sock(7, 8443, 0, 0, T0 + 20 * SEC, 106, "older");
	store__add_socket(st, &s);
	flush_ok(st);

	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 50 * SEC, &l), 1);
	assert_lines_contain(&l, "\"comm\":\"first\"");
	/* the handover instant: both (inclusive) */
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 100 * SEC, &l), 2);
	assert_non_null(strstr(l.v[0], "\"comm\":\"second\""));
	assert_non_null(strstr(l.v[1], "\"comm\":\"first\""));
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 225 * SEC, &l), 0);
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 251 * SEC, &l), 1);
	assert_lines_contain(&l, "\"comm\":\"third\"");
	assert_int_equal(
		who_at(st, 8080, "tcp", 0, T0 + 300 * SEC + 500, &l), 2);
	assert_non_null(strstr(l.v[0], "\"cookie\":4,"));
	assert_non_null(strstr(l.v[1], "\"cookie\":3,"));
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 3601 * SEC, &l), 0);
	assert_int_equal(who_at(st, 8080, NULL, 0, T0 + 50 * SEC, &l), 2);
	assert_int_equal(who_at(st, 8080, NULL, 7, T0 + 50 * SEC, &l), 1);
	assert_lines_contain(&l, "\"comm\":\"udpd\"");
	assert_int_equal(who_at(st, 8080, "udp", NETNS, T0 + 50 * SEC, &l), 0);
	assert_int_equal(who_at(st, 8081, NULL, 0, T0 + 50 * SEC, &l), 0);
	/* long lives and unknown openings */
	assert_int_equal(who_at(st, 8443, NULL, 0, T0 - 300 * 86400 * SEC, &l),
			 2);
	assert_non_null(strstr(l.v[0], "\"comm\":\"old\""));
	assert_non_null(strstr(l.v[1], "\"comm\":\"older\""));
	assert_int_equal(who_at(st, 8443, NULL, 0, T0 + 15 * SEC, &l), 1);
	assert_lines_contain(&l, "\"comm\":\"older\"");
	assert_int_equal(who_at(st, 8443, NULL, 0, T0 + 21 * SEC, &l), 0);
	store__close(st);

	/* lives around the bucket width (2^42 ns), across a bucket edge */
	st = open_store(0, 0, 0);
	{
		const int64_t B = 1LL << 42;
		const int64_t edge = ((T0 >> 42) + 10) << 42;
		const int64_t at = edge - 10 * SEC;

		s = sock(10, 7000, 0, at - 60 * SEC, edge + 60 * SEC, 1,
			 "crosses");
		store__add_socket(st, &s);
		/* the longest short life, closing at the end of the next
		 * bucket; the shortest long one */
		s = sock(11, 7000, 0, at - 1, at + B - 2, 1, "maxshort");
		store__add_socket(st, &s);
		s = sock(12, 7000, 0, at - B + 1, at + 1, 1, "minlong");
		store__add_socket(st, &s);
		s = sock(13, 7000, 0, at, at, 1, "instant");
		store__add_socket(st, &s);
		s = sock(14, 7000, 0, at + 1, at + 2, 1, "after");
		store__add_socket(st, &s);
		s = sock(15, 7000, 0, at - 2 * SEC, at - 1, 1, "before");
		store__add_socket(st, &s);
		flush_ok(st);
		assert_int_equal(who_at(st, 7000, NULL, 0, at, &l), 4);
		assert_non_null(strstr(l.v[0], "\"comm\":\"instant\""));
		assert_non_null(strstr(l.v[1], "\"comm\":\"maxshort\""));
		assert_non_null(strstr(l.v[2], "\"comm\":\"crosses\""));
		assert_non_null(strstr(l.v[3], "\"comm\":\"minlong\""));
		assert_int_equal(who_at(st, 7000, NULL, 0, at + B - 2, &l), 1);
		assert_int_equal(who_at(st, 7000, NULL, 0, at + B - 1, &l), 0);
	}
	store__close(st);
	lines_free(&l);
}

static void retention_by_age(void **state)
{
	struct store *st = open_store(3600, 0, 0);
	struct history_query q = { 0 };
	struct store_stats ss;
	char err[256] = "";
	struct lines l;

	(void)state;
	lines_init(&l);
	/* one row of each kind per minute for two hours; now = T0 + 2h */
	for (int i = 0; i < 120; i++) {
		int64_t t = T0 + i * 60 * SEC;
		struct store_socket s = sock((uint64_t)i, 80, 0, t - SEC, t, 1,
					     "a");
		struct store_failure f = failure(t, 80, 1, "a");
		struct store_owner o = owner(t, 80, (uint64_t)i, 1, "a",
					     "bind");

		store__add_socket(st, &s);
		store__add_failure(st, &f);
		store__add_owner(st, &o);
	}
	flush_ok(st);
	assert_int_equal(store__retain(st, T0 + 7200 * SEC, err, sizeof(err)),
			 0);
	/* older than T0 + 1h goes, T0 + 1h itself stays */
	ss = stats(st);
	assert_int_equal(ss.rows_socket, 60);
	assert_int_equal(ss.rows_failure, 60);
	assert_int_equal(ss.rows_owner, 60);
	assert_int_equal(history(st, &q, &l), 180);
	for (size_t i = 0; i < l.n; i++) /* 15:02 .. 16:01 */
		assert_null(strstr(l.v[i], "T14:"));
	q.pid = 1;
	q.kinds = STORE_KIND_SOCKET;
	assert_int_equal(history(st, &q, &l), 60); /* holders went too */
	store__close(st);

	/* the counts agree with the file after a reopen */
	st = open_store(3600, 0, 0);
	assert_int_equal(stats(st).rows_socket, 60);
	assert_int_equal(store__retain(st, T0 + 7200 * SEC, err, sizeof(err)),
			 0);
	assert_int_equal(stats(st).rows_socket, 60);
	store__close(st);
	lines_free(&l);
}

static int64_t db_bytes(void)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t pages, size;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &s,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	pages = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	size = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return pages * size;
}

static void retention_by_size(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = { .limit = 1 };
	struct store_stats before, after;
	char err[256] = "";
	int64_t full, limit;
	struct stat sb;
	struct lines l;

	(void)state;
	lines_init(&l);
	for (int i = 0; i < 20000; i++) {
		int64_t t = T0 + i * SEC;
		struct store_socket s = sock((uint64_t)i, (uint16_t)(i % 500),
					     443, t - SEC, t, (uint32_t)i,
					     "client");

		store__add_socket(st, &s);
		if (i % 4 == 0) {
			struct store_owner o = owner(t, 80, (uint64_t)i, 1,
						     "srv", "bind");

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
	assert_non_null(strstr(l.v[0], "\"cookie\":19999,"));
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
	lines_free(&l);
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
		struct store_owner o = owner(T0 + i, 80, (uint64_t)i, 1, "a",
					     "bind");

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
		struct store_socket s = sock((uint64_t)i, 80, 0, T0,
					     T0 + i * SEC, 1, "a");

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
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	add_sockets(st, 0, 10);
	assert_int_equal(store__flush(st, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "locked"));
	assert_int_equal(stats(st).queued, 10);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	flush_ok(st);
	assert_int_equal(stats(st).rows_socket, 10);
	store__close(st);
}

/* Names are chosen by whoever runs the process: stored as is, escaped out. */
static void hostile_names_round_trip(void **state)
{
	/* 16 bytes, no NUL: quote, newline, 0xff, backslash, control, DEL */
	static const char evil[17] = "a\"b\n\xff\\c\x01\x7f" "0123456";
	struct store *st = open_store(0, 0, 0);
	struct history_query q = { .comm = evil };
	struct store_socket s = sock(1, 80, 0, T0, T0 + SEC, 666, "x");
	struct store_failure f = failure(T0 + 2 * SEC, 80, 666, "x");
	struct store_owner o = owner(T0 + 3 * SEC, 80, 1, 666, "x", "listen");
	static const char want[] =
		"\"a\\\"b\\n\\ufffd\\\\c\\u0001\\u007f0123456\"";
	struct lines l;

	(void)state;
	lines_init(&l);
	assert_int_equal(strlen(evil), 16);
	memcpy(s.holders[0].comm, evil, 16);
	memcpy(f.comm, evil, 16);
	memcpy(o.comm, evil, 16);
	strcpy(f.reason, "line\nbreak \"quoted\" \xc3\x28");
	memcpy(s.state, evil, 16);
	strcpy(s.raddr, "\xe2\x82\xac\t");
	s.rport = 1;
	/* what the explanation formatter made is kept verbatim... */
	strcpy(f.holders_json, "[{\"pid\":1,\"comm\":\"\\u0001\"}]");
	store__add_socket(st, &s);
	store__add_failure(st, &f);
	store__add_owner(st, &o);
	flush_ok(st);
	/* the exact bytes find them again */
	assert_int_equal(history(st, &q, &l), 3);
	assert_lines_contain(&l, want);
	assert_non_null(strstr(l.v[1], "\"reason\":\"line\\nbreak \\\"quoted\\\" "
					"\\ufffd(\""));
	assert_non_null(strstr(l.v[1], "\"holders\":[{\"pid\":1,"));
	assert_non_null(strstr(l.v[2], "\"raddr\":\"\xe2\x82\xac\\t\""));
	assert_int_equal(who_at(st, 80, NULL, 0, T0, &l), 1);
	assert_lines_contain(&l, want);
	store__close(st);

	/* ...unless it could break the line (a tampered file) */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
					      "UPDATE failure SET holders ="
					      " '[1]' || char(10) || '{\"x\":[1]'",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	st = open_store(0, 0, 0);
	q.comm = NULL;
	q.failed = true;
	assert_int_equal(history(st, &q, &l), 1);
	assert_null(strstr(l.v[0], "holders"));
	store__close(st);
	lines_free(&l);
}

static void not_our_database(void **state)
{
	struct store_opts o = { .path = path };
	char err[256] = "", wal[340];
	struct store *st;
	sqlite3 *db;
	int fd;

	(void)state;
	/* garbage */
	st = open_store(0, 0, 0);
	store__close(st);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a database, just text.....", 30), 30);
	close(fd);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	st = (struct store *)&o; /* must be cleared */
	assert_true(store__open(&st, &o, err, sizeof(err)) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "history.db"));
	/* someone else's database */
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a sockscope database"));
	/* a newer schema */
	unlink(path);
	st = open_store(0, 0, 0);
	store__close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE meta SET value = '99'"
				      " WHERE key = 'schema_version'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "schema version 99"));
	/* no path */
	o.path = "";
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EINVAL);
}

/* ---- a million rows ---- */

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool slow_build(void)
{
#ifdef __SANITIZE_ADDRESS__
	return true;
#else
	return RUNNING_ON_VALGRIND;
#endif
}

/*
 * 30 days of a busy host: 60% sockets (clients to a few services, accepted
 * connections on a few ports, long-lived listeners), 10% failures, 30%
 * ownership changes; then queries by port and who-at-time.
 *
 * Times are printed, never asserted (performance lives in 'make bench'):
 * by default 50k rows (20k under valgrind or ASan) check the answers;
 * the benchmark runs this with SS_STORE_BENCH_ROWS=1000000 and reads the
 * printed times.
 */
static int rows_wanted(bool slow)
{
	const char *env = getenv("SS_STORE_BENCH_ROWS");
	int n = env ? atoi(env) : 0;

	if (n >= 10000 && n <= 10000000)
		return n / 10000 * 10000;
	return slow ? 20000 : 50000;
}

static void million_rows(void **state)
{
	static const uint16_t services[] = { 443, 80, 5432, 6379, 53, 8080 };
	static const char *const comms[] = { "nginx", "curl", "postgres",
					     "redis", "sshd", "python3" };
	const bool slow = slow_build();
	const int total = rows_wanted(slow), batch = 10000;
	const int64_t span = 30LL * 86400 * SEC;
	struct store *st = open_store(0, 0, 0);
	struct history_query q = { 0 };
	double t, t_insert, t_hist, t_hist_busy, t_hist_all, t_who, t_who_busy;
	int n_hist, n_hist_busy, n_hist_all, n_who, n_who_busy;
	uint16_t sparse_port = 0;
	struct lines l;

	(void)state;
	lines_init(&l);
	t = now_s();
	for (int i = 0; i < total; i++) {
		int64_t ts = T0 + span / total * i;
		uint32_t kind = rnd(10), pid = 1000 + rnd(1000);
		const char *comm = comms[rnd(6)];

		if (kind < 6) {
			/* log-uniform lives from 1 us to about 12 days */
			int64_t life = (int64_t)1000 << rnd(41);
			uint16_t svc = services[rnd(6)];
			struct store_socket s;

			life += rnd(1000000);
			if (rnd(2))
				s = sock((uint64_t)i,
					 (uint16_t)(32768 + rnd(28000)), svc,
					 ts - life, ts, pid, comm);
			else
				s = sock((uint64_t)i, svc,
					 (uint16_t)(32768 + rnd(28000)),
					 ts - life, ts, pid, comm);
			if (rnd(1000) == 0) /* a listener, from before us */
				s = sock((uint64_t)i, svc, 0, 0, ts, pid, comm);
			store__add_socket(st, &s);
		} else if (kind < 7) {
			struct store_failure f =
				failure(ts, services[rnd(6)], pid, comm);

			store__add_failure(st, &f);
		} else {
			struct store_owner o =
				owner(ts, (uint16_t)(1024 + rnd(4000)),
				      (uint64_t)i, pid, comm,
				      rnd(2) ? "listen" : "release");

			if (!sparse_port)
				sparse_port = o.lport;
			store__add_owner(st, &o);
		}
		if ((i + 1) % batch == 0)
			flush_ok(st);
	}
	flush_ok(st);
	t_insert = now_s() - t;
	assert_int_equal(stats(st).committed, (uint64_t)total);

	/*
	 * A port with a few owner rows over the month: every bucket is
	 * visited. The busiest port: its newest 1000 rows, then all of them
	 * (about 100k: that one is mostly JSON formatting).
	 */
	l.counting_only = true;
	q.port = sparse_port;
	t = now_s();
	n_hist = history(st, &q, &l);
	t_hist = now_s() - t;
	assert_true(n_hist > 0);
	q.port = 443;
	q.limit = 1000;
	t = now_s();
	n_hist_busy = history(st, &q, &l);
	t_hist_busy = now_s() - t;
	assert_int_equal(n_hist_busy, total >= 50000 ? 1000 : n_hist_busy);
	q.limit = 0;
	t = now_s();
	n_hist_all = history(st, &q, &l);
	t_hist_all = now_s() - t;
	assert_true(n_hist_all >= n_hist_busy);
	/* the busiest port, mid-month: every long life is a candidate */
	t = now_s();
	n_who = who_at(st, 5432, "tcp", 0, T0 + span / 2, &l);
	t_who = now_s() - t;
	t = now_s();
	n_who_busy = who_at(st, 443, NULL, 0, T0 + span / 2, &l);
	t_who_busy = now_s() - t;
	assert_true(n_who > 0 && n_who_busy > 0);
	print_message("%d rows: insert %.2f s (%.0f rows/s); history port "
		      "%u: %d rows %.1f ms, port 443 limit 1000: %.1f ms, "
		      "port 443: %d rows %.1f ms; who_at 5432: %d rows %.1f "
		      "ms, 443: %d rows %.1f ms\n",
		      total, t_insert, total / t_insert, sparse_port, n_hist,
		      t_hist * 1e3, t_hist_busy * 1e3, n_hist_all,
		      t_hist_all * 1e3, n_who, t_who * 1e3, n_who_busy,
		      t_who_busy * 1e3);
	/* machine-readable for the benchmark */
	print_message("store-bench rows=%d insert_s=%.3f history_sparse_ms=%.1f "
		      "history_443_limit1000_ms=%.1f who_at_5432_ms=%.1f "
		      "who_at_443_ms=%.1f\n",
		      total, t_insert, t_hist * 1e3, t_hist_busy * 1e3, t_who * 1e3,
		      t_who_busy * 1e3);
	store__close(st);
	lines_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(json_of_each_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(survives_close_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(acknowledged_rows_survive_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(history_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(history_across_buckets, setup, teardown),
		cmocka_unit_test_setup_teardown(who_held_the_port, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(bounded_queue_counts_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(adds_while_flushing, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_flush_keeps_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_keeps_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_database_keeps_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_names_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(not_our_database, setup, teardown),
		cmocka_unit_test_setup_teardown(million_rows, setup, teardown),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
