// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The store's answers: every field of every kind of row comes back as it
 * went in, the history planner and who --at find exactly the right rows in
 * the right order (how fast: test_store_bench.c).
 */
#include "test_store.h"

#include <sqlite3.h>

static void assert_holder(const struct store_holder *h, uint32_t pid, uint32_t uid,
			  const char *comm)
{
	assert_int_equal(h->pid, pid);
	assert_int_equal(h->uid, uid);
	assert_string_equal(h->comm, comm);
}

/* A failure's holders, as an explanation gives them: one with a process,
 * one TIME_WAIT socket with a remote end. */
static void two_fholders(struct store_failure *f)
{
	struct store_failure_holder *h = f->holders;

	h[0].has_process = 1;
	h[0].pid = 10;
	h[0].uid = 1000;
	strcpy(h[0].comm, "srv");
	h[0].cookie = 77;
	strcpy(h[0].state, "LISTEN");
	strcpy(h[0].laddr, "0.0.0.0");
	h[0].lport = 8080;
	h[0].reuseaddr = 1;
	h[1].cookie = 1ull << 63;
	strcpy(h[1].state, "TIME_WAIT");
	strcpy(h[1].laddr, "::ffff:10.0.0.1");
	h[1].lport = 8080;
	strcpy(h[1].raddr, "2001:db8::1");
	h[1].rport = 40000;
	h[1].reuseport = 1;
	f->nr_holders = 2;
}

