// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Syslog messages exactly as a collector must parse them. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/sinks/syslog5424.h"

/* 2026-11-21T14:02:11.123456789Z */
#define TS 1795269731123456789LL
#define JSON "{\"event\":\"bind\",\"pid\":4242,\"comm\":\"srv\"}"

static char buf[2048];

static size_t fmt(int fac, int sev, int64_t ts, const char *host, const char *app, uint32_t pid,
		  const char *msgid, const char *msg)
{
	return syslog5424_format(buf, sizeof(buf), fac, sev, ts, host, app, pid, msgid, msg,
				 msg ? strlen(msg) : 0);
}

static void exact_message_for_known_input(void **state)
{
	const char *want = "<30>1 2026-11-21T14:02:11.123456Z web-1 sockscope "
			   "4242 bind - " JSON;

	(void)state;
	/* The event line's newline is not part of MSG. */
	assert_int_equal(fmt(SYSLOG_FAC_DAEMON, SYSLOG_SEV_INFO, TS, "web-1", "sockscope", 4242,
			     "bind", JSON "\n"),
			 strlen(want));
	assert_string_equal(buf, want);
	/* Same without the newline; the header alone is the prefix. */
	fmt(3, 6, TS, "web-1", "sockscope", 4242, "bind", JSON);
	assert_string_equal(buf, want);
	assert_int_equal(
		syslog5424_header(buf, sizeof(buf), 3, 6, TS, "web-1", "sockscope", 4242, "bind"),
		strlen(want) - strlen(JSON) - 1);
	assert_memory_equal(buf, want, strlen(want) - strlen(JSON) - 1);
}

static void pri_is_facility_times_8_plus_severity(void **state)
{
	char want[8];

	(void)state;
	for (int sev = 0; sev <= 7; sev++) {
		fmt(SYSLOG_FAC_DAEMON, sev, TS, "h", "a", 1, "m", "x");
		snprintf(want, sizeof(want), "<%d>1 ", 24 + sev);
		assert_memory_equal(buf, want, strlen(want));
	}
	fmt(3, SYSLOG_SEV_WARNING, TS, "h", "a", 1, "m", "x");
	assert_memory_equal(buf, "<28>1 ", 6);
	fmt(16, 6, TS, "h", "a", 1, "m", "x"); /* local0.info */
	assert_memory_equal(buf, "<134>1 ", 7);
	fmt(0, 0, TS, "h", "a", 1, "m", "x");
	assert_memory_equal(buf, "<0>1 ", 5);
	/* Out of range: clamped, never another facility's number. */
	fmt(99, 42, TS, "h", "a", 1, "m", "x");
	assert_memory_equal(buf, "<191>1 ", 7);
	fmt(-1, -5, TS, "h", "a", 1, "m", "x");
	assert_memory_equal(buf, "<0>1 ", 5);
}

static void empty_fields_are_nilvalue(void **state)
{
	(void)state;
	fmt(3, 6, 0, NULL, "", 0, NULL, JSON);
	assert_string_equal(buf, "<30>1 - - - - - - " JSON);
	/* No MSG: no trailing space either. */
	fmt(3, 6, -5, "", NULL, 0, "", "");
	assert_string_equal(buf, "<30>1 - - - - - -");
	fmt(3, 6, TS, "h", "a", 7, "m", "\n");
	assert_string_equal(buf, "<30>1 2026-11-21T14:02:11.123456Z h a 7 m -");
}

static void header_fields_are_printable_ascii(void **state)
{
	(void)state;
	/* Space, tab, DEL, a newline and UTF-8 bytes would split, end or
	 * forge fields: each such byte becomes '_'. MSG is left alone. */
	fmt(3, 6, TS, "we b\t1", "sock\x7fscope", 1, "bi\nnd\xc3\xa9", "{\"comm\":\"\xc3\xa9 x\"}");
	assert_string_equal(buf, "<30>1 2026-11-21T14:02:11.123456Z we_b_1 "
				 "sock_scope 1 bi_nd__ - {\"comm\":\"\xc3\xa9 x\"}");
	/* Printable punctuation stays. */
	fmt(3, 6, TS, "[::1]", "a-b_c.d", 1, "connect_done", "m");
	assert_string_equal(buf, "<30>1 2026-11-21T14:02:11.123456Z [::1] "
				 "a-b_c.d 1 connect_done - m");
}

static void header_fields_are_cut_to_rfc_lengths(void **state)
{
	char host[301], app[61], msgid[41], want[1024];

	(void)state;
	memset(host, 'h', 300);
	host[300] = '\0';
	memset(app, 'a', 60);
	app[60] = '\0';
	memset(msgid, 'm', 40);
	msgid[40] = '\0';
	fmt(3, 6, TS, host, app, 4294967295u, msgid, "x");
	snprintf(want, sizeof(want),
		 "<30>1 2026-11-21T14:02:11.123456Z %.255s %.48s 4294967295 "
		 "%.32s - x",
		 host, app, msgid);
	assert_string_equal(buf, want);
	assert_int_equal(syslog5424_header(NULL, 0, 3, 6, TS, host, app, 4294967295u, msgid),
			 strlen(want) - 2);
	assert_true(strlen(want) - 2 < SYSLOG5424_HEADER_MAX);
}

