// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * output_open_path() (output/output.h): how trace -o and the file sink open
 * a path. New files 0600 whatever the umask, a link of someone else's
 * refused, our own followed, a FIFO without a reader refused at once, and
 * nothing but a regular file, a FIFO or a character device accepted.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "output/output.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "output");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rm_rf(dir);
}

static void in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void new_file_is_0600_and_appended(void **state)
{
	char p[300], err[256] = "";
	struct stat st;
	mode_t old;
	int fd;

	(void)state;
	in_dir(p, sizeof(p), "new");
	old = umask(0);
	fd = output_open_path(p, err, sizeof(err));
	umask(old);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void others_link_refused_ours_followed(void **state)
{
	char target[300], link[300], err[256] = "";
	int fd;

	(void)state;
	in_dir(target, sizeof(target), "target");
	in_dir(link, sizeof(link), "link");
	assert_int_equal(symlink(target, link), 0);
	fd = output_open_path(link, err, sizeof(err));
	assert_true(fd >= 0); /* our own link, as /dev/stdout is root's */
	close(fd);
	if (geteuid() != 0)
		return; /* giving the link away needs root */
	assert_int_equal(lchown(link, 65534, 65534), 0);
	unlink(target);
	assert_int_equal(output_open_path(link, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, link));
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(access(target, F_OK), -1); /* not created through it */
}

static void fifo_without_reader_is_enxio_at_once(void **state)
{
	char p[300], err[256] = "", want[320];
	int rd, fd;

	(void)state;
	in_dir(p, sizeof(p), "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(output_open_path(p, err, sizeof(err)), -ENXIO);
	snprintf(want, sizeof(want), "no reader on FIFO %s", p);
	assert_string_equal(err, want);
	rd = open(p, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	fd = output_open_path(p, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	close(rd);
}

static void not_a_file_refused(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256] = "";
	int s, fd;

	(void)state;
	assert_int_equal(output_open_path(dir, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(output_open_path(sa.sun_path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	close(s);
	fd = output_open_path("/dev/null", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
}

static void output_open_writes_blocking(void **state)
{
	struct output out;
	char p[300], err[256] = "";

	(void)state;
	in_dir(p, sizeof(p), "out");
	assert_int_equal(output_open(&out, p, 64, err, sizeof(err)), 0);
	assert_false(fcntl(out.fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(output_append(&out, "line\n", 5), 0);
	assert_int_equal(output_close(&out), 0);
	in_dir(p, sizeof(p), "none/out");
	assert_int_equal(output_open(&out, p, 64, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, p));
	assert_null(out.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(new_file_is_0600_and_appended),
		tu_test(others_link_refused_ours_followed),
		tu_test(fifo_without_reader_is_enxio_at_once),
		tu_test(not_a_file_refused),
		tu_test(output_open_writes_blocking),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