static void rows_of_each_kind(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {0};
	struct store_socket s = sock(77, 8080, 5555, T0, T0 + 3 * SEC / 2, 10, "srv");
	struct store_socket s2 = sock(78, 0, 443, 0, T0 + 4 * SEC, 12, "curl");
	struct store_failure f = failure(T0 + 2 * SEC, 8080, 13, "dup");
	struct store_owner o = owner(T0 + 3 * SEC, 8080, 77, 10, "srv", "release");
	const struct store_socket *rs;
	const struct store_failure *rf;
	const struct store_owner *ro;
	struct stat sb;
	struct rows l;

	(void)state;
	rows_init(&l);
	s.bytes_sent = 100;
	s.bytes_received = 1ull << 63; /* unsigned, all 64 bits */
	s.holders[1].pid = 11;
	s.holders[1].uid = 0;
	strcpy(s.holders[1].comm, "worker");
	s.nr_holders = 2;
	s2.laddr[0] = '\0';
	strcpy(s2.state, "SYN_SENT");
	strcpy(f.reason, "port 8080 is held by srv");
	two_fholders(&f);
	store__add_socket(st, &s);
	store__add_failure(st, &f);
	store__add_owner(st, &o);
	store__add_socket(st, &s2);
	assert_int_equal(stats(st).queued, 4);
	flush_ok(st);
	assert_int_equal(stats(st).queued, 0);
	assert_int_equal(stats(st).committed, 4);
	assert_int_equal(history(st, &q, &l), 4);

	/* newest first; unknown values stay unknown (0, ""), never invented */
	assert_int_equal(l.v[0].kind, STORE_KIND_SOCKET);
	rs = &l.v[0].socket;
	assert_int_equal(rs->cookie, 78);
	assert_int_equal(rs->netns, NETNS);
	assert_string_equal(rs->proto, "tcp");
	assert_string_equal(rs->family, "inet");
	assert_string_equal(rs->laddr, "");
	assert_int_equal(rs->lport, 0);
	assert_string_equal(rs->raddr, "10.0.0.2");
	assert_int_equal(rs->rport, 443);
	assert_string_equal(rs->state, "SYN_SENT");
	assert_int_equal(rs->opened_ns, 0);
	assert_int_equal(rs->closed_ns, T0 + 4 * SEC);
	assert_int_equal(rs->bytes_sent, 0);
	assert_int_equal(rs->bytes_received, 0);
	assert_int_equal(rs->nr_holders, 1);
	assert_holder(&rs->holders[0], 12, 1000, "curl");

	assert_int_equal(l.v[1].kind, STORE_KIND_OWNER);
	ro = &l.v[1].owner;
	assert_int_equal(ro->ts_ns, T0 + 3 * SEC);
	assert_string_equal(ro->action, "release");
	assert_int_equal(ro->netns, NETNS);
	assert_string_equal(ro->proto, "tcp");
	assert_string_equal(ro->laddr, "0.0.0.0");
	assert_int_equal(ro->lport, 8080);
	assert_int_equal(ro->cookie, 77);
	assert_int_equal(ro->pid, 10);
	assert_int_equal(ro->uid, 1000);
	assert_string_equal(ro->comm, "srv");

	assert_int_equal(l.v[2].kind, STORE_KIND_FAILURE);
	rf = &l.v[2].failure;
	assert_int_equal(rf->ts_ns, T0 + 2 * SEC);
	assert_string_equal(rf->event, "bind");
	assert_int_equal(rf->pid, 13);
	assert_int_equal(rf->uid, 1000);
	assert_string_equal(rf->comm, "dup");
	assert_int_equal(rf->netns, NETNS);
	assert_string_equal(rf->proto, "tcp");
	assert_string_equal(rf->laddr, "0.0.0.0");
	assert_int_equal(rf->lport, 8080);
	assert_string_equal(rf->raddr, "");
	assert_int_equal(rf->rport, 0);
	assert_int_equal(rf->err, 98);
	assert_string_equal(rf->error, "EADDRINUSE");
	assert_string_equal(rf->reason, "port 8080 is held by srv");
	assert_int_equal(rf->nr_holders, 2);
	assert_memory_equal(rf->holders, f.holders, 2 * sizeof(f.holders[0]));

	assert_int_equal(l.v[3].kind, STORE_KIND_SOCKET);
	rs = &l.v[3].socket;
	assert_int_equal(rs->cookie, 77);
	assert_string_equal(rs->laddr, "127.0.0.1");
	assert_int_equal(rs->lport, 8080);
	assert_string_equal(rs->raddr, "10.0.0.2");
	assert_int_equal(rs->rport, 5555);
	assert_string_equal(rs->state, "ESTABLISHED");
	assert_int_equal(rs->opened_ns, T0);
	assert_int_equal(rs->closed_ns, T0 + 3 * SEC / 2);
	assert_int_equal(rs->bytes_sent, 100);
	assert_true(rs->bytes_received == 1ull << 63);
	assert_int_equal(rs->nr_holders, 2);
	assert_holder(&rs->holders[0], 10, 1000, "srv");
	assert_holder(&rs->holders[1], 11, 0, "worker");

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
	rf = &l.v[0].failure;
	assert_int_equal(l.v[0].kind, STORE_KIND_FAILURE);
	assert_string_equal(rf->event, "connect");
	assert_int_equal(rf->pid, 0);
	assert_string_equal(rf->comm, "");
	assert_string_equal(rf->raddr, "192.0.2.1");
	assert_int_equal(rf->rport, 80);
	assert_int_equal(rf->err, 111);
	assert_string_equal(rf->error, "ECONNREFUSED");
	assert_string_equal(rf->reason, "");
	assert_int_equal(rf->nr_holders, 0);
	store__close(st);
	/* the directories were created 0700, the file 0600 */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	*strrchr(path, '/') = '\0';
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	rows_clear(&l);
}

/* Sets failure.holders of every row to an SQL expression. */
static void set_fholders(const char *expr)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "UPDATE failure SET holders = %s", expr);
	db_exec(sql);
}

static uint32_t stored_fholders(struct rows *l)
{
	struct history_query q = {.failed = true};
	struct store *st = open_store(0, 0, 0);

	assert_int_equal(history(st, &q, l), 1);
	store__close(st);
	return l->v[0].failure.nr_holders;
}

/*
 * Eight holders with every string filling its array, byte for byte; more
 * than eight are cut to eight. What is not our encoding (the JSON text of
 * older versions, a cut or tampered blob) reads as no holders.
 */
