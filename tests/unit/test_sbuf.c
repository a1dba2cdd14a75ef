// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sbuf: appends are cut at the capacity, never past it; writing in place
 * (sbuf_begin/sbuf_end) appends the same bytes, cut the same way. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "lib/sbuf.h"

static void integers_as_printf(void **state)
{
	char want[32], got[RAW_U64_MAX + 1];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t v;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = x >> (i % 64);
		if (i < 64)
			v = i % 2 ? (1ull << i) - 1 : 1ull << i;
		*raw_u64(got, v) = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_string_equal(got, want);
	}
	for (uint32_t p = 1; p && p <= 1000000000u; p *= 10) {
		for (uint32_t v = p - 1; v <= p; v++) {
			*raw_u64(got, v) = '\0';
			snprintf(want, sizeof(want), "%u", v);
			assert_string_equal(got, want);
		}
	}
	*raw_u64(got, UINT64_MAX) = '\0';
	assert_string_equal(got, "18446744073709551615");
	*raw_u32_fixed(got, 42, 9) = '\0';
	assert_string_equal(got, "000000042");
}

/* Every capacity: the text is the first cap - 1 bytes of the whole, and
 * overflow says whether anything was cut. */
static void cut_is_a_prefix(void **state)
{
	static const char whole[] = "abc42 padded     |xyz";
	char buf[64], tmp[16];

	(void)state;
	for (size_t cap = 0; cap <= sizeof(whole) + 1; cap++) {
		struct sbuf sb;
		char *p;

		memset(buf, '#', sizeof(buf));
		sbuf_init(&sb, buf, cap);
		sbuf_lit(&sb, "abc");
		sbuf_u64(&sb, 42);
		sbuf_putc(&sb, ' ');
		sbuf_puts(&sb, "padded");
		sbuf_pad_from(&sb, 5, 12);
		p = sbuf_begin(&sb, tmp, sizeof(tmp));
		sbuf_end(&sb, tmp, p, raw_lit(raw_lit(p, "|"), "xyz"));
		if (!cap) {
			assert_int_equal(buf[0], '#');
			continue;
		}
		assert_int_equal(sb.len, cap - 1 < strlen(whole) ? cap - 1 : strlen(whole));
		assert_memory_equal(buf, whole, sb.len);
		assert_int_equal(buf[sb.len], '\0');
		assert_int_equal(buf[cap], '#'); /* nothing past the capacity */
		assert_int_equal(sb.overflow, cap - 1 < strlen(whole));
	}
}

/* printf that does not fit after earlier text keeps that text. */
static void printf_cut_after_text(void **state)
{
	char buf[8];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_lit(&sb, "abcde");
	sbuf_printf(&sb, "%d", 12345);
	assert_true(sb.overflow);
	assert_int_equal(sb.len, 7);
	assert_string_equal(buf, "abcde12");
	sbuf_putc(&sb, 'x');
	assert_string_equal(buf, "abcde12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers_as_printf),
		cmocka_unit_test(cut_is_a_prefix),
		cmocka_unit_test(printf_cut_after_text),
	};

	return cmocka_run_group_tests_name("sbuf", tests, NULL, NULL);
}
