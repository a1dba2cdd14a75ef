// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/config.h"
#include "cmd/options.h"
#include "lib/err.h"
#include "lib/parse.h"
#include "output/sinks/sink.h"

void config_defaults(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->db, sizeof(c->db), "%s", CONFIG_DEFAULT_DB);
	c->retain_secs = 30ull * 86400;
	c->retain_bytes = 1ull << 30;
	c->ring_size = 16u << 20;
	c->history = 10000;
}

/*
 * "90", "30s", "15m", "12h", "30d", "2w", or "forever". A zero age is
 * -ERANGE: "0" used to mean forever silently, which reads as "keep nothing".
 */
static int parse_age(const char *s, uint64_t *out)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = {
		{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400},
	};
	char digits[24];
	size_t len = strlen(s);
	uint64_t mult = 1, v;

	if (!strcmp(s, "forever")) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; len && i < sizeof(units) / sizeof(units[0]); i++)
		if (s[len - 1] == units[i].unit) {
			mult = units[i].secs;
			len--;
			break;
		}
	if (len >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (parse_u64(digits, 0, UINT64_MAX / mult, &v))
		return -EINVAL;
	if (!v)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* The one size grammar (lib/parse.h); kept for the callers of this name. */
int config_parse_size(const char *s, uint64_t *out)
{
	return parse_size(s, out);
}

/* Metrics must stay on loopback: they name processes and ports. */
static int check_metrics_addr(const char *v, char *err, size_t errlen)
{
	const char *why = NULL;
	struct addrport ap;

	if (parse_addrport(v, 0, &ap, &why))
		return errf(err, errlen, -EINVAL,
			    "metrics '%s': %s (expected ADDR:PORT on loopback, "
			    "e.g. 127.0.0.1:9463 or [::1]:9463)",
			    v, why);
	if (!addrport_is_loopback(&ap))
		return errf(err, errlen, -EINVAL,
			    "metrics '%s': only loopback addresses "
			    "(127.0.0.0/8, ::1) are allowed",
			    v);
	return 0;
}

int config_set(struct daemon_config *c, const char *key, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (!strcmp(key, "db")) {
		if (v[0] != '/' || strlen(v) >= sizeof(c->db))
			return errf(err, errlen, -EINVAL, "db '%s': expected an absolute path", v);
		snprintf(c->db, sizeof(c->db), "%s", v);
	} else if (!strcmp(key, "retain")) {
		int r = parse_age(v, &c->retain_secs);

		if (r == -ERANGE)
			return errf(err, errlen, -EINVAL,
				    "retain '%s': expected an age like 30d, "
				    "12h or 90m (use forever to keep history forever)",
				    v);
		if (r)
			return errf(err, errlen, -EINVAL,
				    "retain '%s': expected an age like 30d, "
				    "12h, 90m or forever",
				    v);
	} else if (!strcmp(key, "retain_size")) {
		if (parse_size(v, &c->retain_bytes))
			return errf(err, errlen, -EINVAL,
				    "retain_size '%s': expected a size like "
				    "1G, 500M or 0 (no limit)",
				    v);
	} else if (!strcmp(key, "sink")) {
		if (c->nr_sinks == CONFIG_MAX_SINKS)
			return errf(err, errlen, -EINVAL, "too many sinks (at most %d)",
				    CONFIG_MAX_SINKS);
		if (strlen(v) >= sizeof(c->sinks[0]))
			return errf(err, errlen, -EINVAL, "sink '%.40s...': too long", v);
		if (sink__check(v, err, errlen))
			return -EINVAL;
		snprintf(c->sinks[c->nr_sinks++], sizeof(c->sinks[0]), "%s", v);
	} else if (!strcmp(key, "metrics")) {
		if (!strcmp(v, "off")) {
			c->metrics[0] = '\0';
			return 0;
		}
		if (strlen(v) >= sizeof(c->metrics))
			return errf(err, errlen, -EINVAL, "metrics '%.40s': too long", v);
		if (check_metrics_addr(v, err, errlen))
			return -EINVAL;
		snprintf(c->metrics, sizeof(c->metrics), "%s", v);
	} else if (!strcmp(key, "ring_size")) {
		if (!opt__size_ok(&opt_ring_size, v, &n))
			return errf(err, errlen, -EINVAL, "ring_size '%s': %s", v,
				    opt_ring_size.expect);
		c->ring_size = (uint32_t)n;
	} else if (!strcmp(key, "history")) {
		if (parse_u64(v, 0, 10000000, &n))
			return errf(err, errlen, -EINVAL,
				    "history '%s': expected a number of "
				    "sockets, 0-10000000",
				    v);
		c->history = (uint32_t)n;
	} else if (!strcmp(key, "states")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return errf(err, errlen, -EINVAL, "states '%s': expected yes or no", v);
		c->states = !strcmp(v, "yes");
	} else {
		return errf(err, errlen, -EINVAL,
			    "unknown key '%s' (known: db, retain, retain_size, "
			    "sink, metrics, ring_size, history, states)",
			    key);
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Opens a configuration file that can be read to its end: a regular file
 * (a symlink to one is fine, admins manage configs that way), never a
 * directory, device or FIFO (O_NONBLOCK: opening a FIFO must not wait for a
 * writer), and not larger than CONFIG_MAX_BYTES. /dev/null is the one
 * device allowed: "--config /dev/null" is the usual way to say "none".
 */
static FILE *config_open(const char *path, char *err, size_t errlen, int *rc)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*rc = errf(err, errlen, -errno, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		*rc = errf(err, errlen, -errno, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode) && !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) {
		*rc = errf(err, errlen, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
			   "not a regular file");
	} else if (st.st_size > CONFIG_MAX_BYTES) {
		*rc = errf(err, errlen, -EFBIG, "larger than %s", CONFIG_MAX_TEXT);
	} else if (!(f = fdopen(fd, "r"))) {
		*rc = errf(err, errlen, -errno, "%s", strerror(errno));
	} else {
		*rc = 0;
		return f;
	}
	close(fd);
	return NULL;
}

int config_load(struct daemon_config *c, const char *path,
		void (*report)(const char *path, unsigned int line, const char *why, void *arg),
		void *arg, char *ferr, size_t ferrlen)
{
	char buf[1024], err[512];
	unsigned int lineno = 0;
	bool cleared_sinks = false;
	int bad = 0, rc;
	FILE *f = config_open(path, ferr, ferrlen, &rc);

	if (!f)
		return rc;
	while (fgets(buf, sizeof(buf), f)) {
		char *line, *eq, *key, *val;

		/* st_size is 0 for /proc files: the cap holds while reading */
		if (ftello(f) > CONFIG_MAX_BYTES) {
			fclose(f);
			return errf(ferr, ferrlen, -EFBIG, "larger than %s", CONFIG_MAX_TEXT);
		}
		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			if (report)
				report(path, lineno, "line too long (at most 1023 bytes)", arg);
			bad++;
			continue;
		}
		if ((line = strchr(buf, '#')))
			*line = '\0';
		line = trim(buf);
		if (!*line)
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			if (report)
				report(path, lineno, "expected 'key = value'", arg);
			bad++;
			continue;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!*val) {
			snprintf(err, sizeof(err), "'%s' has no value", key);
			if (report)
				report(path, lineno, err, arg);
			bad++;
			continue;
		}
		/* sinks in the file replace the defaults, they do not add to
		 * them */
		if (!strcmp(key, "sink") && !cleared_sinks) {
			c->nr_sinks = 0;
			cleared_sinks = true;
		}
		if (config_set(c, key, val, err, sizeof(err))) {
			if (report)
				report(path, lineno, err, arg);
			bad++;
		}
	}
	if (ferror(f)) {
		/* /proc/self/mem and the like: a read error is not "OK" */
		rc = errno ? -errno : -EIO;
		fclose(f);
		return errf(ferr, ferrlen, rc, "%s", strerror(-rc));
	}
	fclose(f);
	return bad;
}

void config_print(const struct daemon_config *c, FILE *f)
{
	fprintf(f, "db = %s\n", c->db);
	if (c->retain_secs)
		fprintf(f, "retain = %llus\n", (unsigned long long)c->retain_secs);
	else
		fprintf(f, "retain = forever\n");
	fprintf(f, "retain_size = %llu\n", (unsigned long long)c->retain_bytes);
	for (unsigned int i = 0; i < c->nr_sinks; i++) {
		char shown[sizeof(c->sinks[0]) + 64];

		/* printed: passwords stay in the file */
		sink_spec__redacted(c->sinks[i], shown, sizeof(shown));
		fprintf(f, "sink = %s\n", shown);
	}
	fprintf(f, "metrics = %s\n", c->metrics[0] ? c->metrics : "off");
	fprintf(f, "ring_size = %u\n", c->ring_size);
	fprintf(f, "history = %u\n", c->history);
	fprintf(f, "states = %s\n", c->states ? "yes" : "no");
}