static void failure_holders_round_trip(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct store_failure f = failure(T0, 80, 1, "a");
	struct rows l;

	(void)state;
	rows_init(&l);
	for (int i = 0; i < 8; i++) {
		struct store_failure_holder *h = &f.holders[i];

		h->has_process = i % 2;
		h->pid = 0xfffffff0u + (uint32_t)i;
		h->uid = (uint32_t)i;
		memset(h->comm, 'c' + i, sizeof(h->comm));
		h->cookie = ~0ull - (uint64_t)i;
		memset(h->state, 's', sizeof(h->state));
		memset(h->laddr, '1' + i, sizeof(h->laddr));
		h->lport = 65535;
		memset(h->raddr, 'r', sizeof(h->raddr));
		h->rport = (uint16_t)(i + 1);
		h->reuseaddr = i & 1;
		h->reuseport = (i >> 1) & 1;
		if (!h->has_process) { /* not stored: comes back as 0 */
			h->pid = h->uid = 0;
			memset(h->comm, 0, sizeof(h->comm));
		}
	}
	f.nr_holders = 9; /* one more than there is room for */
	store__add_failure(st, &f);
	flush_ok(st);
	store__close(st);
	assert_int_equal(stored_fholders(&l), 8);
	assert_memory_equal(l.v[0].failure.holders, f.holders, sizeof(f.holders));

	set_fholders("'[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000}]'");
	assert_int_equal(stored_fholders(&l), 0);
	set_fholders("substr(X'0101000000000000000000', 1, 5)");
	assert_int_equal(stored_fholders(&l), 0);
	set_fholders("X'0201'"); /* a version we do not know */
	assert_int_equal(stored_fholders(&l), 0);
	set_fholders("X''");
	assert_int_equal(stored_fholders(&l), 0);
	rows_clear(&l);
}

/* fn returning non-zero stops the query; that row counts. */
static void fn_stops_the_query(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {0};
	struct rows l;

	(void)state;
	rows_init(&l);
	for (int i = 0; i < 10; i++) {
		struct store_socket s = sock((uint64_t)i, 80, 0, T0, T0 + (i + 1) * SEC, 1, "a");

		store__add_socket(st, &s);
	}
	flush_ok(st);
	l.stop_after = 3;
	assert_int_equal(history(st, &q, &l), 3);
	assert_int_equal(row_cookie(&l.v[2]), 7);
	q.port = 80; /* the bucketed planner */
	assert_int_equal(history(st, &q, &l), 3);
	assert_int_equal(who_at(st, 80, NULL, 0, T0 + SEC / 2, &l), 3);
	l.stop_after = 0;
	assert_int_equal(who_at(st, 80, NULL, 0, T0 + SEC / 2, &l), 10);
	store__close(st);
	rows_clear(&l);
}

static void history_filters(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {0};
	struct store_socket s;
	struct store_failure f;
	struct store_owner o;
	struct rows l;

	(void)state;
	rows_init(&l);
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
	for (size_t i = 0; i < l.n; i++)
		assert_true(row_has_port(&l.v[i], 80));
	q.failed = true;
	assert_int_equal(history(st, &q, &l), 1);
	assert_int_equal(l.v[0].kind, STORE_KIND_FAILURE);
	assert_all_comm(&l, "apache");
	q.failed = false;
	q.kinds = STORE_KIND_SOCKET;
	assert_int_equal(history(st, &q, &l), 2);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.v[i].kind, STORE_KIND_SOCKET);
	q.kinds = STORE_KIND_SOCKET | STORE_KIND_OWNER;
	assert_int_equal(history(st, &q, &l), 3);

	memset(&q, 0, sizeof(q));
	q.pid = 3; /* a holder of sockets 2 and 3, the second failure */
	assert_int_equal(history(st, &q, &l), 3);
	assert_int_equal(row_cookie(&l.v[0]), 3);
	assert_int_equal(l.v[1].kind, STORE_KIND_FAILURE);
	assert_int_equal(row_cookie(&l.v[2]), 2);
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
	assert_all_comm(&l, "apache");
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
	assert_int_equal(row_cookie(&l.v[0]), 2);

	memset(&q, 0, sizeof(q));
	q.limit = 2;
	assert_int_equal(history(st, &q, &l), 2);
	assert_int_equal(row_cookie(&l.v[0]), 3);
	assert_int_equal(l.v[1].kind, STORE_KIND_FAILURE);
	store__close(st);
	rows_clear(&l);
}

