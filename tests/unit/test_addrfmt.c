// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* raw_addr() prints what addr_str() (inet_ntop) prints, byte for byte. */
#include "testutil.h"

#include <arpa/inet.h>
#include <string.h>

#include "kernel/decode.h"
#include "lib/addrfmt.h"

static void check(unsigned int family, const uint8_t a[16])
{
	char want[SS_ADDRSTRLEN], got[RAW_ADDR_MAX + 1];
	char *end = raw_addr(got, family, a);

	*end = '\0';
	assert_true(end - got <= RAW_ADDR_MAX);
	assert_string_equal(got, addr_str(want, family, a));
}

static void ipv4_every_octet(void **state)
{
	uint8_t a[16] = {0};

	(void)state;
	for (unsigned int v = 0; v < 256; v++) {
		a[0] = (uint8_t)v;
		a[1] = (uint8_t)(255 - v);
		a[2] = (uint8_t)(v * 7);
		a[3] = (uint8_t)(v / 3);
		check(SS_AF_INET, a);
	}
}

/* Every pattern of zero and nonzero words (the "::" choice), with words of
 * every width, 0:0:0:0:0:ffff (v4-mapped) and ::ffff:0 forms, ::a.b.c.d. */
static void ipv6_every_zero_pattern(void **state)
{
	static const unsigned int words[] = {1, 0xa, 0xab, 0xabc, 0xffff, 0x100, 0x1000, 0xf00f};
	uint8_t a[16];

	(void)state;
	for (unsigned int mask = 0; mask < 256; mask++) {
		for (unsigned int k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
			for (int i = 0; i < 8; i++) {
				unsigned int w =
					(mask >> i & 1) ? words[(k + (unsigned int)i) % 8] : 0;

				a[2 * i] = (uint8_t)(w >> 8);
				a[2 * i + 1] = (uint8_t)w;
			}
			check(SS_AF_INET6, a);
			a[10] = a[11] = 0xff; /* word 5: ffff */
			check(SS_AF_INET6, a);
		}
	}
}

static void ipv6_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t a[16];

	(void)state;
	for (int n = 0; n < 20000; n++) {
		for (int i = 0; i < 16; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly zero bytes: runs of zero words are the hard part */
			a[i] = (x & 3) ? 0 : (uint8_t)(x >> 8);
		}
		check(SS_AF_INET6, a);
		check(SS_AF_INET, a);
	}
}

static void other_family(void **state)
{
	uint8_t a[16] = {1, 2, 3, 4};

	(void)state;
	check(0, a);
	check(SS_AF_INET6 + 1, a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_every_octet),
		cmocka_unit_test(ipv6_every_zero_pattern),
		cmocka_unit_test(ipv6_random),
		cmocka_unit_test(other_family),
	};

	return cmocka_run_group_tests_name("addrfmt", tests, NULL, NULL);
}
