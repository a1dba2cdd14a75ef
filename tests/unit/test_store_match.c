// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * history_query.match: conditions no index serves (history's --uid,
 * --netns, --laddr, ...), tested on each row as it is read. The limit counts
 * the rows that match, on the time index and on the bucketed ones alike.
 */
#include "test_store.h"

/* rows whose local port is *arg */
static bool lport_is(const struct store_row *r, void *arg)
{
	uint16_t want = *(const uint16_t *)arg;

	if (r->kind == STORE_KIND_SOCKET)
		return r->socket.lport == want;
	if (r->kind == STORE_KIND_FAILURE)
		return r->failure.lport == want;
	return r->owner.lport == want;
}

static void match_before_limit(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {0};
	struct store_socket s;
	struct store_failure f;
	uint16_t want = 7001;
	struct rows l;

	(void)state;
	rows_init(&l);
	/* the newest 50 sockets are not wanted; the 3 wanted rows are older */
	for (int i = 0; i < 3; i++) {
		s = sock(100 + i, 7001, 0, T0 + i * SEC, T0 + (i + 1) * SEC, 5, "old");
		store__add_socket(st, &s);
	}
	f = failure(T0 + 4 * SEC, 7001, 5, "old");
	store__add_failure(st, &f);
	for (int i = 0; i < 50; i++) {
		s = sock(200 + i, 7002, 0, T0 + (10 + i) * SEC, T0 + (11 + i) * SEC, 6, "new");
		store__add_socket(st, &s);
	}
	flush_ok(st);

	q.match = lport_is;
	q.match_arg = &want;
	assert_int_equal(history(st, &q, &l), 4);
	for (size_t i = 0; i < l.n; i++)
		assert_true(lport_is(&l.v[i], &want));
	/* newest first: the failure, then the sockets */
	assert_int_equal(l.v[0].kind, STORE_KIND_FAILURE);
	q.limit = 2;
	assert_int_equal(history(st, &q, &l), 2);
	assert_int_equal(l.v[0].kind, STORE_KIND_FAILURE);
	assert_int_equal(row_cookie(&l.v[1]), 102);
	/* bucketed (by comm), and with a port */
	q.comm = "old";
	q.limit = 3;
	assert_int_equal(history(st, &q, &l), 3);
	q.comm = NULL;
	q.port = 7001;
	q.limit = 0;
	assert_int_equal(history(st, &q, &l), 4);
	/* a condition nothing meets */
	want = 9999;
	q.port = 0;
	assert_int_equal(history(st, &q, &l), 0);
	store__close(st);
	rows_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(match_before_limit),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store_match", tests, NULL, NULL);
}