/* Queries walk time buckets of about 73 minutes: rows over many of them. */
static void history_across_buckets(void **state)
{
	const int64_t hour = 3600 * SEC;
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {.port = 9999};
	struct rows l;

	(void)state;
	rows_init(&l);
	/* every 3 h for 60 h, a socket on 9999 then an owner row; noise on
	 * another port every 10 minutes in between */
	for (int i = 0; i < 20; i++) {
		int64_t t = T0 + i * 3 * hour;
		struct store_socket s =
			sock((uint64_t)i, 9999, 0, t - SEC, t, (uint32_t)(100 + i % 2), "w");
		struct store_owner o =
			owner(t + 1, 9999, (uint64_t)i, (uint32_t)(100 + i % 2), "w", "release");

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
	for (size_t i = 0; i < l.n; i++)
		assert_true(row_has_port(&l.v[i], 9999));
	/* strictly newest first across buckets and kinds */
	assert_int_equal(l.v[0].kind, STORE_KIND_OWNER);
	assert_int_equal(row_cookie(&l.v[0]), 19);
	assert_int_equal(l.v[1].kind, STORE_KIND_SOCKET);
	assert_int_equal(row_cookie(&l.v[1]), 19);
	for (size_t i = 1; i < l.n; i++)
		if (row_time(&l.v[i - 1]) < row_time(&l.v[i]))
			fail_msg("out of order: row %zu then %zu", i - 1, i);
	q.limit = 5;
	assert_int_equal(history(st, &q, &l), 5);
	assert_int_equal(row_cookie(&l.v[4]), 17);
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
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(row_cookie(&l.v[i]), 1000);
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
	rows_clear(&l);
}

/* Port 8080 changed hands three times; a long-lived listener on 8443. */
static void who_held_the_port(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct store_socket s;
	struct rows l;

	(void)state;
	rows_init(&l);
	s = sock(1, 8080, 0, T0, T0 + 100 * SEC, 101, "first");
	store__add_socket(st, &s);
	s = sock(2, 8080, 0, T0 + 100 * SEC, T0 + 200 * SEC, 102, "second");
	store__add_socket(st, &s);
	s = sock(3, 8080, 0, T0 + 250 * SEC, T0 + 3600 * SEC, 103, "third");
	store__add_socket(st, &s);
	/* an accepted connection on the third's port, a short one */
	s = sock(4, 8080, 5000, T0 + 300 * SEC, T0 + 300 * SEC + 1000, 103, "third");
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
	assert_all_comm(&l, "first");
	/* the handover instant: both (inclusive) */
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 100 * SEC, &l), 2);
	assert_true(row_has_comm(&l.v[0], "second"));
	assert_true(row_has_comm(&l.v[1], "first"));
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 225 * SEC, &l), 0);
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 251 * SEC, &l), 1);
	assert_all_comm(&l, "third");
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 300 * SEC + 500, &l), 2);
	assert_int_equal(row_cookie(&l.v[0]), 4);
	assert_int_equal(row_cookie(&l.v[1]), 3);
	assert_int_equal(who_at(st, 8080, "tcp", 0, T0 + 3601 * SEC, &l), 0);
	assert_int_equal(who_at(st, 8080, NULL, 0, T0 + 50 * SEC, &l), 2);
	assert_int_equal(who_at(st, 8080, NULL, 7, T0 + 50 * SEC, &l), 1);
	assert_all_comm(&l, "udpd");
	assert_int_equal(who_at(st, 8080, "udp", NETNS, T0 + 50 * SEC, &l), 0);
	assert_int_equal(who_at(st, 8081, NULL, 0, T0 + 50 * SEC, &l), 0);
	/* long lives and unknown openings */
	assert_int_equal(who_at(st, 8443, NULL, 0, T0 - 300 * 86400 * SEC, &l), 2);
	assert_true(row_has_comm(&l.v[0], "old"));
	assert_true(row_has_comm(&l.v[1], "older"));
	assert_int_equal(who_at(st, 8443, NULL, 0, T0 + 15 * SEC, &l), 1);
	assert_all_comm(&l, "older");
	assert_int_equal(who_at(st, 8443, NULL, 0, T0 + 21 * SEC, &l), 0);
	store__close(st);

	/* lives around the bucket width (2^42 ns), across a bucket edge */
	st = open_store(0, 0, 0);
	{
		const int64_t B = 1LL << 42;
		const int64_t edge = ((T0 >> 42) + 10) << 42;
		const int64_t at = edge - 10 * SEC;

		s = sock(10, 7000, 0, at - 60 * SEC, edge + 60 * SEC, 1, "crosses");
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
		assert_true(row_has_comm(&l.v[0], "instant"));
		assert_true(row_has_comm(&l.v[1], "maxshort"));
		assert_true(row_has_comm(&l.v[2], "crosses"));
		assert_true(row_has_comm(&l.v[3], "minlong"));
		assert_int_equal(who_at(st, 7000, NULL, 0, at + B - 2, &l), 1);
		assert_int_equal(who_at(st, 7000, NULL, 0, at + B - 1, &l), 0);
	}
	store__close(st);
	rows_clear(&l);
}