static void small_buffer_cuts_and_reports_full_length(void **state)
{
	char small[16];
	size_t full;

	(void)state;
	full = fmt(3, 6, TS, "h", "a", 1, "m", JSON);
	assert_int_equal(full, strlen(buf));
	/* snprintf's contract: the whole length, the prefix that fits. */
	memset(small, 'X', sizeof(small));
	assert_int_equal(syslog5424_format(small, sizeof(small), 3, 6, TS, "h", "a", 1, "m", JSON,
					   strlen(JSON)),
			 full);
	assert_memory_equal(small, buf, sizeof(small) - 1);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_int_equal(syslog5424_format(NULL, 0, 3, 6, TS, "h", "a", 1, "m", JSON, strlen(JSON)),
			 full);
	/* Exactly enough, and one byte short. */
	{
		char *exact = malloc(full + 1);

		assert_non_null(exact);
		assert_int_equal(syslog5424_format(exact, full + 1, 3, 6, TS, "h", "a", 1, "m",
						   JSON, strlen(JSON)),
				 full);
		assert_string_equal(exact, buf);
		syslog5424_format(exact, full, 3, 6, TS, "h", "a", 1, "m", JSON, strlen(JSON));
		assert_int_equal(strlen(exact), full - 1);
		assert_memory_equal(exact, buf, full - 1);
		free(exact);
	}
}

static void timestamp_is_utc_microseconds(void **state)
{
	(void)state;
	/* Cut, not rounded: never a time after the event. */
	fmt(3, 6, 1795269731999999999LL, "h", "a", 1, "m", "x");
	assert_string_equal(buf, "<30>1 2026-11-21T14:02:11.999999Z h a 1 m - x");
	fmt(3, 6, 1, "h", "a", 1, "m", "x");
	assert_string_equal(buf, "<30>1 1970-01-01T00:00:00.000000Z h a 1 m - x");
	/* 2024-02-29T23:59:59.000001Z */
	fmt(3, 6, 1709251199000001000LL, "h", "a", 1, "m", "x");
	assert_string_equal(buf, "<30>1 2024-02-29T23:59:59.000001Z h a 1 m - x");
	/* The last nanosecond an int64_t holds. */
	fmt(3, 6, INT64_MAX, "h", "a", 1, "m", "x");
	assert_string_equal(buf, "<30>1 2262-04-11T23:47:16.854775Z h a 1 m - x");
}

static void octet_counting_frame_counts_bytes(void **state)
{
	char pre[24], frame[2100];
	size_t len, plen;

	(void)state;
	assert_int_equal(syslog5424_frame_prefix(pre, sizeof(pre), 0), 2);
	assert_string_equal(pre, "0 ");
	assert_int_equal(syslog5424_frame_prefix(pre, sizeof(pre), 1234567), 8);
	assert_string_equal(pre, "1234567 ");
	/* LEN counts bytes of MSG, not characters: "é" is two. */
	len = fmt(3, 6, TS, "h", "a", 1, "m", "{\"comm\":\"\xc3\xa9\"}");
	plen = syslog5424_frame_prefix(pre, sizeof(pre), len);
	snprintf(frame, sizeof(frame), "%s%s", pre, buf);
	assert_string_equal(frame, "57 <30>1 2026-11-21T14:02:11.123456Z h a 1 "
				   "m - {\"comm\":\"\xc3\xa9\"}");
	assert_int_equal(strlen(frame) - plen, 57);
	assert_int_equal(len, 57);
	/* Cut like the others. */
	assert_int_equal(syslog5424_frame_prefix(pre, 3, 1234567), 8);
	assert_string_equal(pre, "12");
}

static void local_format_is_what_syslog3_writes(void **state)
{
	char tag[41];

	(void)state;
	/* TZ is UTC in this program (main). */
	assert_int_equal(syslog_local_format(buf, sizeof(buf), 3, 4, TS, "sockscope", 4242,
					     JSON "\n", strlen(JSON) + 1),
			 strlen("<28>Nov 21 14:02:11 sockscope[4242]: " JSON));
	assert_string_equal(buf, "<28>Nov 21 14:02:11 sockscope[4242]: " JSON);
	/* Day of month space-padded; no pid, no brackets. */
	syslog_local_format(buf, sizeof(buf), 3, 6, 1793577600000000000LL, "sockscope", 0, "x", 1);
	assert_string_equal(buf, "<30>Nov  2 00:00:00 sockscope: x");
	/* The tag's delimiters and blanks cannot appear in it; cut at 32. */
	syslog_local_format(buf, sizeof(buf), 3, 6, TS, "a:b[c] d", 1, "x", 1);
	assert_string_equal(buf, "<30>Nov 21 14:02:11 a_b_c__d[1]: x");
	memset(tag, 't', 40);
	tag[40] = '\0';
	syslog_local_format(buf, sizeof(buf), 3, 6, TS, tag, 1, "", 0);
	assert_string_equal(buf, "<30>Nov 21 14:02:11 "
				 "tttttttttttttttttttttttttttttttt[1]:");
	assert_int_equal(syslog_local_header(NULL, 0, 3, 6, TS, NULL, 0),
			 strlen("<30>Nov 21 14:02:11 -:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_message_for_known_input),
		cmocka_unit_test(pri_is_facility_times_8_plus_severity),
		cmocka_unit_test(empty_fields_are_nilvalue),
		cmocka_unit_test(header_fields_are_printable_ascii),
		cmocka_unit_test(header_fields_are_cut_to_rfc_lengths),
		cmocka_unit_test(small_buffer_cuts_and_reports_full_length),
		cmocka_unit_test(timestamp_is_utc_microseconds),
		cmocka_unit_test(octet_counting_frame_counts_bytes),
		cmocka_unit_test(local_format_is_what_syslog3_writes),
	};

	setenv("TZ", "UTC0", 1);
	tzset();
	return cmocka_run_group_tests_name("syslog5424", tests, NULL, NULL);
}
