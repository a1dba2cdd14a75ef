// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's config file: every key, and errors reported by line. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config.h"

static char path[64];
static unsigned int bad_lines[16];
static char bad_why[16][512];
static unsigned int nr_bad;

static void report(const char *p, unsigned int line, const char *why, void *arg)
{
	(void)p;
	(void)arg;
	if (nr_bad < 16) {
		bad_lines[nr_bad] = line;
		snprintf(bad_why[nr_bad], sizeof(bad_why[0]), "%s", why);
	}
	nr_bad++;
}

static int load(struct daemon_config *c, const char *text)
{
	int fd;

	strcpy(path, "/tmp/ss-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	nr_bad = 0;
	config_defaults(c);
	{
		int rc = config_load(c, path, report, NULL);

		unlink(path);
		return rc;
	}
}

static void defaults(void **state)
{
	struct daemon_config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.db, "/var/lib/sockscope/sockscope.db");
	assert_int_equal(c.retain_secs, 30 * 86400);
	assert_int_equal(c.nr_sinks, 0);
	assert_string_equal(c.metrics, "");
}

static void every_key(void **state)
{
	struct daemon_config c;

	(void)state;
	assert_int_equal(load(&c, "# comment\n"
				  "db = /tmp/x.db\n"
				  "  retain = 12h   # trailing comment\n"
				  "retain_size = 500M\n"
				  "sink = stdout\n"
				  "sink = file:/var/log/s.json?max_bytes=1000&keep=3\n"
				  "sink = syslog+tcp://127.0.0.1:5514\n"
				  "metrics = 127.0.0.1:9463\n"
				  "ring_size = 64K\n"
				  "history = 500\n"
				  "\n"),
			 0);
	assert_string_equal(c.db, "/tmp/x.db");
	assert_int_equal(c.retain_secs, 12 * 3600);
	assert_int_equal(c.retain_bytes, 500ull << 20);
	assert_int_equal(c.nr_sinks, 3);
	assert_string_equal(c.sinks[1], "file:/var/log/s.json?max_bytes=1000&keep=3");
	assert_string_equal(c.metrics, "127.0.0.1:9463");
	assert_int_equal(c.ring_size, 65536);
	assert_int_equal(c.history, 500);
}

static void errors_by_line(void **state)
{
	struct daemon_config c;

	(void)state;
	assert_int_equal(load(&c, "db = /ok.db\n"
				  "colour = blue\n"
				  "retain = soon\n"
				  "no equals sign\n"
				  "metrics = 10.0.0.1:9463\n"
				  "sink = ftp://x\n"
				  "ring_size = 5000\n"
				  "db = relative.db\n"
				  "history =\n"),
			 8);
	assert_int_equal(bad_lines[0], 2);
	assert_non_null(strstr(bad_why[0], "unknown key 'colour'"));
	assert_int_equal(bad_lines[1], 3);
	assert_non_null(strstr(bad_why[1], "retain 'soon'"));
	assert_int_equal(bad_lines[2], 4);
	assert_non_null(strstr(bad_why[2], "expected 'key = value'"));
	assert_int_equal(bad_lines[3], 5);
	assert_non_null(strstr(bad_why[3], "only loopback"));
	assert_int_equal(bad_lines[4], 6);
	assert_non_null(strstr(bad_why[4], "sink 'ftp://x'"));
	assert_int_equal(bad_lines[5], 7);
	assert_int_equal(bad_lines[6], 8);
	assert_int_equal(bad_lines[7], 9);
	assert_non_null(strstr(bad_why[7], "has no value"));
	/* the good line still applied */
	assert_string_equal(c.db, "/ok.db");
}

static void overrides_and_values(void **state)
{
	struct daemon_config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "retain", "forever", err, sizeof(err)), 0);
	assert_int_equal(c.retain_secs, 0);
	assert_int_equal(config_set(&c, "retain", "2w", err, sizeof(err)), 0);
	assert_int_equal(c.retain_secs, 14 * 86400);
	assert_int_equal(config_set(&c, "metrics", "[::1]:9463", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "metrics", "[::2]:9463", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(&c, "metrics", "127.0.0.1:0", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(&c, "metrics", "off", err, sizeof(err)), 0);
	assert_string_equal(c.metrics, "");
	assert_int_equal(config_set(&c, "retain_size", "1x", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(&c, "sink", "file:", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(&c, "sink", "syslog+udp://", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_load(&c, "/nonexistent/sockscope.conf", NULL, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(errors_by_line),
		cmocka_unit_test(overrides_and_values),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
