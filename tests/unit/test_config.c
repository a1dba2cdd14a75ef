// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's config file: every key, and errors reported by line. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
		int rc = config_load(c, path, report, NULL, NULL, 0);

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
	assert_false(c.states);
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
				  "states = yes\n"
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
	assert_true(c.states);
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
	assert_int_equal(config_load(&c, "/nonexistent/sockscope.conf", NULL, NULL, NULL, 0),
			 -ENOENT);
}

/* The values that used to pass: each refused with the message shown. */
static void refused_values(void **state)
{
	static const struct {
		const char *key, *value, *why;
	} cases[] = {
		{"retain", "0",
		 "retain '0': expected an age like 30d, 12h or 90m (use forever to keep history "
		 "forever)"},
		{"retain", "0d",
		 "retain '0d': expected an age like 30d, 12h or 90m (use forever to keep history "
		 "forever)"},
		{"retain", "soon", "retain 'soon': expected an age like 30d, 12h, 90m or forever"},
		{"metrics", "::1:80",
		 "metrics '::1:80': an IPv6 address goes in brackets, e.g. [::1]:8080 (expected "
		 "ADDR:PORT on loopback, e.g. 127.0.0.1:9463 or [::1]:9463)"},
		{"sink", "file:relative/path", "file:relative/path: expected an absolute path"},
		{"sink", "syslog+udp://1.2.3.4", "syslog+udp: '1.2.3.4': missing ':PORT'"},
		{"states", "on", "states 'on': expected yes or no"},
	};
	struct daemon_config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(config_set(&c, cases[i].key, cases[i].value, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, cases[i].why);
	}
	/* nothing refused changed the configuration */
	assert_int_equal(c.retain_secs, 30 * 86400);
	assert_int_equal(c.nr_sinks, 0);
	assert_string_equal(c.metrics, "");
}

static int load_path(const char *p, int want, const char *why)
{
	struct daemon_config c;
	char err[256] = "";
	int rc;

	config_defaults(&c);
	rc = config_load(&c, p, report, NULL, err, sizeof(err));
	if (rc != want || (why && strcmp(err, why)))
		fail_msg("%s: %d \"%s\", want %d \"%s\"", p, rc, err, want, why ? why : "");
	return rc;
}

/* Only a regular file (or /dev/null) of at most 1 MiB is a configuration;
 * none of these may hang or print a line per byte. */
static void only_regular_files(void **state)
{
	char dir[] = "/tmp/ss-config-dir-XXXXXX", fifo[96], big[96];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	load_path(dir, -EISDIR, "not a regular file");
	load_path("/dev/zero", -EINVAL, "not a regular file");
	load_path("/dev/urandom", -EINVAL, "not a regular file");
	load_path("/proc/self/mem", -EIO, "Input/output error");
	load_path("/nonexistent/sockscope.conf", -ENOENT, "No such file or directory");
	nr_bad = 0;
	load_path("/dev/null", 0, NULL); /* "--config /dev/null": none */
	/* a FIFO without a writer: refused at once, not waited on */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	load_path(fifo, -EINVAL, "not a regular file");
	/* one byte over the cap, even of comments */
	snprintf(big, sizeof(big), "%s/big.conf", dir);
	f = fopen(big, "w");
	assert_non_null(f);
	for (int i = 0; i < CONFIG_MAX_BYTES / 16; i++)
		fputs("# fifteen bytes\n", f);
	fclose(f);
	load_path(big, 0, NULL);
	f = fopen(big, "a");
	assert_non_null(f);
	fputc('\n', f);
	fclose(f);
	load_path(big, -EFBIG, "larger than 1 MiB");
	assert_int_equal(nr_bad, 0);
	unlink(big);
	unlink(fifo);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),	  cmocka_unit_test(every_key),
		cmocka_unit_test(errors_by_line), cmocka_unit_test(overrides_and_values),
		cmocka_unit_test(refused_values), cmocka_unit_test(only_regular_files),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
