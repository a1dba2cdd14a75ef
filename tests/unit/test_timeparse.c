// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Every time form --since/--until/--at accept, and what they refuse. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lib/timeparse.h"

#define SEC 1000000000LL
/* 2026-11-20T14:02:11Z */
#define T0 (1795183331LL * SEC)
#define NOW (T0 + 123456789)

static int64_t parse(const char *s)
{
	int64_t v = -42;

	assert_int_equal(timeparse(s, NOW, &v), 0);
	return v;
}

/* A form it knows, a time that does not fit in int64 ns. */
static void range(const char *s)
{
	int64_t v = -42;

	assert_int_equal(timeparse(s, NOW, &v), -ERANGE);
	assert_true(v == -42);
}

static void bad(const char *s)
{
	int64_t v = -42;

	assert_int_equal(timeparse(s, NOW, &v), -EINVAL);
	assert_true(v == -42); /* untouched on error */
}

/* Local time is whatever TZ says: pin it, per test. */
static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void rfc3339_utc(void **state)
{
	(void)state;
	assert_true(parse("2026-11-20T14:02:11Z") == T0);
	assert_true(parse("2026-11-20t14:02:11z") == T0);
	assert_true(parse("2026-11-20 14:02:11Z") == T0);
	assert_true(parse("1970-01-01T00:00:00Z") == 0);
	assert_true(parse("1969-12-31T23:59:59Z") == -SEC);
	assert_true(parse("2024-02-29T00:00:00Z") == 1709164800LL * SEC);
	assert_true(parse("2000-03-01T00:00:00Z") == 951868800LL * SEC);
	/* a leap second lands on the next second */
	assert_true(parse("2026-11-20T14:02:60Z") == T0 + 49 * SEC);
}

static void rfc3339_fraction(void **state)
{
	(void)state;
	assert_true(parse("2026-11-20T14:02:11.5Z") == T0 + 500000000);
	assert_true(parse("2026-11-20T14:02:11.000000001Z") == T0 + 1);
	assert_true(parse("2026-11-20T14:02:11.123456789Z") == T0 + 123456789);
	/* beyond the nanosecond: dropped, not rounded */
	assert_true(parse("2026-11-20T14:02:11.1234567899999Z") == T0 + 123456789);
}

static void rfc3339_offsets(void **state)
{
	(void)state;
	assert_true(parse("2026-11-20T15:02:11+01:00") == T0);
	assert_true(parse("2026-11-20T08:32:11-05:30") == T0);
	assert_true(parse("2026-11-20T14:02:11+00:00") == T0);
	assert_true(parse("2026-11-20T14:02:11-00:00") == T0);
	assert_true(parse("2026-11-21T00:02:11.25+10:00") == T0 + SEC / 4);
}

static void local_forms(void **state)
{
	(void)state;
	set_tz("UTC0");
	assert_true(parse("2026-11-20 14:02:11") == T0);
	assert_true(parse("2026-11-20 14:02") == T0 - 11 * SEC);
	assert_true(parse("2026-11-20T14:02") == T0 - 11 * SEC);
	assert_true(parse("2026-11-20 14:02:11.5") == T0 + SEC / 2);
	assert_true(parse("2026-11-20") == T0 - (14 * 3600 + 2 * 60 + 11) * SEC);

	/* Central Europe, rules inline so no tzdata is needed */
	set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
	assert_true(parse("2026-11-20 15:02:11") == T0); /* winter: +01 */
	assert_true(parse("2026-11-20") == T0 - (15 * 3600 + 2 * 60 + 11) * SEC);
	/* summer: +02 */
	assert_true(parse("2026-07-01 12:00") == parse("2026-07-01T10:00:00Z"));
	/* an explicit zone ignores TZ */
	assert_true(parse("2026-11-20T14:02:11Z") == T0);
	set_tz("UTC0");
}

