// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The socket rows keep IPV6_V6ONLY: a dual-stack "::" held the IPv4 port too. */
#include "test_store.h"

static void v6only_round_trips(void **state)
{
	struct store *st = open_store(0, 0, 0);
	struct store_socket dual = sock(1, 8080, 0, T0, T0 + SEC, 10, "dual");
	struct store_socket only = sock(2, 8081, 0, T0, T0 + 2 * SEC, 11, "only");
	struct history_query q = {.kinds = STORE_KIND_SOCKET};
	struct rows l;

	(void)state;
	rows_init(&l);
	strcpy(dual.family, "inet6");
	strcpy(dual.laddr, "::");
	only = dual;
	only.cookie = 2;
	only.lport = 8081;
	only.closed_ns = T0 + 2 * SEC;
	only.v6only = 1;
	store__add_socket(st, &dual);
	store__add_socket(st, &only);
	flush_ok(st);
	assert_int_equal(history(st, &q, &l), 2);
	/* newest first */
	assert_int_equal(l.v[0].socket.lport, 8081);
	assert_true(l.v[0].socket.v6only);
	assert_int_equal(l.v[1].socket.lport, 8080);
	assert_false(l.v[1].socket.v6only);
	store__close(st);
	rows_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(v6only_round_trips),
	};

	return cmocka_run_group_tests_name("store_v6only", tests, NULL, NULL);
}
