// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The shared grammars (lib/parse.h): whole numbers, sizes and ADDR:PORT,
 * what each accepts, what it refuses, and that a refusal says why.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/parse.h"

static uint64_t size(const char *s)
{
	uint64_t v = 42;

	if (parse_size(s, &v))
		fail_msg("parse_size(\"%s\") refused", s);
	return v;
}

static void bad_size(const char *s, int want)
{
	uint64_t v = 42;

	if (parse_size(s, &v) != want)
		fail_msg("parse_size(\"%s\") did not return %d", s, want);
	assert_true(v == 42); /* untouched on error */
}

static void u64_digits_within_bounds(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse_u64("0", 0, 10, &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("11", 0, 10, &v), -ERANGE);
	assert_int_equal(parse_u64("0", 1, 10, &v), -ERANGE);
	assert_int_equal(parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64(NULL, 0, 10, &v), -EINVAL);
}

static void sizes_with_binary_suffixes(void **state)
{
	(void)state;
	assert_true(size("0") == 0);
	assert_true(size("4096") == 4096);
	assert_true(size("64K") == 64ull << 10);
	assert_true(size("64k") == 64ull << 10);
	assert_true(size("16M") == 16ull << 20);
	assert_true(size("1G") == 1ull << 30);
	assert_true(size("1GiB") == 1ull << 30);
	assert_true(size("1GB") == 1ull << 30);
	assert_true(size("2TB") == 2ull << 40);
	assert_true(size("2t") == 2ull << 40);
	assert_true(size("16777215T") == 16777215ull << 40);
}

static void sizes_refused(void **state)
{
	(void)state;
	bad_size("16777216T", -ERANGE); /* 2^64 */
	bad_size("18446744073709551616", -ERANGE);
	bad_size("99999999999999999999999", -ERANGE);
	bad_size("", -EINVAL);
	bad_size("K", -EINVAL);
	bad_size("ten", -EINVAL);
	bad_size("-1", -EINVAL);
	bad_size(" 1", -EINVAL);
	bad_size("1 K", -EINVAL);
	bad_size("1KX", -EINVAL);
	bad_size("1KiBB", -EINVAL);
	bad_size("1Ki", -EINVAL);
	bad_size("1B", -EINVAL); /* B only after a multiplier */
	bad_size("1P", -EINVAL);
	bad_size("1.5G", -EINVAL);
	bad_size("0x10", -EINVAL);
}

/* Parses s, which must be accepted. */
static struct addrport ap_ok(const char *s, unsigned int flags)
{
	struct addrport ap;
	const char *why = NULL;

	if (parse_addrport(s, flags, &ap, &why))
		fail_msg("parse_addrport(\"%s\") refused: %s", s, why);
	return ap;
}

/* s must be refused, with a reason containing want. */
static void ap_bad(const char *s, unsigned int flags, const char *want)
{
	struct addrport ap;
	const char *why = NULL;

	if (parse_addrport(s, flags, &ap, &why) != -EINVAL)
		fail_msg("parse_addrport(\"%s\") accepted", s);
	if (!why || !strstr(why, want))
		fail_msg("parse_addrport(\"%s\"): \"%s\" lacks \"%s\"", s, why ? why : "(null)",
			 want);
	/* why may be NULL */
	assert_int_equal(parse_addrport(s, flags, &ap, NULL), -EINVAL);
}

static void addrport_ipv4_and_bracketed_ipv6(void **state)
{
	static const uint8_t v6_loop[16] = {[15] = 1};
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct addrport ap;

	(void)state;
	ap = ap_ok("127.0.0.1:8080", 0);
	assert_int_equal(ap.family, AF_INET);
	assert_int_equal(ap.port, 8080);
	assert_memory_equal(ap.addr, "\x7f\0\0\x01", 4);
	assert_int_equal(addrport_sockaddr(&ap, &ss), sizeof(*in));
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 8080);
	assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);

	ap = ap_ok("[::1]:65535", 0);
	assert_int_equal(ap.family, AF_INET6);
	assert_int_equal(ap.port, 65535);
	assert_memory_equal(ap.addr, v6_loop, 16);
	assert_int_equal(addrport_sockaddr(&ap, &ss), sizeof(*in6));
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 65535);
	assert_int_equal(in6->sin6_scope_id, 0);

	/* A link-local address names its interface, by index or name. */
	ap = ap_ok("[fe80::1%1]:514", 0);
	assert_int_equal(ap.scope_id, 1);
	ap = ap_ok("[fe80::1%lo]:514", 0);
	assert_int_equal(ap.scope_id, 1);
	addrport_sockaddr(&ap, &ss);
	assert_int_equal(in6->sin6_scope_id, 1);
	ap_bad("[fe80::1%no-such-if]:514", 0, "interface");
	ap_bad("[fe80::1%]:514", 0, "interface");
}

