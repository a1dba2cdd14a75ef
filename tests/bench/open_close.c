// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * open/close cycle: open(O_RDONLY) + close of a regular file, in a loop.
 *
 * Not a socket: it measures what a socket tracer costs work that is not
 * its business (sys_enter_close runs for every close() on the host). The
 * file is a small regular file in a fresh directory under $TMPDIR (default
 * /tmp), so it lives on the filesystem the caller chooses (the bench passes
 * its work directory, a real disk filesystem, not tmpfs or /dev/null);
 * both are removed at the end.
 */
#include <fcntl.h>
#include <limits.h>

#include "gen.h"

static char dir[PATH_MAX];
static char file[PATH_MAX + 8];

static void *setup(const struct gen_opts *o)
{
	(void)o;
	return file;
}

static int op(void *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The directory and its file; returns 0 or -1 after a message. */
static int make_file(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/open_close.XXXXXX", tmp) >= (int)sizeof(dir) ||
	    !mkdtemp(dir)) {
		perror("open_close: mkdtemp");
		return -1;
	}
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "open_close\n", 11) != 11) {
		perror("open_close: create");
		if (fd >= 0)
			close(fd);
		rmdir(dir);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct gen_opts o;
	int rc;

	gen_parse(argc, argv, &o, "open_close", GEN_NOFAMILY);
	if (make_file())
		return 1;
	rc = gen_run(&o, setup, op);
	unlink(file);
	rmdir(dir);
	return rc;
}
