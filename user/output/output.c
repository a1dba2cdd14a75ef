// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "output/output.h"

int output_open(struct output *out, const char *path, size_t bufsize)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->buf = malloc(bufsize);
	if (!out->buf)
		return -ENOMEM;
	out->cap = bufsize;
	if (!path || !strcmp(path, "-")) {
		out->fd = STDOUT_FILENO;
		return 0;
	}
	out->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out->fd < 0) {
		int err = -errno;

		free(out->buf);
		out->buf = NULL;
		return err;
	}
	out->own_fd = true;
	return 0;
}

int output_flush(struct output *out)
{
	int err;

	if (!out->len)
		return 0;
	err = io_write_all(out->fd, out->buf, out->len, NULL);
	out->len = 0;
	return err;
}

int output_append(struct output *out, const char *data, size_t len)
{
	int err;

	if (out->len + len > out->cap) {
		err = output_flush(out);
		if (err)
			return err;
		if (len > out->cap)
			return io_write_all(out->fd, data, len, NULL);
	}
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	return 0;
}

int output_close(struct output *out)
{
	int err = 0;

	if (out->buf)
		err = output_flush(out);
	if (out->own_fd && out->fd >= 0 && close(out->fd) && !err)
		err = -errno;
	free(out->buf);
	out->buf = NULL;
	out->fd = -1;
	return err;
}
