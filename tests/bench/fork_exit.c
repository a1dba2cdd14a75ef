// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fork/exit cycle: fork() + the child's _exit(0) + waitpid(), in a loop.
 *
 * Not a socket: it measures what a socket tracer costs process creation
 * and exit (the tracer's fork and exit hooks run for every process on the
 * host).
 */
#include "gen.h"

static int state;

static void *setup(const struct gen_opts *o)
{
	(void)o;
	return &state;
}

static int op(void *p)
{
	int status;
	pid_t pid;

	(void)p;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -ECHILD;
	return 0;
}

int main(int argc, char **argv)
{
	return gen_main(argc, argv, "fork_exit", GEN_NOFAMILY, setup, op);
}
