// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config.h"
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

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "90", "30s", "15m", "12h", "30d", "2w", or "0"/"forever". */
static int parse_age(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!strcmp(s, "forever")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ull << 10; break;
	case 'm': case 'M': mult = 1ull << 20; break;
	case 'g': case 'G': mult = 1ull << 30; break;
	case 't': case 'T': mult = 1ull << 40; break;
	default: return -EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* Metrics must stay on loopback: they name processes and ports. */
static int check_metrics_addr(const char *v, char *err, size_t errlen)
{
	char host[48];
	const char *colon = strrchr(v, ':');
	unsigned char a[16];
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon || colon == v)
		return fail(err, errlen, "metrics '%s': expected ADDR:PORT on loopback, e.g. 127.0.0.1:9463", v);
	hl = (size_t)(colon - v);
	if (v[0] == '[' && hl > 2 && v[hl - 1] == ']') {
		if (hl - 2 >= sizeof(host))
			return fail(err, errlen, "metrics '%s': address too long", v);
		memcpy(host, v + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		if (hl >= sizeof(host))
			return fail(err, errlen, "metrics '%s': address too long", v);
		memcpy(host, v, hl);
		host[hl] = '\0';
	}
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || !port || port > 65535)
		return fail(err, errlen, "metrics '%s': bad port", v);
	if (inet_pton(AF_INET, host, a) == 1) {
		if (a[0] != 127)
			return fail(err, errlen, "metrics '%s': only loopback addresses (127.0.0.0/8, ::1) are allowed", v);
		return 0;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char lo6[16] = { [15] = 1 };

		if (memcmp(a, lo6, 16))
			return fail(err, errlen, "metrics '%s': only loopback addresses (127.0.0.0/8, ::1) are allowed", v);
		return 0;
	}
	return fail(err, errlen, "metrics '%s': '%s' is not an IP address", v, host);
}

int config_set(struct daemon_config *c, const char *key, const char *v, char *err,
	       size_t errlen)
{
	uint64_t n;

	if (!strcmp(key, "db")) {
		if (v[0] != '/' || strlen(v) >= sizeof(c->db))
			return fail(err, errlen, "db '%s': expected an absolute path", v);
		snprintf(c->db, sizeof(c->db), "%s", v);
	} else if (!strcmp(key, "retain")) {
		if (parse_age(v, &c->retain_secs))
			return fail(err, errlen, "retain '%s': expected an age like 30d, 12h, 90m or forever", v);
	} else if (!strcmp(key, "retain_size")) {
		if (config_parse_size(v, &c->retain_bytes))
			return fail(err, errlen, "retain_size '%s': expected a size like 1G, 500M or 0 (no limit)", v);
	} else if (!strcmp(key, "sink")) {
		if (c->nr_sinks == CONFIG_MAX_SINKS)
			return fail(err, errlen, "too many sinks (at most %d)", CONFIG_MAX_SINKS);
		if (strlen(v) >= sizeof(c->sinks[0]))
			return fail(err, errlen, "sink '%.40s...': too long", v);
		if (sink__check(v, err, errlen))
			return -EINVAL;
		snprintf(c->sinks[c->nr_sinks++], sizeof(c->sinks[0]), "%s", v);
	} else if (!strcmp(key, "metrics")) {
		if (!strcmp(v, "off")) {
			c->metrics[0] = '\0';
			return 0;
		}
		if (strlen(v) >= sizeof(c->metrics) || check_metrics_addr(v, err, errlen))
			return strlen(v) >= sizeof(c->metrics) ?
				       fail(err, errlen, "metrics '%.40s': too long", v) :
				       -EINVAL;
		snprintf(c->metrics, sizeof(c->metrics), "%s", v);
	} else if (!strcmp(key, "ring_size")) {
		if (config_parse_size(v, &n) || n < 4096 || n > (1ull << 30) || (n & (n - 1)))
			return fail(err, errlen, "ring_size '%s': expected a power of two from 4K to 1G", v);
		c->ring_size = (uint32_t)n;
	} else if (!strcmp(key, "history")) {
		char *end;

		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || *end || !isdigit((unsigned char)v[0]) || n > 10000000)
			return fail(err, errlen, "history '%s': expected a number of sockets, 0-10000000", v);
		c->history = (uint32_t)n;
	} else {
		return fail(err, errlen,
			    "unknown key '%s' (known: db, retain, retain_size, sink, metrics, ring_size, history)", key);
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

int config_load(struct daemon_config *c, const char *path,
		void (*report)(const char *path, unsigned int line, const char *why, void *arg),
		void *arg)
{
	char buf[1024], err[512];
	unsigned int lineno = 0;
	bool cleared_sinks = false;
	int bad = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		char *line, *eq, *key, *val;

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
		/* sinks in the file replace the defaults, they do not add to them */
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
	for (unsigned int i = 0; i < c->nr_sinks; i++)
		fprintf(f, "sink = %s\n", c->sinks[i]);
	fprintf(f, "metrics = %s\n", c->metrics[0] ? c->metrics : "off");
	fprintf(f, "ring_size = %u\n", c->ring_size);
	fprintf(f, "history = %u\n", c->history);
}
