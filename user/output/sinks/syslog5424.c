// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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
	size_t n = 0;

	for (; s && s[n] && n < max; n++)
		sbuf_putc(sb, header_byte_ok(s[n]) ? s[n] : '_');
	if (!n)
		sbuf_putc(sb, '-');
}

static void put_rfc3339(struct sbuf *sb, int64_t ts_real_ns)
{
	time_t sec = (time_t)(ts_real_ns / NSEC);
	struct tm tm;

	/* Before 1970 is a clock not set: NILVALUE beats a wrong date. */
	if (ts_real_ns <= 0 || !gmtime_r(&sec, &tm)) {
		sbuf_putc(sb, '-');
		return;
	}
	sbuf_printf(sb, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts_real_ns % NSEC / 1000));
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

size_t syslog_local_header(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			   const char *app, uint32_t procid)
{
	/* Month names by hand: strftime's %b follows LC_TIME, and a receiver
	 * only knows the English ones. */
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char tmp[128];
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
	if (!localtime_r(&sec, &tm))
		memset(&tm, 0, sizeof(tm));
	sbuf_init(&sb, tmp, sizeof(tmp));
	put_pri(&sb, facility, severity);
	sbuf_printf(&sb, "%s %2d %02d:%02d:%02d ", months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
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
