// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The journald sink against a receiver of our own: an AF_UNIX datagram
 * socket in the test's directory, read with a parser of the native
 * protocol (both field forms, and the memfd a datagram too big is passed
 * in). Fields of an event, a multi-line MESSAGE, hostile names, an absent
 * journal, a full one.
 */
#include "sink_testutil.h"

#include <sys/mman.h>

#include "output/format.h"

static int receiver(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const char *p = in_dir(name);

	assert_true(fd >= 0);
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* One entry: the datagram, or the content of the memfd passed with an
 * empty one (*via_memfd). Caller frees. */
static char *recv_entry(int fd, size_t *len, bool *via_memfd)
{
	static char buf[1 << 20];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = c.b,
			    .msg_controllen = sizeof(c.b)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct cmsghdr *cm;
	ssize_t n;
	char *out;

	*via_memfd = false;
	if (poll(&p, 1, 2000) != 1)
		return NULL;
	n = recvmsg(fd, &mh, 0);
	assert_true(n >= 0);
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS) {
		struct stat st;
		int mfd;

		assert_int_equal(n, 0);
		memcpy(&mfd, CMSG_DATA(cm), sizeof(int));
		/* journald takes only sealed memfds */
		assert_int_equal(fcntl(mfd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_SHRINK),
				 F_SEAL_WRITE | F_SEAL_SHRINK);
		assert_int_equal(fstat(mfd, &st), 0);
		out = malloc((size_t)st.st_size + 1);
		assert_int_equal(pread(mfd, out, (size_t)st.st_size, 0), st.st_size);
		close(mfd);
		*len = (size_t)st.st_size;
		*via_memfd = true;
		return out;
	}
	out = malloc((size_t)n + 1);
	memcpy(out, buf, (size_t)n);
	*len = (size_t)n;
	return out;
}

struct jfield {
	char name[64];
	const char *val;
	size_t len;
	bool binary;
};

/* The native protocol, strictly: NAME=value\n or NAME\n<le64><value>\n. */
static int parse_entry(const char *p, size_t len, struct jfield *fs, int max)
{
	const char *end = p + len;
	int n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq = memchr(p, '=', (size_t)((nl ? nl : end) - p));

		assert_non_null(nl);
		assert_true(n < max);
		if (eq) {
			snprintf(fs[n].name, sizeof(fs[n].name), "%.*s", (int)(eq - p), p);
			fs[n].val = eq + 1;
			fs[n].len = (size_t)(nl - eq - 1);
			fs[n].binary = false;
			p = nl + 1;
		} else {
			uint64_t l = 0;

			snprintf(fs[n].name, sizeof(fs[n].name), "%.*s", (int)(nl - p), p);
			assert_true(nl + 9 <= end);
			for (int i = 7; i >= 0; i--)
				l = l << 8 | (unsigned char)nl[1 + i];
			fs[n].val = nl + 9;
			fs[n].len = (size_t)l;
			fs[n].binary = true;
			assert_true(fs[n].val + l < end);
			assert_int_equal(fs[n].val[l], '\n');
			p = fs[n].val + l + 1;
		}
		/* journald's rule for names */
		assert_true(strspn(fs[n].name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
			    strlen(fs[n].name));
		n++;
	}
	return n;
}

static const struct jfield *field(const struct jfield *fs, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(fs[i].name, name))
			return &fs[i];
	return NULL;
}

static void assert_field(const struct jfield *fs, int n, const char *name, const char *want)
{
	const struct jfield *f = field(fs, n, name);

	if (!want) {
		if (f)
			fail_msg("%s present: %.*s", name, (int)f->len, f->val);
		return;
	}
	if (!f)
		fail_msg("no field %s", name);
	if (f->len != strlen(want) || memcmp(f->val, want, f->len))
		fail_msg("%s=%.*s, want %s", name, (int)f->len, f->val, want);
}

