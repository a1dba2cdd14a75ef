/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel timestamps (CLOCK_MONOTONIC) to wall-clock text. The broken-down
 * time of the last second formatted is cached: at high event rates most
 * records share a second, so gmtime/localtime run about once a second.
 */
#ifndef SS_TIMEFMT_H
#define SS_TIMEFMT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sbuf.h"

struct timefmt {
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	int64_t cached_sec;	 /* second the prefixes below describe, -1: none */
	char utc_prefix[24];	 /* "2026-11-21T14:02:11" */
	char local_prefix[12];	 /* "14:02:11" (local time) */
	unsigned char utc_len, local_len;
};

/* Now, in ns: CLOCK_MONOTONIC (bpf_ktime_get_ns()'s clock) and CLOCK_REALTIME. */
uint64_t mono_now_ns(void);
uint64_t real_now_ns(void);

/* Samples both clocks now. */
void timefmt_init(struct timefmt *tf);
/* Fixed offset, for tests. */
void timefmt_init_offset(struct timefmt *tf, int64_t mono_to_real_ns);
uint64_t timefmt_real_ns(const struct timefmt *tf, uint64_t mono_ns);
/* "2026-11-21T14:02:11.123456789Z" */
void timefmt_rfc3339(struct timefmt *tf, struct sbuf *sb, uint64_t real_ns);
/* "14:02:11.123456" in local time */
void timefmt_clock(struct timefmt *tf, struct sbuf *sb, uint64_t real_ns);

/* The same into room the caller made (lib/sbuf.h), at most this long;
 * each returns the end. */
#define TIMEFMT_RFC3339_MAX (23 + 11)
#define TIMEFMT_CLOCK_MAX (11 + 7)
char *raw_rfc3339(struct timefmt *tf, char *p, uint64_t real_ns);
char *raw_clock(struct timefmt *tf, char *p, uint64_t real_ns);

/* A duration as trace prints it: "63.5us", "1.25ms", "3.00s" (printf's
 * "%.1fus" of ns / 1e3, "%.2fms" of ns / 1e6, "%.2fs" of ns / 1e9, to the
 * byte), at most TIMEFMT_DURATION_MAX bytes. */
#define TIMEFMT_DURATION_MAX 32
char *raw_duration(char *p, uint64_t ns);

#endif