/* Names are chosen by whoever runs the process: stored and given back as
 * they are, byte for byte (the printers escape them). */
static void hostile_names_round_trip(void **state)
{
	/* 16 bytes, no NUL: quote, newline, 0xff, backslash, control, DEL */
	static const char evil[17] = "a\"b\n\xff\\c\x01\x7f"
				     "0123456";
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {.comm = evil};
	struct store_socket s = sock(1, 80, 0, T0, T0 + SEC, 666, "x");
	struct store_failure f = failure(T0 + 2 * SEC, 80, 666, "x");
	struct store_owner o = owner(T0 + 3 * SEC, 80, 1, 666, "x", "listen");
	static const char reason[] = "line\nbreak \"quoted\" \xc3\x28";
	struct rows l;

	(void)state;
	rows_init(&l);
	assert_int_equal(strlen(evil), 16);
	memcpy(s.holders[0].comm, evil, 16);
	memcpy(f.comm, evil, 16);
	memcpy(o.comm, evil, 16);
	strcpy(f.reason, reason);
	memcpy(s.state, evil, 16);
	strcpy(s.raddr, "\xe2\x82\xac\t");
	s.rport = 1;
	store__add_socket(st, &s);
	store__add_failure(st, &f);
	store__add_owner(st, &o);
	flush_ok(st);
	/* the exact bytes find them again */
	assert_int_equal(history(st, &q, &l), 3);
	assert_memory_equal(l.v[0].owner.comm, evil, 16);
	assert_memory_equal(l.v[1].failure.comm, evil, 16);
	assert_string_equal(l.v[1].failure.reason, reason);
	assert_memory_equal(l.v[2].socket.holders[0].comm, evil, 16);
	assert_memory_equal(l.v[2].socket.state, evil, 16);
	assert_string_equal(l.v[2].socket.raddr, "\xe2\x82\xac\t");
	assert_int_equal(who_at(st, 80, NULL, 0, T0, &l), 1);
	assert_memory_equal(l.v[0].socket.holders[0].comm, evil, 16);
	store__close(st);

	/* a tampered file: a string longer than its array is cut to it */
	db_exec("UPDATE owner SET comm = printf('%.100c', 'x')");
	st = open_store(0, 0, 0);
	q.comm = NULL;
	q.kinds = STORE_KIND_OWNER;
	assert_int_equal(history(st, &q, &l), 1);
	assert_memory_equal(l.v[0].owner.comm, "xxxxxxxxxxxxxxxx", 16);
	assert_string_equal(l.v[0].owner.action, "listen");
	store__close(st);
	rows_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(rows_of_each_kind),	   tu_test(failure_holders_round_trip),
		tu_test(fn_stops_the_query),	   tu_test(history_filters),
		tu_test(history_across_buckets),   tu_test(who_held_the_port),
		tu_test(hostile_names_round_trip),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store_query", tests, NULL, NULL);
}
