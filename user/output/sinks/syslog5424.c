// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "lib/sbuf.h"
#include "output/sinks/syslog5424.h"

#define NSEC 1000000000LL
#define LOCAL_TAG_MAX 32 /* RFC 3164 4.1.3 */

static int pri(int facility, int severity)
{
	/* Out-of-range values would make a PRI the receiver reads as another
	 * facility or rejects: clamp rather than send garbage. */
	if (facility < 0)
		facility = 0;
	if (facility > 23)
		facility = 23;
	if (severity < 0)
		severity = 0;
	if (severity > 7)
		severity = 7;
	return facility * 8 + severity;
}

static void put_pri(struct sbuf *sb, int facility, int severity)
{
	sbuf_putc(sb, '<');
	sbuf_u64(sb, (uint64_t)pri(facility, severity));
	sbuf_putc(sb, '>');
}

static bool header_byte_ok(char c)
{
	return (unsigned char)c >= 33 && (unsigned char)c <= 126;
}

/* One header field: printable US-ASCII only, at most max bytes, "-" if
 * empty, so the space-separated header always has its six fields. */
static void put_field(struct sbuf *sb, const char *s, size_t max)
{
	char tmp[SYSLOG5424_HOSTNAME_MAX + 1];
	char *start, *p;
	size_t n = 0;

	if (max > SYSLOG5424_HOSTNAME_MAX)
		max = SYSLOG5424_HOSTNAME_MAX;
	start = p = sbuf_begin(sb, tmp, max + 1);
	for (; s && s[n] && n < max; n++)
		*p++ = header_byte_ok(s[n]) ? s[n] : '_';
	if (!n)
		*p++ = '-';
	sbuf_end(sb, tmp, start, p);
}

/*
 * gmtime_r()/localtime_r() of sec, the last second's kept: every message
 * of a busy second shares it (localtime_r alone cost more than the rest of
 * a header). One cache per kind; the sinks are written from one thread
 * (sink.h). NULL as gmtime_r/localtime_r return it.
 */
static const struct tm *tm_of(time_t sec, bool local)
{
	static struct {
		bool valid;
		time_t sec;
		struct tm tm;
	} cache[2];
	typeof(cache[0]) *c = &cache[local];

	if (c->valid && c->sec == sec)
		return &c->tm;
	c->valid = local ? localtime_r(&sec, &c->tm) != NULL : gmtime_r(&sec, &c->tm) != NULL;
	c->sec = sec;
	return c->valid ? &c->tm : NULL;
}

/* %02d of 0..99 (the fields of a struct tm) */
static char *two(char *p, int v)
{
	return raw_u32_fixed(p, (uint32_t)v, 2);
}

/* "%04d-%02d-%02dT%02d:%02d:%02d" of tm, and ".%06dZ" of usec */
#define RFC3339_MAX 48

static char *raw_tm(char *p, const struct tm *tm, uint32_t usec)
{
	/* after 1970 (the caller checked): no sign */
	uint32_t year = (uint32_t)(tm->tm_year + 1900);

	p = year < 10000 ? raw_u32_fixed(p, year, 4) : raw_u64(p, year);
	*p++ = '-';
	p = two(p, tm->tm_mon + 1);
	*p++ = '-';
	p = two(p, tm->tm_mday);
	*p++ = 'T';
	p = two(p, tm->tm_hour);
	*p++ = ':';
	p = two(p, tm->tm_min);
	*p++ = ':';
	p = two(p, tm->tm_sec);
	*p++ = '.';
	p = raw_u32_fixed(p, usec, 6);
	*p++ = 'Z';
	return p;
}

static void put_rfc3339(struct sbuf *sb, int64_t ts_real_ns)
{
	char tmp[RFC3339_MAX], *p;
	const struct tm *tm;

	/* Before 1970 is a clock not set: NILVALUE beats a wrong date. */
	if (ts_real_ns <= 0 || !(tm = tm_of((time_t)(ts_real_ns / NSEC), false))) {
		sbuf_putc(sb, '-');
		return;
	}
	p = sbuf_begin(sb, tmp, sizeof(tmp));
	sbuf_end(sb, tmp, p, raw_tm(p, tm, (uint32_t)(ts_real_ns % NSEC / 1000)));
}

/* Header, then " MSG" unless MSG is empty, into buf with snprintf's
 * contract. */
static size_t emit(char *buf, size_t cap, const char *hdr, size_t hlen, const char *msg,
		   size_t msglen)
{
	size_t total, room, n;

	if (msglen && msg[msglen - 1] == '\n')
		msglen--;
	total = hlen + (msglen ? 1 + msglen : 0);
	if (!cap)
		return total;
	room = cap - 1;
	n = hlen < room ? hlen : room;
	memcpy(buf, hdr, n);
	if (msglen && room > hlen) {
		buf[hlen] = ' ';
		n = msglen < room - hlen - 1 ? msglen : room - hlen - 1;
		memcpy(buf + hlen + 1, msg, n);
	}
	buf[total < room ? total : room] = '\0';
	return total;
}

