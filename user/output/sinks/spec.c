// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sink specs (grammar in sink.h): a scheme, the transport's part, then
 * "?key=value&..." options. Options every sink takes (queue_bytes) and
 * those of the syslog format (facility, format) are parsed here; the rest
 * belong to the transport.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/parse.h"
#include "output/sinks/sink_internal.h"
#include "output/sinks/syslog5424.h"

#define QUEUE_DEFAULT (4ull << 20)
#define QUEUE_MIN 1024ull
#define QUEUE_MAX (1ull << 30)
#define DEV_LOG "/dev/log"
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct scheme {
	const char *prefix;
	bool exact;	   /* the whole spec, not a prefix */
	const char *usage; /* in the message for an unknown sink */
	const struct sink_transport *tr;
	const char *rest; /* what parse() gets instead of the spec's rest */
} schemes[] = {
	{"stdout", true, "stdout", &sink_stdout, NULL},
	{"file:", false, "file:PATH", &sink_file, NULL},
	{"syslog", true, "syslog", &sink_unix, DEV_LOG},
	{"syslog+unix:", false, "syslog+unix:PATH", &sink_unix, NULL},
	{"syslog+udp://", false, "syslog+udp://HOST:PORT", &sink_udp, NULL},
	{"syslog+tcp://", false, "syslog+tcp://HOST:PORT", &sink_tcp, NULL},
	{"kafka://", false, "kafka://HOST:PORT/TOPIC", &sink_kafka, NULL},
	{"journald", true, "journald", &sink_journald, JOURNAL_SOCKET},
	{"journald:", false, "journald:PATH", &sink_journald, NULL},
};

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{"kern", 0},	  {"user", 1},	  {"mail", 2},	  {"daemon", 3},  {"auth", 4},
	{"syslog", 5},	  {"lpr", 6},	  {"news", 7},	  {"uucp", 8},	  {"cron", 9},
	{"authpriv", 10}, {"ftp", 11},	  {"local0", 16}, {"local1", 17}, {"local2", 18},
	{"local3", 19},	  {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
};

const char *sink_spec_path(const char *rest)
{
	if (!strncmp(rest, "//", 2))
		return rest[2] == '/' ? rest + 2 : NULL;
	return rest;
}

static int parse_facility(const char *v, int *out)
{
	uint64_t n;

	for (size_t i = 0; i < ARRAY_SIZE(facilities); i++) {
		if (!strcmp(v, facilities[i].name)) {
			*out = facilities[i].code;
			return 0;
		}
	}
	if (parse_u64(v, 0, 23, &n))
		return -EINVAL;
	*out = (int)n;
	return 0;
}

/* The options of every syslog sink: 0, -EINVAL, or -ENOENT (not one). */
static int syslog_option(struct sink *s, const char *key, const char *v, char *err, size_t errlen)
{
	if (!strcmp(key, "facility")) {
		if (parse_facility(v, &s->facility))
			return errf(err, errlen, -EINVAL,
				    "facility '%s': daemon, user, "
				    "local0..local7, ... or 0..23",
				    v);
		return 0;
	}
	if (!strcmp(key, "format")) {
		if (!strcmp(v, "rfc5424"))
			s->format = FMT_RFC5424;
		else if (!strcmp(v, "local"))
			s->format = FMT_LOCAL;
		else
			return errf(err, errlen, -EINVAL, "format '%s': rfc5424 or local", v);
		return 0;
	}
	return -ENOENT;
}

/* "k=v&k=v", in a copy we may cut. */
static int parse_options(struct sink *s, char *opts, char *err, size_t errlen)
{
	const struct sink_transport *tr = s->tr;
	char *save = NULL;

	for (char *kv = strtok_r(opts, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *v = strchr(kv, '=');
		uint64_t n;
		int r = -ENOENT;

		if (!v || v == kv || !v[1])
			return errf(err, errlen, -EINVAL, "option '%s': expected key=value", kv);
		*v++ = '\0';
		if (!strcmp(kv, "queue_bytes")) {
			if (parse_size(v, &n) || n < QUEUE_MIN || n > QUEUE_MAX)
				return errf(err, errlen, -EINVAL,
					    "queue_bytes '%s': a size from 1K "
					    "to 1G",
					    v);
			s->q.cap = (size_t)n;
			continue;
		}
		if (tr->syslog)
			r = syslog_option(s, kv, v, err, errlen);
		if (r == -ENOENT && tr->option)
			r = tr->option(s, kv, v, err, errlen);
		if (r == -ENOENT)
			return errf(err, errlen, -EINVAL, "unknown option '%s' for %s (%s)", kv,
				    tr->what, tr->options);
		if (r)
			return r;
	}
	return 0;
}

/* "unknown sink 'x' (stdout, file:PATH, ...)", from the scheme table. */
static int unknown_sink(const char *spec, char *err, size_t errlen)
{
	char list[256];
	size_t len = 0;

	list[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(schemes) && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					schemes[i].usage);
	return errf(err, errlen, -EINVAL, "unknown sink '%s' (%s)", spec, list);
}

int sink_parse_spec(struct sink *s, const char *spec, char *err, size_t errlen)
{
	const struct scheme *sc = NULL;
	char *copy = strdup(spec);
	char *opts;
	int r;

	if (!copy)
		return -ENOMEM;
	opts = strchr(copy, '?');
	if (opts)
		*opts++ = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(schemes) && !sc; i++) {
		size_t len = strlen(schemes[i].prefix);

		if (schemes[i].exact ? !strcmp(copy, schemes[i].prefix)
				     : !strncmp(copy, schemes[i].prefix, len))
			sc = &schemes[i];
	}
	if (!sc) {
		r = unknown_sink(copy, err, errlen);
		goto out;
	}
	s->tr = sc->tr;
	s->format = sc->tr->format;
	s->facility = SYSLOG_FAC_DAEMON;
	s->q.cap = QUEUE_DEFAULT;
	r = !sc->tr->parse ? 0
			   : sc->tr->parse(s, sc->rest ? sc->rest : copy + strlen(sc->prefix), err,
					   errlen);
	if (!r && opts)
		r = parse_options(s, opts, err, errlen);
out:
	free(copy);
	return r;
}

const char *sink_spec__scheme(unsigned int i, const char **usage)
{
	if (i >= ARRAY_SIZE(schemes))
		return NULL;
	*usage = schemes[i].usage;
	return schemes[i].prefix;
}

bool sink_spec__secret_key(const char *key, size_t len)
{
	return memmem(key, len, "password", 8) || memmem(key, len, "secret", 6);
}

void sink_spec__redacted(const char *spec, char *out, size_t outlen)
{
	const char *q = strchr(spec, '?');
	size_t o = 0;

	if (!outlen)
		return;
	snprintf(out, outlen, "%.*s", q ? (int)(q - spec) : (int)strlen(spec), spec);
	o = strlen(out);
	while (q && *q && o + 1 < outlen) {
		const char *key = q + 1, *eq, *end = key + strcspn(key, "&");
		size_t klen;

		eq = memchr(key, '=', (size_t)(end - key));
		klen = eq ? (size_t)(eq - key) : (size_t)(end - key);
		if (eq && sink_spec__secret_key(key, klen))
			o += (size_t)snprintf(out + o, outlen - o, "%c%.*s=***", *q, (int)klen,
					      key);
		else
			o += (size_t)snprintf(out + o, outlen - o, "%c%.*s", *q, (int)(end - key),
					      key);
		if (o >= outlen)
			break;
		q = *end ? end : NULL;
	}
}
