// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Ring-buffer records: what is accepted, what is refused, address text. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "kernel/decode.h"
#include "lib/names.h"

static struct ss_event good(void)
{
	struct ss_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = SS_EV_BIND;
	e.hdr.size = sizeof(e);
	e.hdr.version = SS_ABI_VERSION;
	return e;
}

static void accepts_valid_record(void **state)
{
	struct ss_event e = good();
	const struct ss_event *out = NULL;

	(void)state;
	assert_int_equal(event_decode(&e, sizeof(e), &out), 0);
	assert_ptr_equal(out, &e);
}

static void refuses_bad_records(void **state)
{
	struct ss_event e = good();
	const struct ss_event *out;

	(void)state;
	assert_int_equal(event_decode(NULL, 0, &out), -EINVAL);
	assert_int_equal(event_decode(&e, 4, &out), -EINVAL);
	assert_int_equal(event_decode(&e, sizeof(e) - 1, &out), -EINVAL);
	e.hdr.size = sizeof(e) + 8; /* claims more than delivered */
	assert_int_equal(event_decode(&e, sizeof(e), &out), -EINVAL);
	e = good();
	e.hdr.version = SS_ABI_VERSION + 1;
	assert_int_equal(event_decode(&e, sizeof(e), &out), -EPROTO);
	e = good();
	e.hdr.type = 0;
	assert_int_equal(event_decode(&e, sizeof(e), &out), -EINVAL);
	e.hdr.type = SS_EV_MAX;
	assert_int_equal(event_decode(&e, sizeof(e), &out), -EINVAL);
	e.hdr.type = SS_EV_LOST; /* userspace-only type never comes from the
				    kernel */
	assert_int_equal(event_decode(&e, sizeof(e), &out), -EINVAL);
}

static void accepts_longer_records_from_newer_producers(void **state)
{
	unsigned char buf[sizeof(struct ss_event) + 16];
	struct ss_event e = good();
	const struct ss_event *out;

	(void)state;
	e.hdr.size = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &e, sizeof(e));
	assert_int_equal(event_decode(buf, sizeof(buf), &out), 0);
}

static void addresses(void **state)
{
	__u8 a[SS_ADDR_LEN] = {0};
	char buf[SS_ADDRSTRLEN];

	(void)state;
	inet_pton(AF_INET, "192.0.2.7", a);
	assert_string_equal(addr_str(buf, SS_AF_INET, a), "192.0.2.7");
	assert_false(addr_prints_v6(SS_AF_INET, a));

	inet_pton(AF_INET6, "::ffff:192.0.2.7", a);
	assert_true(addr_is_v4mapped(a));
	assert_string_equal(addr_str(buf, SS_AF_INET6, a), "192.0.2.7");
	assert_false(addr_prints_v6(SS_AF_INET6, a));

	inet_pton(AF_INET6, "fe80::1:2", a);
	assert_string_equal(addr_str(buf, SS_AF_INET6, a), "fe80::1:2");
	assert_true(addr_prints_v6(SS_AF_INET6, a));

	memset(a, 0, sizeof(a));
	assert_true(addr_is_zero(SS_AF_INET6, a));
	assert_string_equal(addr_str(buf, SS_AF_INET6, a), "::");
	assert_string_equal(addr_str(buf, 99, a), "?");
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(errno_name(98), "EADDRINUSE");
	assert_string_equal(errno_name(13), "EACCES");
	assert_string_equal(errno_name(99), "EADDRNOTAVAIL");
	assert_string_equal(errno_name(110), "ETIMEDOUT");
	assert_null(errno_name(0));
	assert_string_equal(tcp_state_name(10), "LISTEN");
	assert_null(tcp_state_name(99));
	assert_string_equal(event_name(SS_EV_CONNECT_DONE), "connect_done");
	assert_int_equal(event_from_name("accept", 6), SS_EV_ACCEPT);
	assert_int_equal(event_from_name("accep", 5), 0);
	assert_null(event_name(SS_EV_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_valid_record),
		cmocka_unit_test(refuses_bad_records),
		cmocka_unit_test(accepts_longer_records_from_newer_producers),
		cmocka_unit_test(addresses),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
