// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The process identity cache: kernel records, a fake /proc, recycled pids. */
#include "testutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/decode.h"
#include "model/proc_ident.h"
#include "output/identity.h"

#define SEC 1000000000ull

static char root[256];
static long hz;

static int setup(void **state)
{
	(void)state;
	hz = sysconf(_SC_CLK_TCK);
	return tu_mkdtemp(root, sizeof(root), "procident");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rm_rf(root);
}

static void put(uint32_t pid, const char *name, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/ns", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A process of the fake /proc: comm, ppid, start (seconds), argv NUL-joined */
static void fake_proc(uint32_t pid, const char *comm, uint32_t ppid, unsigned int start_s,
		      const char *argv, size_t argv_len, uint32_t nspid)
{
	char buf[512], path[512];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "%u (%s) S %u 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 %llu 1 1 1\n", pid,
		     comm, ppid, (unsigned long long)start_s * (unsigned long long)hz);
	put(pid, "stat", buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "Name:\t%s\nNSpid:\t%u\t%u\n", comm, pid, nspid);
	put(pid, "status", buf, (size_t)n);
	put(pid, "comm", comm, strlen(comm));
	put(pid, "cmdline", argv, argv_len);
	put(pid, "ns/pid", "", 0);
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	snprintf(buf, sizeof(buf), "/usr/bin/%s", comm);
	assert_int_equal(symlink(buf, path), 0);
}

static struct ss_proc record(uint32_t pid, uint64_t start_ns, const char *exe, const char *argv,
			     size_t argv_len)
{
	struct ss_proc r;
	size_t n = strlen(exe);

	memset(&r, 0, sizeof(r));
	r.hdr.type = SS_EV_PROC;
	r.hdr.size = sizeof(r);
	r.hdr.version = SS_ABI_VERSION;
	r.pid = pid;
	r.start_ns = start_ns;
	r.ppid = 1;
	strcpy(r.pcomm, "systemd");
	r.nspid = 1;
	r.pidns = 4026532179u;
	/* as the kernel writes it: from the end of exe[] backwards */
	r.exe_off = (__u16)(SS_EXE_LEN - 1 - n);
	memcpy(r.exe + r.exe_off, exe, n);
	memcpy(r.cmdline, argv, argv_len);
	r.cmdline_len = (__u16)argv_len;
	return r;
}

static void kernel_record_fields(void **state)
{
	struct proc_cache *c = proc_cache__new(16, NULL);
	struct ss_proc r = record(4711, 5 * SEC, "/usr/bin/python3", "python3\0-c\0x\0", 13);
	const struct ss_event *e;
	const struct proc_ident *pi;

	(void)state;
	assert_non_null(c);
	assert_int_equal(event_decode(&r, sizeof(r), &e), 0);
	proc_cache__add(c, event_proc(e));
	pi = proc_cache__get(c, 4711, 6 * SEC, false);
	assert_non_null(pi);
	assert_string_equal(pi->exe, "/usr/bin/python3");
	assert_string_equal(pi->cmdline, "python3 -c x");
	assert_string_equal(pi->pcomm, "systemd");
	assert_int_equal(pi->ppid, 1);
	assert_int_equal(pi->nspid, 1);
	assert_int_equal(pi->pidns, 4026532179u);
	assert_int_equal(pi->flags & (PI_PPID | PI_NS | PI_EXE | PI_CMDLINE),
			 PI_PPID | PI_NS | PI_EXE | PI_CMDLINE);
	/* asked about a moment before it started: not this process */
	assert_null(proc_cache__get(c, 4711, 4 * SEC, false));
	proc_cache__free(c);
}

static void decode_refuses_bad_proc_records(void **state)
{
	struct ss_proc r = record(1, SEC, "/x", "x", 1);
	const struct ss_event *e;

	(void)state;
	assert_int_equal(event_decode(&r, sizeof(r) - 1, &e), -EINVAL);
	r.exe_off = SS_EXE_LEN;
	assert_int_equal(event_decode(&r, sizeof(r), &e), -EINVAL);
	r.exe_off = 0;
	r.cmdline_len = SS_CMDLINE_LEN + 1;
	assert_int_equal(event_decode(&r, sizeof(r), &e), -EINVAL);
	r.cmdline_len = 0;
	r.hdr.size = sizeof(struct ss_event);
	assert_int_equal(event_decode(&r, sizeof(r), &e), -EINVAL);
}

static void reads_proc(void **state)
{
	struct proc_cache *c = proc_cache__new(16, root);
	const struct proc_ident *pi;

	(void)state;
	fake_proc(300, "sh", 1, 1, "sh\0", 3, 300);
	/* a comm with ") (" in it: the fields are counted after the last ')' */
	fake_proc(301, "a) (b", 300, 2, "srv\0--x\0", 8, 7);
	pi = proc_cache__get(c, 301, 10 * SEC, true);
	assert_non_null(pi);
	assert_int_equal(pi->ppid, 300);
	assert_string_equal(pi->pcomm, "sh");
	assert_int_equal(pi->nspid, 7);
	assert_true(pi->flags & PI_NS);
	assert_string_equal(pi->exe, "/usr/bin/a) (b");
	assert_string_equal(pi->cmdline, "srv --x");
	assert_int_equal(pi->start_ns, 2 * SEC);
	/* gone from /proc: unknown, never invented */
	assert_null(proc_cache__get(c, 999, 10 * SEC, true));
	proc_cache__free(c);
}

