/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syslog message formats for the log sinks, built without allocation.
 *
 * RFC 5424 (what a collector parses from the network):
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
 * PRI = facility * 8 + severity; TIMESTAMP is RFC 3339 UTC with microseconds
 * ("2026-11-21T14:02:11.123456Z"). Header fields are printable US-ASCII
 * (33..126): any other byte becomes '_', so no value can split or forge a
 * field; they are cut to the RFC's maximum lengths; an empty field is the
 * NILVALUE "-". STRUCTURED-DATA is "-": the event is the MSG.
 *
 * MSG is the JSON line without its newline and *without* the UTF-8 BOM that
 * RFC 5424 allows: rsyslog keeps a BOM in the message it hands on (%msg%
 * starts with EF BB BF; checked with rsyslog 8.2302), so every JSON consumer
 * downstream would have to strip it. Without a BOM the MSG is MSG-ANY, which
 * receivers take as it is; sockscope's lines are valid UTF-8 anyway.
 *
 * The local format (what syslog(3) writes to /dev/log):
 *   <PRI>Mmm dd hh:mm:ss APP[PROCID]: MSG
 * is the one every owner of /dev/log parses by default: journald does not
 * parse RFC 5424 there, nor does rsyslog's imuxsock unless told to
 * (useSpecialParser="off"). Its time is local time and is usually ignored
 * by the receiver in favour of its own.
 *
 * Each function returns the length of the whole text, excluding the NUL,
 * as snprintf does: a result >= cap means the output was cut (buf is still
 * NUL-terminated when cap > 0).
 */
#ifndef SS_SYSLOG5424_H
#define SS_SYSLOG5424_H

#include <stddef.h>
#include <stdint.h>

#define SYSLOG_FAC_DAEMON 3
#define SYSLOG_SEV_WARNING 4
#define SYSLOG_SEV_NOTICE 5
#define SYSLOG_SEV_INFO 6

/* RFC 5424 section 6 field limits. */
#define SYSLOG5424_HOSTNAME_MAX 255
#define SYSLOG5424_APPNAME_MAX 48
#define SYSLOG5424_PROCID_MAX 128
#define SYSLOG5424_MSGID_MAX 32
/* A header (everything before " MSG") always fits in this many bytes. */
#define SYSLOG5424_HEADER_MAX 512

/*
 * The whole RFC 5424 message. facility 0..23 and severity 0..7 are clamped
 * into range. ts_real_ns <= 0: TIMESTAMP is "-". procid 0: PROCID is "-".
 * NULL strings are empty fields. One trailing "\n" of msg is not sent; an
 * empty msg leaves out MSG and the space before it.
 */
size_t syslog5424_format(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			 const char *hostname, const char *app, uint32_t procid, const char *msgid,
			 const char *msg, size_t msglen);

/* The header alone: syslog5424_format() is this, then " MSG". */
size_t syslog5424_header(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			 const char *hostname, const char *app, uint32_t procid, const char *msgid);

/*
 * RFC 6587 octet-counting frame prefix for TCP: "LEN " where LEN is the
 * decimal count of bytes of the message that follows (the frame is the
 * prefix then the message, no trailer).
 */
size_t syslog5424_frame_prefix(char *buf, size_t cap, size_t msglen);

/*
 * The local /dev/log format. APP is cut to 32 bytes and also loses ':',
 * '[' and ']' (they delimit the tag); procid 0 leaves out "[PROCID]".
 * ts_real_ns <= 0: the current time.
 */
size_t syslog_local_format(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			   const char *app, uint32_t procid, const char *msg, size_t msglen);
/* Its header: everything up to and including the ':' after the tag. */
size_t syslog_local_header(char *buf, size_t cap, int facility, int severity, int64_t ts_real_ns,
			   const char *app, uint32_t procid);

#endif
