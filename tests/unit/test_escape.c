// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Hostile process names must never break a JSON line or a text column. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "lib/escape.h"

static char out[256];

static const char *json(const char *s, size_t maxlen)
{
	struct sbuf sb;

	sbuf_init(&sb, out, sizeof(out));
	json_str(&sb, s, maxlen);
	return out;
}

static const char *text(const char *s, size_t maxlen)
{
	struct sbuf sb;

	sbuf_init(&sb, out, sizeof(out));
	text_str(&sb, s, maxlen);
	return out;
}

static void json_plain(void **state)
{
	(void)state;
	assert_string_equal(json("nginx", 16), "\"nginx\"");
	assert_string_equal(json("", 16), "\"\"");
}

static void json_quote_backslash(void **state)
{
	(void)state;
	assert_string_equal(json("a\"b\\c", 16), "\"a\\\"b\\\\c\"");
}

static void json_control_bytes(void **state)
{
	(void)state;
	assert_string_equal(json("a\nb\tc\rd", 16), "\"a\\nb\\tc\\rd\"");
	assert_string_equal(json("\x01\x1f\x7f", 16), "\"\\u0001\\u001f\\u007f\"");
}

static void json_valid_utf8_kept(void **state)
{
	(void)state;
	/* "é" and "€" and a 4-byte emoji */
	assert_string_equal(json("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 16),
			    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

static void json_invalid_utf8_replaced(void **state)
{
	(void)state;
	assert_string_equal(json("a\xff"
				 "b",
				 16),
			    "\"a\\ufffdb\"");
	/* truncated sequence, lone continuation, overlong, surrogate */
	assert_string_equal(json("\xe2\x82", 16), "\"\\ufffd\\ufffd\"");
	assert_string_equal(json("\x80", 16), "\"\\ufffd\"");
	assert_string_equal(json("\xc0\xaf", 16), "\"\\ufffd\\ufffd\"");
	assert_string_equal(json("\xed\xa0\x80", 16), "\"\\ufffd\\ufffd\\ufffd\"");
}

static void json_respects_maxlen_without_nul(void **state)
{
	char comm[4] = {'a', 'b', 'c', 'd'}; /* no NUL, like a full comm */

	(void)state;
	assert_string_equal(json(comm, sizeof(comm)), "\"abcd\"");
	/* a multibyte sequence cut by the bound is invalid, not over-read */
	assert_string_equal(json("ab\xc3\xa9", 3), "\"ab\\ufffd\"");
}

static void text_escapes_everything_unsafe(void **state)
{
	(void)state;
	assert_string_equal(text("nginx", 16), "nginx");
	assert_string_equal(text("a b", 16), "a\\x20b");
	assert_string_equal(text("a\nb", 16), "a\\x0ab");
	assert_string_equal(text("\\", 16), "\\x5c");
	assert_string_equal(text("\xff\"", 16), "\\xff\"");
	assert_null(strchr(text("x\n\ry\t", 16), '\n'));
}

/* Valid UTF-8 is escaped too: a column's width is its length in bytes. */
static void text_non_ascii_escaped_per_byte(void **state)
{
	(void)state;
	assert_string_equal(text("\xe2\x82\xac euro", 16), "\\xe2\\x82\\xac\\x20euro");
	assert_string_equal(text("caf\xc3\xa9", 16), "caf\\xc3\\xa9");
	assert_string_equal(text("\x7f\x01", 16), "\\x7f\\x01");
	/* quotes, brackets and parentheses are printable: kept */
	assert_string_equal(text("a(b)=[c]'\"", 16), "a(b)=[c]'\"");
}

static int unhex(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Every byte but NUL round-trips, and the output is printable ASCII with
 * no space: one token, whatever the name. */
static void text_is_lossless_and_one_token(void **state)
{
	char name[16], back[16];

	(void)state;
	for (int b = 1; b < 256; b += 15) {
		const char *t;
		size_t n = 0;

		for (int i = 0; i < 15; i++)
			name[i] = (char)(b + i > 255 ? 255 : b + i);
		name[15] = '\0';
		t = text(name, sizeof(name));
		for (const char *p = t; *p; p++)
			assert_true(*p > 0x20 && *p < 0x7f);
		for (const char *p = t; *p; n++) {
			if (*p == '\\') {
				assert_int_equal(p[1], 'x');
				back[n] = (char)(unhex(p[2]) << 4 | unhex(p[3]));
				p += 4;
			} else {
				back[n] = *p++;
			}
		}
		assert_int_equal(n, 15);
		assert_memory_equal(back, name, 15);
	}
}

static void text_respects_maxlen_without_nul(void **state)
{
	char comm[4] = {'a', ' ', 'c', 'd'}; /* no NUL, like a full comm */

	(void)state;
	assert_string_equal(text(comm, sizeof(comm)), "a\\x20cd");
	assert_string_equal(text("ab\xc3\xa9", 3), "ab\\xc3");
	assert_string_equal(text("", 16), "");
}

/* Runs of plain bytes are scanned 8 at a time: a byte to escape is found at
 * every offset in and across those words, and a long name around it kept. */
static void special_byte_at_every_offset(void **state)
{
	static const struct {
		char c;
		const char *json, *text;
	} cases[] = {
		{'"', "\\\"", "\""},	      {'\\', "\\\\", "\\x5c"},
		{'\n', "\\n", "\\x0a"},	      {'\x01', "\\u0001", "\\x01"},
		{'\x7f', "\\u007f", "\\x7f"}, {'\xff', "\\ufffd", "\\xff"},
		{' ', " ", "\\x20"},
	};
	char s[48], want[128];

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		for (size_t at = 0; at < 40; at++) {
			memset(s, 'a', 40);
			s[40] = '\0';
			s[at] = cases[k].c;
			snprintf(want, sizeof(want), "\"%.*s%s%s\"", (int)at, s, cases[k].json,
				 s + at + 1);
			assert_string_equal(json(s, sizeof(s)), want);
			snprintf(want, sizeof(want), "%.*s%s%s", (int)at, s, cases[k].text,
				 s + at + 1);
			assert_string_equal(text(s, sizeof(s)), want);
		}
	}
}

static void sbuf_overflow_is_bounded(void **state)
{
	char small[8];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, small, sizeof(small));
	json_str(&sb, "0123456789", 16);
	assert_true(sb.overflow);
	assert_int_equal(strlen(small), 7);
	sbuf_init(&sb, small, sizeof(small));
	sbuf_printf(&sb, "%s", "abcdefghijk");
	assert_true(sb.overflow);
	assert_string_equal(small, "abcdefg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_plain),
		cmocka_unit_test(json_quote_backslash),
		cmocka_unit_test(json_control_bytes),
		cmocka_unit_test(json_valid_utf8_kept),
		cmocka_unit_test(json_invalid_utf8_replaced),
		cmocka_unit_test(json_respects_maxlen_without_nul),
		cmocka_unit_test(text_escapes_everything_unsafe),
		cmocka_unit_test(text_non_ascii_escaped_per_byte),
		cmocka_unit_test(text_is_lossless_and_one_token),
		cmocka_unit_test(text_respects_maxlen_without_nul),
		cmocka_unit_test(special_byte_at_every_offset),
		cmocka_unit_test(sbuf_overflow_is_bounded),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
