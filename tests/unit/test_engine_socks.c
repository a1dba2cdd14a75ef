// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's socket table: pooled sockets found by cookie, whatever the
 * table's size; a walk may finish the socket it stands on. */
#include "testutil.h"

#include <string.h>

#include "model/engine_socks.h"

#define MANY 5000 /* past the first 1,024 buckets and the first pool chunk */

static void insert_find_unlink(void **state)
{
	struct sock_table t;
	struct eng_sock *s;

	(void)state;
	assert_int_equal(sock_table__init(&t), 0);
	assert_null(sock_table__find(&t, 42));
	s = sock_table__insert(&t, 42);
	assert_non_null(s);
	assert_int_equal(s->info.cookie, 42);
	assert_ptr_equal(s->holders, s->inline_holders);
	assert_int_equal(s->cap_holders, ENGINE_INLINE_HOLDERS);
	assert_ptr_equal(sock_table__find(&t, 42), s);
	assert_int_equal(t.nr_socks, 1);
	sock_table__unlink(&t, s);
	assert_null(sock_table__find(&t, 42));
	assert_int_equal(t.nr_socks, 0);
	/* unlinked memory is the caller's until put; then the pool reuses it */
	sock_table__put(&t, s);
	assert_ptr_equal(sock_table__insert(&t, 43), s);
	assert_int_equal(s->info.cookie, 43);
	sock_table__free(&t);
}

static void grows_and_keeps_every_socket(void **state)
{
	struct sock_table t;

	(void)state;
	assert_int_equal(sock_table__init(&t), 0);
	for (uint64_t c = 1; c <= MANY; c++)
		assert_non_null(sock_table__insert(&t, c * 0x100000001ull));
	assert_true(t.nr_buckets >= MANY);
	for (uint64_t c = 1; c <= MANY; c++) {
		struct eng_sock *s = sock_table__find(&t, c * 0x100000001ull);

		assert_non_null(s);
		assert_int_equal(s->info.cookie, c * 0x100000001ull);
	}
	assert_null(sock_table__find(&t, 7));
	sock_table__free(&t);
}

static void walk_may_unlink_the_current_socket(void **state)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct sock_table t;
	struct eng_sock *s;
	size_t seen = 0;

	(void)state;
	assert_int_equal(sock_table__init(&t), 0);
	for (uint64_t c = 1; c <= MANY; c++)
		assert_non_null(sock_table__insert(&t, c));
	while ((s = sock_table__next(&t, &it))) {
		seen++;
		if (s->info.cookie % 2) {
			sock_table__unlink(&t, s);
			sock_table__put(&t, s);
		}
	}
	assert_int_equal(seen, MANY);
	assert_int_equal(t.nr_socks, MANY / 2);
	assert_null(sock_table__find(&t, 1));
	assert_non_null(sock_table__find(&t, 2));
	sock_table__clear(&t);
	assert_int_equal(t.nr_socks, 0);
	assert_null(sock_table__find(&t, 2));
	it = (struct sock_iter)SOCK_ITER_INIT;
	assert_null(sock_table__next(&t, &it));
	sock_table__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(insert_find_unlink),
		cmocka_unit_test(grows_and_keeps_every_socket),
		cmocka_unit_test(walk_may_unlink_the_current_socket),
	};

	return cmocka_run_group_tests_name("engine_socks", tests, NULL, NULL);
}
