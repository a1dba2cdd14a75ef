/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Exit codes: the one table, documented in README.md ("Exit codes"). */
#ifndef SS_EXITCODES_H
#define SS_EXITCODES_H

#define SS_EXIT_OK 0
#define SS_EXIT_RUNTIME 1 /* BPF load/attach, ring buffer, unexpected failure */
#define SS_EXIT_USAGE 2 /* bad option, number, port or event name */
#define SS_EXIT_PERM 3 /* not root / missing capability */
#define SS_EXIT_KERNEL 4 /* missing kernel feature: BTF, cgroup v2, ringbuf, tracefs */
#define SS_EXIT_OUTPUT 5 /* output file cannot be opened or written */
#define SS_EXIT_NOT_HELD 6 /* who: nothing holds that port */

#endif
