// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The store with a month of a busy host: insert rate and query times,
 * printed for 'make bench-store' (SS_STORE_BENCH_ROWS=1000000).
 */
#include "test_store.h"

#include <time.h>
#include <valgrind/valgrind.h>

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
	static const uint16_t services[] = {443, 80, 5432, 6379, 53, 8080};
	static const char *const comms[] = {"nginx", "curl", "postgres",
					    "redis", "sshd", "python3"};
	const bool slow = slow_build();
	const int total = rows_wanted(slow), batch = 10000;
	const int64_t span = 30LL * 86400 * SEC;
	struct store *st = open_store(0, 0, 0);
	struct history_query q = {0};
	double t, t_insert, t_hist, t_hist_busy, t_hist_all, t_who, t_who_busy;
	int n_hist, n_hist_busy, n_hist_all, n_who, n_who_busy;
	uint16_t sparse_port = 0;
	struct rows l;

	(void)state;
	rows_init(&l);
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
				s = sock((uint64_t)i, (uint16_t)(32768 + rnd(28000)), svc,
					 ts - life, ts, pid, comm);
			else
				s = sock((uint64_t)i, svc, (uint16_t)(32768 + rnd(28000)),
					 ts - life, ts, pid, comm);
			if (rnd(1000) == 0) /* a listener, from before us */
				s = sock((uint64_t)i, svc, 0, 0, ts, pid, comm);
			store__add_socket(st, &s);
		} else if (kind < 7) {
			struct store_failure f = failure(ts, services[rnd(6)], pid, comm);

			store__add_failure(st, &f);
		} else {
			struct store_owner o = owner(ts, (uint16_t)(1024 + rnd(4000)), (uint64_t)i,
						     pid, comm, rnd(2) ? "listen" : "release");

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
	 * (about 100k: that one is mostly reading rows).
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
		      total, t_insert, total / t_insert, sparse_port, n_hist, t_hist * 1e3,
		      t_hist_busy * 1e3, n_hist_all, t_hist_all * 1e3, n_who, t_who * 1e3,
		      n_who_busy, t_who_busy * 1e3);
	/* machine-readable for the benchmark */
	print_message("store-bench rows=%d insert_s=%.3f history_sparse_ms=%.1f "
		      "history_443_limit1000_ms=%.1f who_at_5432_ms=%.1f "
		      "who_at_443_ms=%.1f\n",
		      total, t_insert, t_hist * 1e3, t_hist_busy * 1e3, t_who * 1e3,
		      t_who_busy * 1e3);
	store__close(st);
	rows_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(million_rows),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store_bench", tests, NULL, NULL);
}
