/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Exit codes: the one table, documented in README.md ("Exit codes"). */
#ifndef SS_EXITCODES_H
#define SS_EXITCODES_H

#define SS_EXIT_OK 0
#define SS_EXIT_RUNTIME 1  /* BPF load/attach, ring buffer, unexpected failure */
#define SS_EXIT_USAGE 2	   /* bad option, number, port or event name */
#define SS_EXIT_PERM 3	   /* not root / missing capability */
#define SS_EXIT_KERNEL 4   /* missing kernel feature: BTF, cgroup v2, ringbuf, tracefs */
#define SS_EXIT_OUTPUT 5   /* output file cannot be opened or written; corrupt database */
#define SS_EXIT_NOT_HELD 6 /* who: nothing holds that port */

#include <errno.h>

/*
 * The one mapping from library errors to exit codes: library code returns
 * 0 or -errno (lib/err.h) and chooses the errno by what went wrong, so a
 * command turns it into the documented code here and nowhere else:
 *   -EPERM, -EACCES       not root / missing capability     SS_EXIT_PERM
 *   -EOPNOTSUPP, -ENOSYS  missing kernel feature (BTF, ring
 *                         buffer, cgroup v2, tracefs)       SS_EXIT_KERNEL
 *   -ERANGE               a value the user gave is refused
 *                         (ring size)                       SS_EXIT_USAGE
 *   -EIO                  an output cannot be opened        SS_EXIT_OUTPUT
 *   -EUCLEAN              the database is corrupt           SS_EXIT_OUTPUT
 *   anything else                                           SS_EXIT_RUNTIME
 */
static inline int ss_exit_code(int err)
{
	switch (err) {
	case 0:
		return SS_EXIT_OK;
	case -EPERM:
	case -EACCES:
		return SS_EXIT_PERM;
	case -EOPNOTSUPP:
	case -ENOSYS:
		return SS_EXIT_KERNEL;
	case -ERANGE:
		return SS_EXIT_USAGE;
	case -EIO:
	case -EUCLEAN:
		return SS_EXIT_OUTPUT;
	default:
		return SS_EXIT_RUNTIME;
	}
}

#endif
