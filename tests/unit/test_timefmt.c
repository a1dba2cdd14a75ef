// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel timestamps to wall-clock time and text, including the timestamps
 * a record should never carry (found by tests/fuzz/fuzz_decode.c: the sum
 * overflowed a signed 64-bit integer, undefined behaviour).
 */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/timefmt.h"

#define SEC 1000000000LL
/* 2026-11-20T14:02:11Z, a host up for 1000 s */
#define REAL0 (1795183331LL * SEC)
#define MONO0 (1000LL * SEC)

static void converts(void **state)
{
	struct timefmt tf;
	char buf[64];
	struct sbuf sb;

	(void)state;
	timefmt_init_offset(&tf, REAL0 - MONO0);
	assert_true(timefmt_real_ns(&tf, MONO0 + 5) == (uint64_t)REAL0 + 5);
	sbuf_init(&sb, buf, sizeof(buf));
	timefmt_rfc3339(&tf, &sb, timefmt_real_ns(&tf, MONO0 + 123456789));
	assert_string_equal(buf, "2026-11-20T14:02:11.123456789Z");
}

/* Under UBSan (make unit-asan) the old signed sum aborted here. */
static void hostile_timestamps(void **state)
{
	static const uint64_t ts[] = {UINT64_MAX, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1,
				      8070450532264744960ull};
	struct timefmt tf;
	char buf[64];
	struct sbuf sb;

	(void)state;
	timefmt_init_offset(&tf, REAL0 - MONO0);
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		uint64_t real = timefmt_real_ns(&tf, ts[i]);

		assert_true(real == ts[i] + (uint64_t)(REAL0 - MONO0));
		sbuf_init(&sb, buf, sizeof(buf));
		timefmt_rfc3339(&tf, &sb, real);
		assert_false(sb.overflow);
		assert_non_null(strchr(buf, 'Z'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(converts),
		cmocka_unit_test(hostile_timestamps),
	};

	return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
