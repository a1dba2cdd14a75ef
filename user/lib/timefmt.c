// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/timefmt.h"

#define NSEC 1000000000LL

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * (uint64_t)NSEC + (uint64_t)ts.tv_nsec;
}

uint64_t mono_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t real_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void timefmt_init_offset(struct timefmt *tf, int64_t mono_to_real_ns)
{
	tf->mono_to_real_ns = mono_to_real_ns;
	tf->cached_sec = -1;
}

void timefmt_init(struct timefmt *tf)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	timefmt_init_offset(tf, (real.tv_sec - mono.tv_sec) * NSEC + (real.tv_nsec - mono.tv_nsec));
}

uint64_t timefmt_real_ns(const struct timefmt *tf, uint64_t mono_ns)
{
	/* modulo 2^64: a record's timestamp is not trusted to be in range
	 * (a signed sum could overflow, which is undefined) */
	return mono_ns + (uint64_t)tf->mono_to_real_ns;
}

static void refresh(struct timefmt *tf, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (tf->cached_sec == sec)
		return;
	gmtime_r(&t, &tm);
	strftime(tf->utc_prefix, sizeof(tf->utc_prefix), "%Y-%m-%dT%H:%M:%S", &tm);
	localtime_r(&t, &tm);
	strftime(tf->local_prefix, sizeof(tf->local_prefix), "%H:%M:%S", &tm);
	tf->utc_len = (unsigned char)strnlen(tf->utc_prefix, sizeof(tf->utc_prefix) - 1);
	tf->local_len = (unsigned char)strnlen(tf->local_prefix, sizeof(tf->local_prefix) - 1);
	tf->cached_sec = sec;
}

/* v as hi_digits (2 or 4) then the digits of split - 1 (10000: 4, 100000:
 * 5), zero-padded: the fraction of a second, unrolled. */
static inline char *frac(char *p, uint32_t v, uint32_t split, unsigned int hi_digits)
{
	uint32_t hi = v / split, lo = v % split;

	if (hi_digits == 4) {
		memcpy(p, sbuf_digits2 + 2 * (hi / 100), 2);
		memcpy(p + 2, sbuf_digits2 + 2 * (hi % 100), 2);
	} else {
		memcpy(p, sbuf_digits2 + 2 * hi, 2);
	}
	p += hi_digits;
	if (split == 100000) {
		*p++ = (char)('0' + lo / 10000);
		lo %= 10000;
	}
	memcpy(p, sbuf_digits2 + 2 * (lo / 100), 2);
	memcpy(p + 2, sbuf_digits2 + 2 * (lo % 100), 2);
	return p + 4;
}

char *raw_rfc3339(struct timefmt *tf, char *p, uint64_t real_ns)
{
	refresh(tf, (int64_t)(real_ns / NSEC));
	p = raw_put(p, tf->utc_prefix, tf->utc_len);
	*p++ = '.';
	p = frac(p, (uint32_t)(real_ns % NSEC), 100000, 4);
	*p++ = 'Z';
	return p;
}

char *raw_clock(struct timefmt *tf, char *p, uint64_t real_ns)
{
	refresh(tf, (int64_t)(real_ns / NSEC));
	p = raw_put(p, tf->local_prefix, tf->local_len);
	*p++ = '.';
	return frac(p, (uint32_t)((real_ns % NSEC) / 1000), 10000, 2);
}

void timefmt_rfc3339(struct timefmt *tf, struct sbuf *sb, uint64_t real_ns)
{
	char tmp[TIMEFMT_RFC3339_MAX];
	char *p = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, p, raw_rfc3339(tf, p, real_ns));
}

void timefmt_clock(struct timefmt *tf, struct sbuf *sb, uint64_t real_ns)
{
	char tmp[TIMEFMT_CLOCK_MAX];
	char *p = sbuf_begin(sb, tmp, sizeof(tmp));

	sbuf_end(sb, tmp, p, raw_clock(tf, p, real_ns));
}

/* printf, for what the integers below cannot decide */
static char *duration_printf(char *p, uint64_t ns)
{
	char tmp[TIMEFMT_DURATION_MAX + 8];
	int n;

	if (ns < 1000000)
		n = snprintf(tmp, sizeof(tmp), "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		n = snprintf(tmp, sizeof(tmp), "%.2fms", (double)ns / 1e6);
	else
		n = snprintf(tmp, sizeof(tmp), "%.2fs", (double)ns / 1e9);
	if (n < 0)
		return p;
	if (n > TIMEFMT_DURATION_MAX)
		n = TIMEFMT_DURATION_MAX;
	return raw_put(p, tmp, (size_t)n);
}

/*
 * ns rounded to a multiple of unit, printed with digits decimals. printf
 * rounds the double nearest to ns / 1e3 (1e6, 1e9): that double is off by
 * less than its own precision, far less than 1 ns for the values taken
 * here, so it rounds as the exact quotient does unless the quotient sits
 * exactly half way between two printed values (a tie: ns % unit ==
 * unit / 2), which is left to printf.
 */
static char *fixed_point(char *p, uint64_t ns, uint64_t unit, unsigned int digits)
{
	uint64_t q = (ns + unit / 2) / unit; /* in units of the last decimal */
	uint64_t pow = digits == 1 ? 10 : 100;

	p = raw_u64(p, q / pow);
	*p++ = '.';
	return raw_u32_fixed(p, (uint32_t)(q % pow), digits);
}

char *raw_duration(char *p, uint64_t ns)
{
	if (ns < 1000000) {
		if (ns % 100 == 50)
			return duration_printf(p, ns);
		return raw_lit(fixed_point(p, ns, 100, 1), "us");
	}
	if (ns < 1000000000) {
		if (ns % 10000 == 5000)
			return duration_printf(p, ns);
		return raw_lit(fixed_point(p, ns, 10000, 2), "ms");
	}
	/* below 2^50 ns the double is exact to well under 1 ns */
	if (ns >= (1ull << 50) || ns % 10000000 == 5000000)
		return duration_printf(p, ns);
	return raw_lit(fixed_point(p, ns, 10000000, 2), "s");
}