static void event_carries_its_fields(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_CONNECT_DONE);
	struct jfield fs[32];
	char msg[512];
	struct formatter f;
	struct sbuf sb;
	struct sink *s;
	int fd = receiver("journal.sock"), n;
	size_t len;
	bool memfd;
	char *got;

	(void)state;
	e.hdr.flags |= SS_F_LOCAL | SS_F_REMOTE;
	e.err = ECONNREFUSED;
	e.laddr_family = tu_addr(e.laddr, AF_INET, "127.0.0.1");
	e.lport = 40000;
	e.raddr_family = tu_addr(e.raddr, AF_INET6, "::1");
	e.rport = 8080;
	strcpy(e.comm, "ev\nil");
	s = open_sinkf("journald://%s", in_dir("journal.sock"));
	sink__write_event(s, "{\"json\":1}\n", 11, "connect_done", 4, TS, 812, &e, NULL);
	pump(s, T0);
	assert_string_equal(status, "");
	got = recv_entry(fd, &len, &memfd);
	assert_non_null(got);
	assert_false(memfd);
	n = parse_entry(got, len, fs, 32);
	/* MESSAGE is the line trace prints */
	formatter_init(&f, false);
	/* at the time sink__write_event() was given */
	f.tf.mono_to_real_ns = TS - (int64_t)e.ts_ns;
	sbuf_init(&sb, msg, sizeof(msg));
	format_event(&f, &sb, &e, NULL);
	msg[sb.len - 1] = '\0';
	assert_field(fs, n, "MESSAGE", msg);
	assert_field(fs, n, "PRIORITY", "4");
	assert_field(fs, n, "SYSLOG_IDENTIFIER", "sockscope");
	assert_field(fs, n, "SOCKSCOPE_EVENT", "connect_done");
	assert_field(fs, n, "SOCKSCOPE_PROTO", "tcp");
	assert_field(fs, n, "SOCKSCOPE_LADDR", "127.0.0.1");
	assert_field(fs, n, "SOCKSCOPE_LPORT", "40000");
	assert_field(fs, n, "SOCKSCOPE_RADDR", "::1");
	assert_field(fs, n, "SOCKSCOPE_RPORT", "8080");
	assert_field(fs, n, "SOCKSCOPE_PID", "812");
	assert_field(fs, n, "SOCKSCOPE_UID", "33");
	/* escaped as everywhere: no line break from a process name */
	assert_field(fs, n, "SOCKSCOPE_COMM", "ev\\x0ail");
	assert_field(fs, n, "SOCKSCOPE_ERROR", "ECONNREFUSED");
	assert_field(fs, n, "SOCKSCOPE_COOKIE", "4242");
	assert_field(fs, n, "SOCKSCOPE_NETNS", "4026531840");
	assert_int_equal(n, 15);
	for (int i = 0; i < n; i++)
		assert_false(fs[i].binary);
	free(got);

	/* No owner, no addresses, no error: those fields are left out. */
	e = tu_record(SS_EV_STATE);
	e.hdr.flags |= SS_F_NO_OWNER | SS_F_NO_COOKIE;
	sink__write_event(s, "{}", 2, "state", 6, TS, 0, &e, NULL);
	pump(s, T0);
	got = recv_entry(fd, &len, &memfd);
	n = parse_entry(got, len, fs, 32);
	assert_field(fs, n, "PRIORITY", "6");
	assert_field(fs, n, "SOCKSCOPE_EVENT", "state");
	for (const char *const *k =
		     (const char *const[]){"SOCKSCOPE_PID", "SOCKSCOPE_COMM", "SOCKSCOPE_LPORT",
					   "SOCKSCOPE_RADDR", "SOCKSCOPE_ERROR", "SOCKSCOPE_COOKIE",
					   "SOCKSCOPE_NETNS", NULL};
	     *k; k++)
		assert_field(fs, n, *k, NULL);
	free(got);
	assert_int_equal(stats(s).written, 2);
	sink__close(s, 0);
	close(fd);
}

