// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's configuration file (cmd/config.c): config_load() reads the
 * input as a file (a memfd: a regular file, as the loader requires), every
 * line through config_set(), then config_print() writes the result back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmd/config.h"

static void report(const char *path, unsigned int line, const char *why, void *arg)
{
	unsigned int *n = arg;

	(void)path;
	if (!line || !why || strchr(why, '\n'))
		abort(); /* one line per error, with its number */
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct daemon_config c;
	char path[64], err[512];
	unsigned int reported = 0;
	int fd, bad;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_defaults(&c);
	bad = config_load(&c, path, report, &reported, err, sizeof(err));
	if (bad >= 0 && (unsigned int)bad != reported)
		abort(); /* every bad line reported, once */
	if (c.nr_sinks > CONFIG_MAX_SINKS || !memchr(c.db, '\0', sizeof(c.db)) ||
	    !memchr(c.metrics, '\0', sizeof(c.metrics)))
		abort();
	config_print(&c, devnull);
	close(fd);
	return 0;
}
