/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Points in time as a user types them on the command line (--since,
 * --until, --at), to CLOCK_REALTIME nanoseconds.
 */
#ifndef SS_TIMEPARSE_H
#define SS_TIMEPARSE_H

#include <stdint.h>

/*
 * Accepted (the whole string must match, nothing around it):
 *   2026-11-20T14:02:11Z          RFC 3339: 'T', 't' or ' ' between date
 *   2026-11-20T14:02:11.5+01:00   and time, fraction of any length (kept to
 *                                 the nanosecond), 'Z'/'z' or +HH:MM/-HH:MM
 *   2026-11-20 14:02[:11[.5]]     no zone: local time (also with 'T')
 *   2026-11-20                    local midnight
 *   90s 30m 1h 2d 1h30m           that long before now_real_ns: units d, h,
 *                                 m, s, largest first, each at most once
 *   now                           now_real_ns
 * Returns 0 and sets *out_real_ns, -EINVAL when s is none of these (Feb 30
 * included), or -ERANGE when it is one but does not fit in 64-bit
 * nanoseconds (years 1678..2261; 9999-12-31, 106752d).
 */
int timeparse(const char *s, int64_t now_real_ns, int64_t *out_real_ns);

#endif
