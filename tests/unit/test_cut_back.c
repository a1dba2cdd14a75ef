// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A write that fails inside a line never leaves the line torn: trace -o
 * (output/output.h) and the daemon's file sink (sinks/file.c) cut the torn
 * part off again and count what is not written. The failure is a real
 * one: a file size limit (RLIMIT_FSIZE) makes the kernel write up to the
 * limit and then refuse with EFBIG, as a full disk writes what fits and
 * then refuses with ENOSPC (test_disk_full.py does that on a tmpfs).
 */
#include "sink_testutil.h"

#include <sys/resource.h>

#include "output/output.h"

static struct rlimit saved_fsize;

/* Regular files written from here on stop at max bytes. */
static void limit_file_size(rlim_t max)
{
	struct rlimit r = saved_fsize;

	r.rlim_cur = max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

static void unlimit_file_size(void)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
}

static int group_setup(void **state)
{
	(void)state;
	/* EFBIG instead of the signal that would kill us */
	signal(SIGXFSZ, SIG_IGN);
	return getrlimit(RLIMIT_FSIZE, &saved_fsize);
}

static void whole_lines_end_at_the_last_newline(void **state)
{
	(void)state;
	assert_int_equal(output_whole_lines("a\nbb\ncc", 7), 5);
	assert_int_equal(output_whole_lines("a\nbb\n", 5), 5);
	assert_int_equal(output_whole_lines("abc", 3), 0);
	assert_int_equal(output_whole_lines("", 0), 0);
}

static void cut_back_truncates_and_moves_the_offset(void **state)
{
	int fd;

	(void)state;
	fd = open(in_dir("f"), O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\ntwo\nthr", 11), 11);
	assert_int_equal(output_cut_back(fd, 3), 0);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 8);
	assert_int_equal(write(fd, "four\n", 5), 5);
	close(fd);
	assert_file("f", "one\ntwo\nfour\n");
	fd = open(in_dir("f"), O_RDWR);
	assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
	assert_int_equal(output_cut_back(fd, 3), -EINVAL); /* more than there is */
	close(fd);
}

/* The same outputs with the writer thread (trace's): a few bytes pending at
 * most, so the caller also waits on it. */
static bool writer;

static int open_out(struct output *out, const char *where, size_t cap)
{
	char e[256];
	int rc = output_open(out, where, cap, e, sizeof(e));

	if (!rc && writer)
		rc = output_start_writer(out, 3 * cap);
	return rc;
}

/*
 * 100 records of 25 bytes through a 100-byte buffer into a file limited to
 * 990 bytes: 39 whole lines fit, the 40th is torn at 15 bytes and cut off;
 * the error sticks and every record after it is counted, not written.
 */
static void output_keeps_whole_lines_and_counts_the_rest(void **state)
{
	struct output out;
	char want[4096] = "# header\n";
	int rc = 0, first_err = -1;
	char *got;

	(void)state;
	assert_int_equal(open_out(&out, in_dir("trace.json"), 100), 0);
	assert_true(out.cut);
	assert_int_equal(output_append(&out, "# header\n", 9), 0); /* not counted */
	limit_file_size(9 + 990);
	for (int i = 0; i < 100; i++) {
		rc = output_record(&out, line(i), strlen(line(i)));
		if (rc && first_err < 0)
			first_err = i;
	}
	rc = output_close(&out);
	unlimit_file_size();
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(out.err, -EFBIG);
	/* the writer meets the error later than a write(2) in the caller would */
	assert_true(first_err > 0 || writer);
	assert_int_equal(out.written, 39);
	assert_int_equal(out.not_written, 61);
	strcat(want, lines(0, 38));
	got = slurp("trace.json");
	assert_string_equal(got, want);
	free(got);
}

static void output_written_plus_not_written_is_every_record(void **state)
{
	struct output out;
	char want[4096] = "# header\n";
	char *got;

	(void)state;
	/* A record bigger than the buffer goes in one write, and counts. */
	assert_int_equal(open_out(&out, in_dir("big.json"), 40), 0);
	assert_int_equal(output_append(&out, "# header\n", 9), 0);
	limit_file_size(9 + 3 * 25 + 10);
	for (int i = 0; i < 5; i++)
		output_record(&out, line(i), strlen(line(i)));
	output_close(&out);
	unlimit_file_size();
	assert_int_equal(out.written + out.not_written, 5);
	assert_int_equal(out.written, 3);
	strcat(want, lines(0, 2));
	got = slurp("big.json");
	assert_string_equal(got, want);
	free(got);
}