static void multiline_message_uses_the_binary_form(void **state)
{
	struct jfield fs[32];
	struct sink *s;
	int fd = receiver("j.sock"), n;
	size_t len;
	bool memfd;
	char *got;

	(void)state;
	s = open_sinkf("journald:%s", in_dir("j.sock"));
	/* A note: its JSON line is the MESSAGE (here with a line break
	 * inside, as an explanation's text has). */
	put(s, "first line\nsecond = line\n", "lost", 4, 0);
	pump(s, T0);
	got = recv_entry(fd, &len, &memfd);
	n = parse_entry(got, len, fs, 32);
	assert_true(field(fs, n, "MESSAGE")->binary);
	assert_field(fs, n, "MESSAGE", "first line\nsecond = line");
	assert_field(fs, n, "SOCKSCOPE_EVENT", "lost");
	assert_false(field(fs, n, "SOCKSCOPE_EVENT")->binary);
	free(got);
	sink__close(s, 0);
	close(fd);
}

static void too_big_for_a_datagram_goes_in_a_memfd(void **state)
{
	size_t big = 400 * 1024, len;
	char *l = malloc(big + 1);
	struct jfield fs[8];
	struct sink *s;
	int fd = receiver("j.sock"), n, rcv = 1 << 20;
	bool memfd;
	char *got;

	(void)state;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	memset(l, 'x', big);
	l[big] = '\0';
	s = open_sinkf("journald:%s", in_dir("j.sock"));
	put(s, l, "lost", 4, 0);
	pump(s, T0);
	assert_string_equal(status, "");
	got = recv_entry(fd, &len, &memfd);
	assert_non_null(got);
	assert_true(memfd);
	n = parse_entry(got, len, fs, 8);
	assert_int_equal(field(fs, n, "MESSAGE")->len, big);
	assert_int_equal(stats(s).written, 1);
	free(got);
	free(l);
	sink__close(s, 0);
	close(fd);
}

static void absent_journal_is_an_outage_told_once(void **state)
{
	struct sink *s;
	size_t len;
	bool memfd;
	char *got;
	int fd;

	(void)state;
	s = open_sinkf("journald:%s", in_dir("none.sock"));
	put(s, "{\"a\":1}", "bind", 6, 1);
	pump(s, T0);
	assert_string_equal(
		status, "connect: No such file or directory; retrying in 0.5 s, doubling to 30 s");
	pump(s, T0 + 500 * MS);
	assert_string_equal(status, "");
	assert_false(stats(s).healthy);
	fd = receiver("none.sock");
	pump(s, T0 + 1500 * MS);
	assert_string_equal(status, "delivering again after 1.5 s; 0 events dropped meanwhile");
	got = recv_entry(fd, &len, &memfd);
	assert_non_null(got);
	free(got);
	sink__close(s, 0);
	close(fd);
}

static void full_journal_socket_keeps_events_queued(void **state)
{
	struct sink *s;
	int fd = receiver("j.sock"), got = 0;
	size_t len;
	bool memfd;
	char *e;

	(void)state;
	s = open_sinkf("journald:%s", in_dir("j.sock"));
	/* Nobody reads: the socket's queue fills (EAGAIN), events wait. */
	for (int i = 0; i < 2000; i++)
		put(s, line(i), "bind", 6, 1);
	pump(s, T0);
	assert_string_equal(status, "");
	assert_true(stats(s).healthy);
	assert_true(stats(s).written < 2000);
	assert_int_equal(stats(s).dropped, 0);
	while (got < 2000 && (e = recv_entry(fd, &len, &memfd))) {
		free(e);
		got++;
		pump(s, T0);
	}
	assert_int_equal(got, 2000);
	assert_int_equal(stats(s).written, 2000);
	sink__close(s, 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(event_carries_its_fields),
		T(multiline_message_uses_the_binary_form),
		T(too_big_for_a_datagram_goes_in_a_memfd),
		T(absent_journal_is_an_outage_told_once),
		T(full_journal_socket_keeps_events_queued),
	};

	return run_sink_tests("journald sink", tests);
}
