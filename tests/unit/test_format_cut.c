// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lines are written in place, with room made for the longest a piece can
 * be: the longest records there are (every field, hostile names escaped to
 * six times their length, the longest addresses and numbers) stay inside
 * the buffer whatever its size (ASan watches the heap buffers here), and a
 * buffer too small for the line holds its first bytes, cut, as appending
 * piece by piece did.
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

/* the whole line, then every shorter buffer: a prefix of it, cut */
static void check_cuts(bool json, const struct ss_event *e, const struct event_extra *x)
{
	struct formatter f = {.json = json};
	size_t cap = 1 << 16, len;
	char *whole = malloc(cap);
	struct sbuf sb;

	assert_non_null(whole);
	timefmt_init_offset(&f.tf, 0);
	sbuf_init(&sb, whole, cap);
	format_event(&f, &sb, e, x);
	assert_false(sb.overflow);
	len = sb.len;
	assert_int_equal(whole[len - 1], '\n');
	for (size_t n = 0; n <= len + 1; n++) {
		char *buf = malloc(n ? n : 1);

		assert_non_null(buf);
		sbuf_init(&sb, buf, n);
		format_event(&f, &sb, e, x);
		if (n) {
			size_t want = n - 1 < len ? n - 1 : len;

			assert_int_equal(sb.len, want);
			assert_memory_equal(buf, whole, want);
			assert_int_equal(buf[want], '\0');
			assert_int_equal(sb.overflow, n - 1 < len);
		}
		free(buf);
	}
	free(whole);
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