static void addrport_optional_parts(void **state)
{
	struct addrport ap;

	(void)state;
	/* A bare port, or ":PORT": any address. */
	ap = ap_ok("9463", ADDRPORT_ADDR_OPTIONAL);
	assert_int_equal(ap.family, AF_UNSPEC);
	assert_int_equal(ap.port, 9463);
	ap = ap_ok(":9463", ADDRPORT_ADDR_OPTIONAL);
	assert_int_equal(ap.family, AF_UNSPEC);
	assert_int_equal(ap.port, 9463);
	ap = ap_ok("10.1.2.3:80", ADDRPORT_ADDR_OPTIONAL);
	assert_int_equal(ap.family, AF_INET);
	{
		struct sockaddr_storage ss;

		ap = ap_ok("80", ADDRPORT_ADDR_OPTIONAL);
		assert_int_equal(addrport_sockaddr(&ap, &ss), 0);
	}
	/* An address alone: port 0, the caller's default. */
	ap = ap_ok("10.0.0.1", ADDRPORT_PORT_OPTIONAL);
	assert_int_equal(ap.family, AF_INET);
	assert_int_equal(ap.port, 0);
	ap = ap_ok("[::1]", ADDRPORT_PORT_OPTIONAL);
	assert_int_equal(ap.family, AF_INET6);
	assert_int_equal(ap.port, 0);
	ap = ap_ok("[::1]:514", ADDRPORT_PORT_OPTIONAL);
	assert_int_equal(ap.port, 514);

	/* Without the flags, both parts are needed. */
	ap_bad("9463", 0, "IPv4");
	ap_bad(":9463", 0, "missing address");
	ap_bad("127.0.0.1", 0, "missing ':PORT'");
	ap_bad("[::1]", 0, "missing ':PORT'");
	/* Neither given is never an address. */
	ap_bad("", ADDRPORT_ADDR_OPTIONAL | ADDRPORT_PORT_OPTIONAL, "empty");
}

static void addrport_refused(void **state)
{
	(void)state;
	ap_bad("::1:80", ADDRPORT_PORT_OPTIONAL, "brackets");
	ap_bad("::1", ADDRPORT_PORT_OPTIONAL, "brackets");
	ap_bad("127.0.0.1:0", 0, "bad port");
	ap_bad("127.0.0.1:65536", 0, "bad port");
	ap_bad("127.0.0.1:", 0, "bad port");
	ap_bad("127.0.0.1:80x", 0, "bad port");
	ap_bad("127.0.0.1:-1", 0, "bad port");
	ap_bad("[::1]:0", 0, "bad port");
	ap_bad("0", ADDRPORT_ADDR_OPTIONAL, "bad port");
	ap_bad("[::1", 0, "missing ']'");
	ap_bad("[::1]x", 0, "expected ':PORT'");
	ap_bad("[]:80", 0, "bad IPv6");
	ap_bad("[127.0.0.1]:80", 0, "bad IPv6");
	ap_bad("[zz]:80", 0, "bad IPv6");
	/* Names would need DNS. */
	ap_bad("localhost:80", 0, "bad IPv4");
	ap_bad("example.com:80", ADDRPORT_ADDR_OPTIONAL, "bad IPv4");
	ap_bad("256.0.0.1:80", 0, "bad IPv4");
	ap_bad("127.1:80", 0, "bad IPv4");
	ap_bad(NULL, 0, "empty");
}

static void addrport_loopback(void **state)
{
	(void)state;
	assert_true(addrport_is_loopback(
		&(struct addrport){.family = AF_INET, .addr = {127, 0, 0, 1}}));
	{
		struct addrport ap = ap_ok("127.255.0.9:1", 0);

		assert_true(addrport_is_loopback(&ap));
		ap = ap_ok("[::1]:1", 0);
		assert_true(addrport_is_loopback(&ap));
		ap = ap_ok("[::ffff:127.0.0.1]:1", 0);
		assert_true(addrport_is_loopback(&ap));
		ap = ap_ok("128.0.0.1:1", 0);
		assert_false(addrport_is_loopback(&ap));
		ap = ap_ok("10.0.0.1:1", 0);
		assert_false(addrport_is_loopback(&ap));
		ap = ap_ok("0.0.0.0:1", 0);
		assert_false(addrport_is_loopback(&ap));
		ap = ap_ok("[::]:1", 0);
		assert_false(addrport_is_loopback(&ap));
		ap = ap_ok("[::2]:1", 0);
		assert_false(addrport_is_loopback(&ap));
		ap = ap_ok("[::ffff:10.0.0.1]:1", 0);
		assert_false(addrport_is_loopback(&ap));
		/* ::127.0.0.1 is not v4-mapped */
		ap = ap_ok("[::127.0.0.1]:1", 0);
		assert_false(addrport_is_loopback(&ap));
		ap = ap_ok("1", ADDRPORT_ADDR_OPTIONAL);
		assert_false(addrport_is_loopback(&ap)); /* any address */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u64_digits_within_bounds),
		cmocka_unit_test(sizes_with_binary_suffixes),
		cmocka_unit_test(sizes_refused),
		cmocka_unit_test(addrport_ipv4_and_bracketed_ipv6),
		cmocka_unit_test(addrport_optional_parts),
		cmocka_unit_test(addrport_refused),
		cmocka_unit_test(addrport_loopback),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
