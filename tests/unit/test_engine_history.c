// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's history: bounded, oldest first, and what it evicts goes
 * back to the caller to free. */
#include "testutil.h"

#include "model/engine_history.h"

static struct eng_sock socks[5];

static void keeps_the_newest_max(void **state)
{
	struct sock_history h;

	(void)state;
	assert_int_equal(sock_history__init(&h, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_null(sock_history__push(&h, &socks[i]));
	assert_int_equal(h.len, 3);
	assert_ptr_equal(sock_history__push(&h, &socks[3]), &socks[0]);
	assert_ptr_equal(sock_history__push(&h, &socks[4]), &socks[1]);
	assert_int_equal(h.len, 3);
	for (size_t i = 0; i < 3; i++)
		assert_ptr_equal(sock_history__at(&h, i), &socks[2 + i]);
	sock_history__free(&h);
}

static void max_zero_keeps_nothing(void **state)
{
	struct sock_history h;

	(void)state;
	assert_int_equal(sock_history__init(&h, 0), 0);
	assert_ptr_equal(sock_history__push(&h, &socks[0]), &socks[0]);
	assert_int_equal(h.len, 0);
	sock_history__free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keeps_the_newest_max),
		cmocka_unit_test(max_zero_keeps_nothing),
	};

	return cmocka_run_group_tests_name("engine_history", tests, NULL, NULL);
}
