/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The error convention of library code: a function returns 0 or -errno
 * (constructors: NULL with errno set) and, when it takes (err, errlen),
 * writes one line of context there, without a trailing newline, e.g.
 * "attach cgroup/sock_create: Operation not permitted". Only commands turn
 * errors into exit codes (lib/exitcodes.h).
 */
#ifndef SS_LIB_ERR_H
#define SS_LIB_ERR_H

#include <errno.h>
#include <stddef.h>

/* Writes the message into err (if err and errlen) and returns rc, so that
 * "return errf(err, errlen, -EINVAL, "bad port '%s'", s);" is one line. */
int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* -e for an errno value e read after a failed call, never 0: a library that
 * failed without setting errno must not read as success. */
static inline int neg_errno(int e)
{
	return e > 0 ? -e : -EINVAL;
}

#endif
