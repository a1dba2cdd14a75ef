// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The periodic thread: calls at its period, off the caller's thread, with
 * signals blocked there, and a stop that waits for the call in progress. */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "lib/ticker.h"

struct probe {
	int calls;
	int in_call;
	int overlap; /* a stop returned while a call ran */
	pthread_t caller;
	int off_thread;
	int sigint_blocked;
	uint64_t first, last;
	unsigned int sleep_us;
};

static void tick(void *arg, uint64_t now)
{
	struct probe *p = arg;
	sigset_t cur;

	__atomic_store_n(&p->in_call, 1, __ATOMIC_SEQ_CST);
	if (!pthread_equal(pthread_self(), p->caller))
		p->off_thread++;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	p->sigint_blocked += sigismember(&cur, SIGINT) == 1;
	if (!p->first)
		p->first = now;
	p->last = now;
	if (p->sleep_us)
		usleep(p->sleep_us);
	__atomic_add_fetch(&p->calls, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->in_call, 0, __ATOMIC_SEQ_CST);
}

static void calls_at_its_period_off_thread(void **state)
{
	struct probe p = {.caller = pthread_self()};
	struct ticker *t = NULL;
	char err[128];

	(void)state;
	assert_int_equal(ticker__start(&t, 20 * 1000000ull, tick, &p, err, sizeof(err)), 0);
	usleep(230 * 1000);
	ticker__stop(t);
	/* 11 periods fit; a loaded machine may run a few late, never early */
	assert_in_range(p.calls, 5, 11);
	assert_int_equal(p.off_thread, p.calls);
	assert_int_equal(p.sigint_blocked, p.calls);
	assert_true(p.last - p.first >= (uint64_t)(p.calls - 1) * 20 * 1000000ull * 9 / 10);
}

static void stop_waits_for_the_call_in_progress(void **state)
{
	struct probe p = {.caller = pthread_self(), .sleep_us = 150 * 1000};
	struct ticker *t = NULL;
	char err[128];

	(void)state;
	assert_int_equal(ticker__start(&t, 10 * 1000000ull, tick, &p, err, sizeof(err)), 0);
	while (!__atomic_load_n(&p.in_call, __ATOMIC_SEQ_CST))
		usleep(1000);
	ticker__stop(t);
	assert_int_equal(__atomic_load_n(&p.in_call, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(p.calls, 1);
}

static void stop_before_the_first_call(void **state)
{
	struct probe p = {.caller = pthread_self()};
	struct ticker *t = NULL;
	char err[128];

	(void)state;
	assert_int_equal(ticker__start(&t, 10ull * 1000000000ull, tick, &p, err, sizeof(err)), 0);
	ticker__stop(t); /* at once, not after the 10 s period */
	assert_int_equal(p.calls, 0);
	ticker__stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calls_at_its_period_off_thread),
		cmocka_unit_test(stop_waits_for_the_call_in_progress),
		cmocka_unit_test(stop_before_the_first_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