/* A pipe cannot take bytes back; what counts is still whole records. */
static void output_to_a_closed_pipe_counts_every_record(void **state)
{
	struct output out;
	int p[2], saved = dup(STDOUT_FILENO);

	(void)state;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(open_out(&out, NULL, 64), 0);
	assert_false(out.cut);
	for (int i = 0; i < 10; i++)
		output_record(&out, line(i), strlen(line(i)));
	assert_int_equal(output_close(&out), -EPIPE);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(out.written, 0);
	assert_int_equal(out.not_written, 10);
}

#define WITH_WRITER(name)                            \
	static void with_writer_##name(void **state) \
	{                                            \
		writer = true;                       \
		output_##name(state);                \
		writer = false;                      \
	}
WITH_WRITER(keeps_whole_lines_and_counts_the_rest)
WITH_WRITER(written_plus_not_written_is_every_record)
WITH_WRITER(to_a_closed_pipe_counts_every_record)

/* Many buffers through the thread: every line once, in order, counted. */
static void with_writer_many_records_in_order(void **state)
{
	struct output out;
	char *got, *p;
	int n = 0;

	(void)state;
	writer = true;
	assert_int_equal(open_out(&out, in_dir("many.json"), 64), 0);
	writer = false;
	for (int i = 0; i < 5000; i++)
		assert_int_equal(output_record(&out, line(i % 100), strlen(line(i % 100))), 0);
	assert_int_equal(output_flush(&out), 0);
	assert_int_equal(output_close(&out), 0);
	assert_int_equal(out.written, 5000);
	assert_int_equal(out.not_written, 0);
	got = slurp("many.json");
	for (p = got; *p; n++) {
		size_t len = strlen(line(n % 100));

		assert_memory_equal(p, line(n % 100), len);
		p += len;
	}
	assert_int_equal(n, 5000);
	free(got);
}

/*
 * The file sink under the same limit: the torn line is cut off and waits
 * in the queue with the others; when there is room again (the limit
 * raised, as space freed on a disk) every line arrives once and whole.
 */
static void sink_file_cuts_a_torn_line_and_sends_it_whole_later(void **state)
{
	struct sink_stats st;
	struct sink *s;

	(void)state;
	s = open_sinkf("file:%s/ev.json", dir);
	for (int i = 0; i < 10; i++)
		put(s, line(i), "bind", 6, 1);
	limit_file_size(4 * 25 + 10);
	pump(s, T0);
	unlimit_file_size();
	assert_status_has("write: File too large");
	assert_file("ev.json", lines(0, 3));
	st = stats(s);
	assert_false(st.healthy);
	assert_int_equal(st.written, 4);
	assert_true(st.cut >= 1); /* each torn write, cut off */
	assert_int_equal(st.queued, 6);
	assert_int_equal(st.dropped, 0);
	pump(s, T0 + 500 * MS); /* the retry: room again */
	assert_status_has("delivering again");
	assert_file("ev.json", lines(0, 9));
	st = stats(s);
	assert_true(st.healthy);
	assert_int_equal(st.written, 10);
	assert_int_equal(st.queued, 0);
	sink__close(s, 0);
}

/* A batch stopped exactly at a line's end leaves nothing to cut. */
static void sink_file_stopped_between_lines_cuts_nothing(void **state)
{
	struct sink *s;

	(void)state;
	s = open_sinkf("file:%s/ev.json", dir);
	for (int i = 0; i < 5; i++)
		put(s, line(i), "bind", 6, 1);
	limit_file_size(2 * 25);
	pump(s, T0);
	unlimit_file_size();
	assert_file("ev.json", lines(0, 1));
	assert_int_equal(stats(s).cut, 0);
	assert_int_equal(stats(s).written, 2);
	pump(s, T0 + 500 * MS);
	assert_file("ev.json", lines(0, 4));
	sink__close(s, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(whole_lines_end_at_the_last_newline),
		tu_test(cut_back_truncates_and_moves_the_offset),
		tu_test(output_keeps_whole_lines_and_counts_the_rest),
		tu_test(output_written_plus_not_written_is_every_record),
		tu_test(output_to_a_closed_pipe_counts_every_record),
		tu_test(with_writer_keeps_whole_lines_and_counts_the_rest),
		tu_test(with_writer_written_plus_not_written_is_every_record),
		tu_test(with_writer_to_a_closed_pipe_counts_every_record),
		tu_test(with_writer_many_records_in_order),
		tu_test(sink_file_cuts_a_torn_line_and_sends_it_whole_later),
		tu_test(sink_file_stopped_between_lines_cuts_nothing),
	};

	return cmocka_run_group_tests_name("cut_back", tests, group_setup, NULL);
}
