// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sockets and their holders: the socket's holder list and each process's
 * socket list change together, whatever order they are undone in. */
#include "testutil.h"

#include <string.h>

#include "model/engine_holders.h"

/* comm is always SS_COMM_LEN bytes, as in the records */
static const char srv[SS_COMM_LEN] = "srv", w[SS_COMM_LEN] = "w";
static struct sock_table socks;
static struct proc_table procs;

static int setup(void **state)
{
	(void)state;
	memset(&procs, 0, sizeof(procs));
	return sock_table__init(&socks);
}

static int teardown(void **state)
{
	(void)state;
	proc_table__free(&procs);
	sock_table__free(&socks);
	return 0;
}

/* Every holder of every socket sits where its process's list says. */
static void assert_in_step(uint64_t first, uint64_t last)
{
	for (uint64_t c = first; c <= last; c++) {
		struct eng_sock *s = sock_table__find(&socks, c);

		for (uint32_t i = 0; s && i < s->nr_holders; i++) {
			struct eng_proc *p = proc_table__find(&procs, s->holders[i].pid);

			assert_non_null(p);
			assert_true(s->holders[i].slot < p->nr);
			assert_int_equal(p->cookies[s->holders[i].slot], c);
		}
	}
}

static void one_process_many_sockets(void **state)
{
	struct eng_proc *p;

	(void)state;
	for (uint64_t c = 1; c <= 20; c++) {
		struct eng_sock *s = sock_table__insert(&socks, c);

		assert_null(eng_sock__holder(s, 100));
		assert_int_equal(holders__add(&procs, s, 100, 0, srv), 0);
		assert_non_null(eng_sock__holder(s, 100));
	}
	p = proc_table__find(&procs, 100);
	assert_non_null(p);
	assert_int_equal(p->nr, 20);
	assert_in_step(1, 20);
	/* from the middle, the front, the back: the moved entries follow */
	for (uint64_t c = 5; c <= 20; c += 5)
		assert_true(holders__remove(&procs, &socks, sock_table__find(&socks, c), 100));
	assert_true(holders__remove(&procs, &socks, sock_table__find(&socks, 1), 100));
	assert_false(holders__remove(&procs, &socks, sock_table__find(&socks, 1), 100));
	assert_int_equal(p->nr, 15);
	assert_in_step(1, 20);
	for (uint64_t c = 1; c <= 20; c++)
		holders__remove(&procs, &socks, sock_table__find(&socks, c), 100);
	assert_null(proc_table__find(&procs, 100)); /* nothing held: forgotten */
}

static void many_processes_one_socket(void **state)
{
	struct eng_sock *s = sock_table__insert(&socks, 9);
	struct holder all[16];

	(void)state;
	for (uint32_t pid = 1; pid <= 6; pid++)
		assert_int_equal(holders__add(&procs, s, pid, pid, w), 0);
	assert_int_equal(s->nr_holders, 6);
	assert_true(s->holders != s->inline_holders); /* grew past the inline ones */
	assert_in_step(9, 9);
	for (uint32_t pid = 1; pid <= 6; pid++)
		assert_true(holders__remove(&procs, &socks, s, pid));
	assert_int_equal(s->nr_holders, 0);
	/* the first ENGINE_PAST_HOLDERS that let go are remembered */
	assert_int_equal(s->nr_past, ENGINE_PAST_HOLDERS);
	assert_int_equal(s->past[0].pid, 1);
	/* a past holder comes back: current first, then past, each pid once */
	assert_int_equal(holders__add(&procs, s, 2, 2, w), 0);
	assert_int_equal(eng_sock__all_holders(s, all, 16), ENGINE_PAST_HOLDERS);
	assert_int_equal(all[0].pid, 2);
	assert_int_equal(all[1].pid, 1);
	assert_int_equal(eng_sock__all_holders(s, all, 2), 2);
}

static void a_process_keeps_its_latest_name(void **state)
{
	struct eng_sock *a = sock_table__insert(&socks, 1);
	struct eng_sock *b = sock_table__insert(&socks, 2);
	char empty[SS_COMM_LEN] = "";
	char sh[SS_COMM_LEN] = "sh", nginx[SS_COMM_LEN] = "nginx";

	(void)state;
	holders__add(&procs, a, 7, 0, sh);
	/* an event without a name: the holder takes the process's */
	holders__add(&procs, b, 7, 0, empty);
	assert_string_equal(b->holders[0].comm, "sh");
	/* after exec the process is renamed; the older holder keeps its name */
	assert_ptr_equal(proc_table__get(&procs, 7, 0, nginx), proc_table__find(&procs, 7));
	assert_string_equal(proc_table__find(&procs, 7)->comm, "nginx");
	assert_string_equal(a->holders[0].comm, "sh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(one_process_many_sockets),
		tu_test(many_processes_one_socket),
		tu_test(a_process_keeps_its_latest_name),
	};

	return cmocka_run_group_tests_name("engine_holders", tests, NULL, NULL);
}