static size_t finish(struct sbuf *sb, char *buf, size_t cap)
{
	size_t n = sb->len < cap ? sb->len : (cap ? cap - 1 : 0);

	if (cap) {
		memmove(buf, sb->buf, n);
		buf[n] = '\0';
	}
	return sb->len;
}

size_t syslog5424_header(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			 const char *hostname, const char *app, uint32_t procid, const char *msgid)
{
	char tmp[SYSLOG5424_HEADER_MAX];
	struct sbuf sb;

	/* Built in a buffer it always fits (every field is bounded), so the
	 * length returned is exact even when the caller's buffer is small. */
	sbuf_init(&sb, tmp, sizeof(tmp));
	put_pri(&sb, facility, severity);
	sbuf_puts(&sb, "1 ");
	put_rfc3339(&sb, ts_real_ns);
	sbuf_putc(&sb, ' ');
	put_field(&sb, hostname, SYSLOG5424_HOSTNAME_MAX);
	sbuf_putc(&sb, ' ');
	put_field(&sb, app, SYSLOG5424_APPNAME_MAX);
	sbuf_putc(&sb, ' ');
	if (procid)
		sbuf_u64(&sb, procid);
	else
		sbuf_putc(&sb, '-');
	sbuf_putc(&sb, ' ');
	put_field(&sb, msgid, SYSLOG5424_MSGID_MAX);
	sbuf_puts(&sb, " -");
	return finish(&sb, buf, cap);
}

size_t syslog5424_format(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			 const char *hostname, const char *app, uint32_t procid, const char *msgid,
			 const char *msg, size_t msglen)
{
	char hdr[SYSLOG5424_HEADER_MAX];
	size_t hlen = syslog5424_header(hdr, sizeof(hdr), facility, severity, ts_real_ns, hostname,
					app, procid, msgid);

	return emit(buf, cap, hdr, hlen, msg, msglen);
}

size_t syslog5424_frame_prefix(char *buf, size_t cap, size_t msglen)
{
	char tmp[24];
	struct sbuf sb;

	sbuf_init(&sb, tmp, sizeof(tmp));
	sbuf_u64(&sb, msglen);
	sbuf_putc(&sb, ' ');
	return finish(&sb, buf, cap);
}

/* "%02d:%02d:%02d " of tm (every field 0..99: a struct tm's) */
static char *raw_hms(char *p, const struct tm *tm)
{
	p = two(p, tm->tm_hour);
	*p++ = ':';
	p = two(p, tm->tm_min);
	*p++ = ':';
	p = two(p, tm->tm_sec);
	*p++ = ' ';
	return p;
}

size_t syslog_local_header(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			   const char *app, uint32_t procid)
{
	/* Month names by hand: strftime's %b follows LC_TIME, and a receiver
	 * only knows the English ones. */
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char tmp[128], clock[16];
	struct sbuf sb;
	struct timespec now;
	time_t sec;
	struct tm tm;
	size_t n = 0;

	if (ts_real_ns <= 0) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts_real_ns = now.tv_sec * NSEC + now.tv_nsec;
	}
	sec = (time_t)(ts_real_ns / NSEC);
	if (tm_of(sec, true))
		tm = *tm_of(sec, true);
	else
		memset(&tm, 0, sizeof(tm));
	sbuf_init(&sb, tmp, sizeof(tmp));
	put_pri(&sb, facility, severity);
	sbuf_putn(&sb, months[tm.tm_mon % 12], 3);
	sbuf_putc(&sb, ' ');
	if (tm.tm_mday >= 0 && tm.tm_mday < 10) {
		sbuf_putc(&sb, ' '); /* %2d */
		sbuf_putc(&sb, (char)('0' + tm.tm_mday));
	} else {
		sbuf_i64(&sb, tm.tm_mday);
	}
	sbuf_putc(&sb, ' ');
	sbuf_putn(&sb, clock, (size_t)(raw_hms(clock, &tm) - clock));
	/* The tag ends at the first ':' or '[' for every parser; a space
	 * would end it early. */
	for (; app && app[n] && n < LOCAL_TAG_MAX; n++) {
		char c = app[n];

		sbuf_putc(&sb, header_byte_ok(c) && c != ':' && c != '[' && c != ']' ? c : '_');
	}
	if (!n)
		sbuf_putc(&sb, '-');
	if (procid) {
		sbuf_putc(&sb, '[');
		sbuf_u64(&sb, procid);
		sbuf_putc(&sb, ']');
	}
	sbuf_putc(&sb, ':');
	return finish(&sb, buf, cap);
}

size_t syslog_local_format(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			   const char *app, uint32_t procid, const char *msg, size_t msglen)
{
	char hdr[128];
	size_t hlen =
		syslog_local_header(hdr, sizeof(hdr), facility, severity, ts_real_ns, app, procid);

	return emit(buf, cap, hdr, hlen, msg, msglen);
}
