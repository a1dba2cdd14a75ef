// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* raw_duration() prints what printf printed for trace's durations, to the
 * byte: every value near each unit's boundaries and ties, and a sweep. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "lib/timefmt.h"

static void check(uint64_t ns)
{
	char want[64], got[TIMEFMT_DURATION_MAX + 1];
	char *end = raw_duration(got, ns);

	*end = '\0';
	if (ns < 1000000)
		snprintf(want, sizeof(want), "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(want, sizeof(want), "%.2fms", (double)ns / 1e6);
	else
		snprintf(want, sizeof(want), "%.2fs", (double)ns / 1e9);
	assert_string_equal(got, want);
}

static void around_boundaries_and_ties(void **state)
{
	static const uint64_t at[] = {0,
				      50,
				      63550,
				      999950,
				      999960,
				      1000000,
				      1005000,
				      999995000,
				      1000000000,
				      1005000000,
				      59999995000ull,
				      1ull << 50,
				      (1ull << 50) + 5000000,
				      18446744073709551615ull};

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (uint64_t d = 0; d < 200; d++) {
			check(at[i] + d);
			if (at[i] >= d)
				check(at[i] - d);
		}
}

static void sweep(void **state)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	(void)state;
	for (uint64_t ns = 0; ns < 2000000; ns += 37)
		check(ns);
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check(x >> (x % 50));		/* every magnitude */
		check((x >> 20) / 5000 * 5000); /* ties and near ties */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(around_boundaries_and_ties),
		cmocka_unit_test(sweep),
	};

	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
