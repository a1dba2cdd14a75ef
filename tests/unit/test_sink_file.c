// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stdout and file sinks: every line in order, rotation by size keeping
 * keep files, reopening after logrotate, a full disk reported once and
 * drops counted, a missing directory created, a full pipe never blocking.
 */
#include "sink_testutil.h"

/* ---- file sink ---- */

static void file_writes_lines_and_rotates_keeping_keep_files(void **state)
{
	struct sink *s;
	struct sink_stats st;

	(void)state;
	/* 4 lines of 25 bytes fill a file; the 5th goes to a new one. */
	s = open_sinkf("file:%s?max_bytes=100&keep=2", in_dir("ev.json"));
	for (int i = 0; i < 6; i++) {
		put(s, line(i), "bind", 6, 1);
		pump(s, T0);
		assert_string_equal(status, "");
	}
	assert_file("ev.json", lines(4, 5));
	assert_file("ev.json.1", lines(0, 3));
	/* Many lines in one pump: rotation happens mid-batch. */
	for (int i = 6; i < 18; i++)
		put(s, line(i), "bind", 6, 1);
	pump(s, T0);
	assert_string_equal(status, "");
	assert_file("ev.json", lines(16, 17));
	assert_file("ev.json.1", lines(12, 15));
	assert_file("ev.json.2", lines(8, 11));
	assert_file("ev.json.3", NULL); /* exactly keep old files */
	st = stats(s);
	assert_int_equal(st.written, 18);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.queued_bytes, 0);
	assert_true(st.healthy);
	sink__close(s, 0);

	/* A line without its newline gets one; keep=0 keeps nothing. */
	s = open_sinkf("file:%s?max_bytes=50&keep=0", in_dir("k0.json"));
	for (int i = 0; i < 5; i++)
		sink__write(s, line(i), 24, "bind", 6, TS, 1);
	pump(s, T0);
	assert_file("k0.json", lines(4, 4));
	assert_file("k0.json.1", NULL);
	sink__close(s, 0);
}

static void file_reopens_after_rename(void **state)
{
	char moved[256];
	struct sink *s;

	(void)state;
	s = open_sinkf("file:%s", in_dir("ev.json"));
	put(s, line(1), "bind", 6, 1);
	pump(s, T0);
	/* logrotate moves the file: we still write to it until SIGHUP. */
	snprintf(moved, sizeof(moved), "%s", in_dir("ev.json.old"));
	assert_int_equal(rename(in_dir("ev.json"), moved), 0);
	put(s, line(2), "bind", 6, 1);
	pump(s, T0);
	assert_file("ev.json", NULL);
	sink__reopen(s);
	put(s, line(3), "bind", 6, 1);
	pump(s, T0 + MS);
	assert_string_equal(status, "");
	assert_file("ev.json.old", lines(1, 2));
	assert_file("ev.json", lines(3, 3));
	assert_int_equal(stats(s).written, 3);
	sink__close(s, 0);
}

static void file_on_full_disk_reports_once_and_counts_drops(void **state)
{
	struct sink *s;
	struct sink_stats st;

	(void)state;
	/* /dev/full: every write fails with ENOSPC, like a full disk. */
	s = open_sink("file:/dev/full?queue_bytes=1024");
	put(s, line(0), "bind", 6, 1);
	pump(s, T0);
	assert_status_has("write: No space left on device");
	assert_status_has("retrying in 0.5 s");
	st = stats(s);
	assert_false(st.healthy);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.written, 0);
	/* The tracer goes on; the queue (40 bytes a line) fills, then drops. */
	for (int i = 1; i < 100; i++)
		put(s, line(i), "bind", 6, 1);
	st = stats(s);
	assert_int_equal(st.dropped, 100 - 1024 / 40);
	assert_int_equal(st.queued_bytes, 25 * (1024 / 40));
	pump(s, T0 + 100 * MS); /* before the retry */
	assert_string_equal(status, "queue full (1024 bytes): dropping events");
	assert_int_equal(stats(s).errors, 1);
	pump(s, T0 + 500 * MS); /* retry: fails again, not reported again */
	assert_string_equal(status, "");
	assert_int_equal(stats(s).errors, 2);
	pump(s, T0 + 600 * MS);
	assert_string_equal(status, "");
	sink__close(s, 0);
}

