// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
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
	tf->cached_sec = sec;
}

static void put_frac(struct sbuf *sb, uint64_t v, int digits)
{
	char tmp[9];

	for (int i = digits - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	sbuf_putn(sb, tmp, (size_t)digits);
}

void timefmt_rfc3339(struct timefmt *tf, struct sbuf *sb, uint64_t real_ns)
{
	refresh(tf, (int64_t)(real_ns / NSEC));
	sbuf_puts(sb, tf->utc_prefix);
	sbuf_putc(sb, '.');
	put_frac(sb, real_ns % NSEC, 9);
	sbuf_putc(sb, 'Z');
}

void timefmt_clock(struct timefmt *tf, struct sbuf *sb, uint64_t real_ns)
{
	refresh(tf, (int64_t)(real_ns / NSEC));
	sbuf_puts(sb, tf->local_prefix);
	sbuf_putc(sb, '.');
	put_frac(sb, (real_ns % NSEC) / 1000, 6);
}
