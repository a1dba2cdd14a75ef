// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lines are written in place, with room made for the longest a piece can
 * be: the longest records there are (every field, hostile names escaped to
 * six times their length, the longest addresses and numbers) stay inside
 * the buffer whatever its size (ASan watches the heap buffers here). A
 * buffer too small for the line with its extras (holders, explanation,
 * identity) holds the event's fixed part, whole, marked as cut (JSON
 * "truncated", a note line in text), never a line without its end; one too
 * small even for that holds its first bytes, cut.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "lib/names.h"
#include "output/format.h"

static struct ss_event worst(unsigned int type, bool v6)
{
	struct ss_event e = tu_nginx_record(type);

	e.ts_ns = UINT64_MAX;
	e.cookie = UINT64_MAX;
	e.cgroup_id = UINT64_MAX;
	e.pid = e.tid = e.uid = e.netns = UINT32_MAX;
	e.err = -2147483647 - 1;	      /* no name: printed as a number */
	memset(e.comm, 0x01, sizeof(e.comm)); /* \u0001 each, no NUL */
	e.hdr.flags |= SS_F_ASYNC | SS_F_IMPLICIT | SS_F_TCP_INFO | SS_F_V6ONLY;
	if (v6) {
		e.family = SS_AF_INET6;
		/* the longest forms: eight full words, and v4 inside */
		tu_set_local(&e, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
		tu_set_remote(&e, AF_INET6, "::ffff:0:255.255.255.255", 65535);
	} else {
		tu_set_local(&e, AF_INET, "255.255.255.255", 65535);
		tu_set_remote(&e, AF_INET, "255.255.255.255", 65535);
	}
	e.proto = SS_PROTO_UDP;
	memset(&e.u, 0xff, sizeof(e.u));
	return e;
}

static struct proc_ident proc = {
	.pid = 812,
	.ppid = UINT32_MAX,
	.nspid = UINT32_MAX,
	.pidns = UINT32_MAX,
	.flags = PI_PPID | PI_NS | PI_EXE | PI_CMDLINE | PI_EXE_TRUNC | PI_CMDLINE_TRUNC,
	.gen = 77,
};

/* The line an event with extras becomes when they do not fit. */
static size_t short_form(struct formatter *f, const struct ss_event *e, char *buf, size_t cap)
{
	struct sbuf sb;

	sbuf_init(&sb, buf, cap);
	format_event(f, &sb, e, NULL);
	assert_false(sb.overflow);
	if (f->json) {
		sb.len -= 2; /* "}\n" */
		sbuf_lit(&sb, ",\"truncated\":true}\n");
	} else {
		sbuf_lit(&sb, "  (the rest of this event did not fit in a line)\n");
	}
	return sb.len;
}

/* the whole line, then every shorter buffer: the short form or a prefix */
static void check_cuts(bool json, const struct ss_event *e, const struct event_extra *x)
{
	struct formatter f = {.json = json};
	size_t cap = 1 << 16, len, slen = 0;
	char *whole = malloc(cap), *shrt = malloc(cap);
	struct sbuf sb;

	assert_non_null(whole);
	assert_non_null(shrt);
	timefmt_init_offset(&f.tf, 0);
	sbuf_init(&sb, whole, cap);
	format_event(&f, &sb, e, x);
	assert_false(sb.overflow);
	len = sb.len;
	assert_int_equal(whole[len - 1], '\n');
	if (x)
		slen = short_form(&f, e, shrt, cap);
	for (size_t n = 0; n <= len + 1; n++) {
		char *buf = malloc(n ? n : 1);

		assert_non_null(buf);
		sbuf_init(&sb, buf, n);
		format_event(&f, &sb, e, x);
		if (n && n - 1 >= len) {
			assert_int_equal(sb.len, len);
			assert_memory_equal(buf, whole, len);
			assert_false(sb.overflow);
		} else if (n && x && n - 1 >= slen) {
			/* whole, with its end: never a line cut off */
			assert_int_equal(sb.len, slen);
			assert_memory_equal(buf, shrt, slen);
			assert_int_equal(buf[slen - 1], '\n');
			assert_false(sb.overflow);
		} else if (n) {
			const char *pre = x ? shrt : whole;
			size_t want = n - 1;

			assert_int_equal(sb.len, want);
			assert_memory_equal(buf, pre, want);
			assert_int_equal(buf[want], '\0');
			assert_true(sb.overflow);
		}
		free(buf);
	}
	free(whole);
	free(shrt);
}

static void every_type_longest_fields(void **state)
{
	struct holder h[3];
	struct event_extra x = {.holders = h, .nr_holders = 3, .proc = &proc};

	(void)state;
	memset(h, 0, sizeof(h));
	for (int i = 0; i < 3; i++) {
		h[i].pid = h[i].uid = UINT32_MAX;
		memset(h[i].comm, '"', sizeof(h[i].comm));
	}
	memset(proc.pcomm, '\\', sizeof(proc.pcomm) - 1);
	memset(proc.exe, 0x7f, sizeof(proc.exe) - 1);
	memset(proc.cmdline, 0xff, sizeof(proc.cmdline) - 1);
	for (unsigned int t = SS_EV_SOCKET; t <= SS_EV_STATE; t++) {
		for (int v6 = 0; v6 < 2; v6++) {
			struct ss_event e = worst(t, v6);

			check_cuts(true, &e, &x);
			check_cuts(false, &e, &x);
			e.err = 98; /* a named error */
			e.u.socket.type = 1;
			check_cuts(true, &e, NULL);
			check_cuts(false, &e, NULL);
		}
	}
}

/* The formatter copies names in pieces of 32 bytes: every name fits. */
static void every_name_is_short(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < 64; i++) {
		assert_true(!event_name(i) || strlen(event_name(i)) < 32);
		assert_true(!tcp_state_name(i) || strlen(tcp_state_name(i)) < 32);
		assert_true(!sock_type_name(i) || (i < 8 && strlen(sock_type_name(i)) < 32));
		assert_true(!proto_name(i) || strlen(proto_name(i)) < 32);
		assert_true(!family_name(i) || strlen(family_name(i)) < 32);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_name_is_short),
		cmocka_unit_test(every_type_longest_fields),
	};

	return cmocka_run_group_tests_name("format_cut", tests, NULL, NULL);
}