static void recycled_pid_is_not_inherited(void **state)
{
	struct proc_cache *c = proc_cache__new(16, root);
	struct ss_proc r = record(500, 3 * SEC, "/usr/bin/old", "old\0", 4);
	const struct proc_ident *pi;

	(void)state;
	proc_cache__add(c, &r);
	proc_cache__exited(c, 500, 4 * SEC);
	/* pid 500 again, a new process started at 7 s */
	fake_proc(500, "new", 1, 7, "new\0", 4, 500);
	/* a record of the old process (an async event after its exit) */
	pi = proc_cache__get(c, 500, 5 * SEC, false);
	assert_non_null(pi);
	assert_string_equal(pi->cmdline, "old");
	/* the holder now is the new one */
	pi = proc_cache__get(c, 500, 8 * SEC, true);
	assert_non_null(pi);
	assert_string_equal(pi->cmdline, "new");
	/* a question about 6 s: the old one had exited, the new one had not
	 * started (and the cached one is newer): unknown */
	assert_null(proc_cache__get(c, 500, 6 * SEC, true));
	proc_cache__free(c);

	/* no record at all: /proc's process started after the question */
	c = proc_cache__new(16, root);
	assert_null(proc_cache__get(c, 500, 6 * SEC, false));
	proc_cache__free(c);
}

static void bounded(void **state)
{
	struct proc_cache *c = proc_cache__new(8, NULL);
	unsigned int found = 0;

	(void)state;
	for (uint32_t pid = 1; pid <= 1000; pid++) {
		struct ss_proc r = record(pid, SEC, "/bin/x", "x", 1);

		proc_cache__add(c, &r);
	}
	for (uint32_t pid = 1; pid <= 1000; pid++)
		found += proc_cache__get(c, pid, 2 * SEC, false) != NULL;
	assert_true(found > 0);
	assert_true(found <= 8);
	assert_non_null(proc_cache__get(c, 1000, 2 * SEC, false));
	proc_cache__free(c);
}

static void hostile_cmdline_stays_one_json_string(void **state)
{
	static const char argv[] = "a\nb\0\"q\"\0\xff\xfe\0";
	struct ss_proc r = record(42, SEC, "/tmp/x\ny", argv, sizeof(argv) - 1);
	struct proc_cache *c = proc_cache__new(16, NULL);
	char buf[4096];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	identity_proc_json(&sb, proc_cache__add(c, &r));
	assert_null(strchr(buf, '\n'));
	assert_non_null(strstr(buf, "\"cmdline\":\"a\\nb \\\"q\\\" \\ufffd\\ufffd\""));
	assert_non_null(strstr(buf, "\"exe\":\"/tmp/x\\ny\""));
	proc_cache__free(c);
}

/* The printer keeps the last identity's text: an exec (a new record for
 * the same pid and start) must print the new one, and a copy the same. */
static void printed_text_follows_the_identity(void **state)
{
	struct ss_proc a = record(42, SEC, "/usr/bin/old", "old\0", 4);
	struct ss_proc b = record(42, SEC, "/usr/bin/new", "new\0", 4);
	struct proc_cache *c = proc_cache__new(16, NULL);
	struct proc_ident copy;
	char buf[4096];
	struct sbuf sb;

	(void)state;
	for (int i = 0; i < 2; i++) { /* the second time from the kept text */
		sbuf_init(&sb, buf, sizeof(buf));
		identity_proc_json(&sb, proc_cache__add(c, &a));
		assert_non_null(strstr(buf, "\"exe\":\"/usr/bin/old\""));
	}
	copy = *proc_cache__add(c, &b);
	sbuf_init(&sb, buf, sizeof(buf));
	identity_proc_json(&sb, proc_cache__get(c, 42, 2 * SEC, false));
	assert_non_null(strstr(buf, "\"exe\":\"/usr/bin/new\""));
	assert_non_null(strstr(buf, "\"cmdline\":\"new\""));
	sbuf_init(&sb, buf, sizeof(buf));
	identity_proc_json(&sb, &copy);
	assert_non_null(strstr(buf, "\"exe\":\"/usr/bin/new\""));
	/* not the cache's (gen 0, e.g. a history row): always printed afresh */
	copy.gen = 0;
	snprintf(copy.exe, sizeof(copy.exe), "%s", "/usr/bin/row");
	sbuf_init(&sb, buf, sizeof(buf));
	identity_proc_json(&sb, &copy);
	assert_non_null(strstr(buf, "\"exe\":\"/usr/bin/row\""));
	proc_cache__free(c);
}

static void cmdline_truncation(void **state)
{
	char raw[SS_CMDLINE_LEN], out[SS_CMDLINE_LEN + 1];

	(void)state;
	memset(raw, 'a', sizeof(raw));
	proc_ident__cmdline(out, raw, sizeof(raw));
	assert_int_equal(strlen(out), SS_CMDLINE_LEN);
	proc_ident__cmdline(out, "x\0\0\0", 4);
	assert_string_equal(out, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(kernel_record_fields),
		tu_test(decode_refuses_bad_proc_records),
		tu_test(reads_proc),
		tu_test(recycled_pid_is_not_inherited),
		tu_test(bounded),
		tu_test(hostile_cmdline_stays_one_json_string),
		tu_test(printed_text_follows_the_identity),
		tu_test(cmdline_truncation),
	};

	return cmocka_run_group_tests_name("proc_ident", tests, NULL, NULL);
}
