// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "lib/timeparse.h"

#define NSEC 1000000000LL

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits: RFC 3339 fields are fixed-width. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): timegm() would do, but it works in time_t and hides
 * overflow; this is exact for any 4-digit year.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int to_ns(int64_t sec, int64_t frac_ns, int64_t *out)
{
	int64_t ns;

	if (__builtin_mul_overflow(sec, NSEC, &ns) || __builtin_add_overflow(ns, frac_ns, &ns))
		return -ERANGE;
	*out = ns;
	return 0;
}

/* "1h30m": units largest first, each at most once; "that long ago". */
static int parse_duration(const char *p, int64_t now, int64_t *out)
{
	static const struct {
		char unit;
		int64_t ns;
	} units[] = {
		{'d', 86400 * NSEC},
		{'h', 3600 * NSEC},
		{'m', 60 * NSEC},
		{'s', NSEC},
	};
	size_t next_unit = 0;
	int64_t total = 0;

	if (!*p)
		return -EINVAL;
	while (*p) {
		int64_t v = 0, part;
		size_t u;

		if (!is_digit(*p))
			return -EINVAL;
		for (; is_digit(*p); p++) {
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, *p - '0', &v))
				return -ERANGE;
		}
		for (u = next_unit; u < sizeof(units) / sizeof(units[0]); u++)
			if (units[u].unit == *p)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -EINVAL; /* unknown unit, or out of order */
		if (__builtin_mul_overflow(v, units[u].ns, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return -ERANGE;
		next_unit = u + 1;
		p++;
	}
	if (__builtin_sub_overflow(now, total, out))
		return -ERANGE;
	return 0;
}

/* Local wall-clock time to seconds since the epoch, DST resolved by mktime. */
static int local_secs(int year, int mon, int day, int hour, int min, int sec, int64_t *out)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	errno = 0;
	t = mktime(&tm);
	/* (time_t)-1 is also one valid second, 1969-12-31T23:59:59Z */
	if (t == (time_t)-1 && errno)
		return -ERANGE;
	*out = (int64_t)t;
	return 0;
}

static int parse_datetime(const char *p, int64_t *out)
{
	int year, mon, day, hour = 0, min = 0, sec = 0, oh, om;
	int64_t frac_ns = 0, secs;
	bool zoned = false;
	int ret;
	int offset = 0; /* seconds east of UTC */

	if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &mon) ||
	    !take_char(&p, '-') || !take_digits(&p, 2, &day))
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
		return -EINVAL;
	if (!*p)
		goto local; /* a bare date: local midnight */
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (!take_digits(&p, 2, &hour) || !take_char(&p, ':') || !take_digits(&p, 2, &min))
		return -EINVAL;
	if (take_char(&p, ':')) {
		if (!take_digits(&p, 2, &sec))
			return -EINVAL;
		if (take_char(&p, '.')) {
			int64_t scale = NSEC / 10;

			if (!is_digit(*p))
				return -EINVAL;
			/* any length; digits beyond the nanosecond dropped */
			for (; is_digit(*p); p++, scale /= 10)
				frac_ns += (*p - '0') * scale;
		}
	}
	/* 60: a leap second, as RFC 3339 allows; it lands on the next one */
	if (hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	if (*p == 'Z' || *p == 'z') {
		zoned = true;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') || !take_digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -EINVAL;
		zoned = true;
		offset = sign * (oh * 3600 + om * 60);
	}
	if (*p)
		return -EINVAL;
	if (zoned) {
		secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
		       offset;
		return to_ns(secs, frac_ns, out);
	}
local:
	ret = local_secs(year, mon, day, hour, min, sec, &secs);
	if (ret)
		return ret;
	return to_ns(secs, frac_ns, out);
}

int timeparse(const char *s, int64_t now_real_ns, int64_t *out_real_ns)
{
	int64_t v;
	int ret;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*out_real_ns = now_real_ns;
		return 0;
	}
	/* A date starts with four digits and a dash; "2026s" is a duration. */
	if (is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-')
		ret = parse_datetime(s, &v);
	else
		ret = parse_duration(s, now_real_ns, &v);
	if (ret)
		return ret;
	*out_real_ns = v;
	return 0;
}