static void file_in_missing_dir_is_created(void **state)
{
	struct sink *s;

	(void)state;
	s = open_sinkf("file:%s", in_dir("new/sub/ev.json"));
	put(s, line(0), "bind", 6, 1);
	pump(s, T0);
	assert_string_equal(status, "");
	assert_int_equal(stats(s).written, 1);
	assert_file("new/sub/ev.json", lines(0, 0));
	sink__close(s, 0);
}

/* A directory that cannot be made yet (a file stands in the way): errors,
 * backoff and drops, then delivery once the way is clear. */
static void file_in_unmakeable_dir_recovers_when_it_appears(void **state)
{
	char sub[256];
	struct sink *s;
	struct sink_stats st;
	FILE *f;

	(void)state;
	snprintf(sub, sizeof(sub), "%s", in_dir("blocked"));
	f = fopen(sub, "w");
	assert_non_null(f);
	fclose(f);
	s = open_sinkf("file:%s/ev.json?queue_bytes=1024", sub);
	assert_true(stats(s).healthy); /* nothing tried yet */
	put(s, line(0), "bind", 6, 1);
	pump(s, T0);
	assert_status_has("open: Not a directory");
	for (int i = 1; i < 30; i++)
		put(s, line(i), "bind", 6, 1);
	pump(s, T0 + 500 * MS);
	assert_string_equal(status, "queue full (1024 bytes): dropping events");
	pump(s, T0 + 1000 * MS); /* next retry at 0.5 + 1.0 s */
	assert_string_equal(status, "");
	assert_int_equal(stats(s).errors, 2);
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	pump(s, T0 + 1499 * MS);
	assert_int_equal(stats(s).written, 0);
	pump(s, T0 + 1500 * MS);
	assert_string_equal(status, "delivering again after 1.5 s; "
				    "5 events dropped meanwhile");
	st = stats(s);
	assert_true(st.healthy);
	assert_int_equal(st.written, 25);
	assert_int_equal(st.dropped, 5);
	assert_int_equal(st.queued_bytes, 0);
	assert_file("blocked/ev.json", lines(0, 24));
	/* The queue drained: a new overflow would be reported again. */
	pump(s, T0 + 1600 * MS);
	assert_string_equal(status, "");
	sink__close(s, 0);
}

/* ---- stdout ---- */

static void stdout_to_a_full_pipe_never_blocks(void **state)
{
	enum { N = 200, LEN = 1000 };
	char *want, *got, l[LEN + 1];
	size_t have = 0;
	struct sink *s;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	close(p[1]);
	s = open_sink("stdout");
	want = malloc((size_t)N * LEN);
	got = malloc((size_t)N * LEN);
	assert_non_null(want);
	assert_non_null(got);
	for (int i = 0; i < N; i++) {
		snprintf(l, sizeof(l), "{\"n\":%04d,\"pad\":\"%0*d\"}\n", i, LEN - 20, 0);
		assert_int_equal(strlen(l), LEN);
		memcpy(want + (size_t)i * LEN, l, LEN);
		put(s, l, "bind", 6, 1);
	}
	alarm(20); /* a blocking write would hang here: fail instead */
	pump(s, T0);
	assert_int_equal(stats(s).errors, 0);
	assert_true(stats(s).queued_bytes > 0); /* 200 KB > the pipe */
	assert_true(stats(s).healthy);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (int round = 0; have < (size_t)N * LEN && round < 100000; round++) {
		ssize_t n = read(p[0], got + have, (size_t)N * LEN - have);

		if (n > 0)
			have += (size_t)n;
		pump(s, T0);
	}
	alarm(0);
	assert_int_equal(have, (size_t)N * LEN);
	assert_memory_equal(got, want, have);
	assert_int_equal(stats(s).written, N);
	sink__close(s, 0);
	close(p[0]);
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(file_writes_lines_and_rotates_keeping_keep_files),
		T(file_reopens_after_rename),
		T(file_on_full_disk_reports_once_and_counts_drops),
		T(file_in_missing_dir_is_created),
		T(file_in_unmakeable_dir_recovers_when_it_appears),
		T(stdout_to_a_full_pipe_never_blocks),
	};

	return run_sink_tests("sink_file", tests);
}