static void relative(void **state)
{
	(void)state;
	assert_true(parse("now") == NOW);
	assert_true(parse("90s") == NOW - 90 * SEC);
	assert_true(parse("30m") == NOW - 1800 * SEC);
	assert_true(parse("1h") == NOW - 3600 * SEC);
	assert_true(parse("2d") == NOW - 2 * 86400 * SEC);
	assert_true(parse("1h30m") == NOW - 5400 * SEC);
	assert_true(parse("1d2h3m4s") == NOW - (86400 + 7200 + 180 + 4) * SEC);
	assert_true(parse("0s") == NOW);
	assert_true(parse("0090m") == NOW - 5400 * SEC);
	assert_true(parse("2026s") == NOW - 2026 * SEC); /* not a date */
}

static void errors(void **state)
{
	(void)state;
	set_tz("UTC0");
	bad("");
	bad(" ");
	bad("garbage");
	bad("25:00");
	bad("14:02");
	bad("1x");
	bad("1");
	bad("h");
	bad("-1h");
	bad("+1h");
	bad("1.5h");
	bad("1h ");
	bad(" 1h");
	bad("1m1h"); /* largest unit first */
	bad("1h1h"); /* each unit once */
	bad("1H");
	bad("NOW");
	bad("now ");
	bad("2026-11-20 25:00");
	bad("2026-11-20 24:00");
	bad("2026-11-20 14:60");
	bad("2026-11-20 14:02:61");
	bad("2026-13-01");
	bad("2026-00-01");
	bad("2026-02-29"); /* not a leap year */
	bad("2100-02-29"); /* nor is 2100 */
	bad("2026-04-31");
	bad("2026-11-00");
	bad("2026-11-2");
	bad("26-11-20");
	bad("2026/11/20");
	bad("2026-11-20T");
	bad("2026-11-20T14");
	bad("2026-11-20T14:2");
	bad("2026-11-20X14:02");
	bad("2026-11-20T14:02:11.");
	bad("2026-11-20T14:02:11.Z");
	bad("2026-11-20T14:02.5Z"); /* a fraction needs seconds */
	bad("2026-11-20T14:02:11+01");
	bad("2026-11-20T14:02:11+0100");
	bad("2026-11-20T14:02:11+24:00");
	bad("2026-11-20T14:02:11+01:60");
	bad("2026-11-20T14:02:11Zjunk");
	bad("2026-11-20T14:02:11 Z");
	bad("2026-11-20junk");
}

static void overflow(void **state)
{
	int64_t v;

	(void)state;
	/* 2^63 ns is about 106751 days */
	range("106752d");
	range("9223372037s");
	range("99999999999999999999s");
	range("999999999999999999999999999999h");
	assert_int_equal(timeparse("9223372036s", 0, &v), 0);
	assert_true(v == -9223372036LL * SEC);
	/* that long before a very early "now" does not fit */
	assert_int_equal(timeparse("106000d", -106000LL * 86400 * SEC, &v), -ERANGE);
	/* years 1678..2261 fit in int64 ns */
	range("2262-04-12T00:00:00Z");
	range("1677-09-21T00:00:00Z");
	range("9999-12-31T23:59:59Z");
	range("9999-12-31 23:59");
	/* out of range is no excuse for a bad date: Feb 30 stays a bad form */
	bad("9999-02-30T00:00:00Z");
	bad("2026-02-30T00:00:00Z");
	assert_true(parse("2262-04-11T00:00:00Z") > 0);
	assert_true(parse("1678-01-01T00:00:00Z") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3339_utc),	   cmocka_unit_test(rfc3339_fraction),
		cmocka_unit_test(rfc3339_offsets), cmocka_unit_test(local_forms),
		cmocka_unit_test(relative),	   cmocka_unit_test(errors),
		cmocka_unit_test(overflow),
	};

	set_tz("UTC0");
	return cmocka_run_group_tests_name("timeparse", tests, NULL, NULL);
}
