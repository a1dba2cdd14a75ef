// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lib/escape.h"
#include "output/identity.h"

#define SHORT_ID 12 /* as docker ps shows them */

void identity_column(struct sbuf *sb, const struct cg_ident *id)
{
	if (id && id->container_id[0]) {
		/* the id is hex (checked when parsed): no escaping needed */
		sbuf_putn(sb, id->container_id, SHORT_ID);
		if (id->runtime) {
			sbuf_putc(sb, '(');
			sbuf_puts(sb, id->runtime);
			sbuf_putc(sb, ')');
		}
	} else if (id && id->unit[0]) {
		text_str(sb, id->unit, sizeof(id->unit));
	} else {
		sbuf_putc(sb, '-');
	}
}

bool identity_phrase(struct sbuf *sb, const struct cg_ident *id)
{
	if (id && id->container_id[0]) {
		sbuf_puts(sb, "container ");
		sbuf_putn(sb, id->container_id, SHORT_ID);
		if (id->runtime) {
			sbuf_putc(sb, ' ');
			sbuf_puts(sb, id->runtime);
		}
		return true;
	}
	if (id && id->unit[0]) {
		text_str(sb, id->unit, sizeof(id->unit));
		return true;
	}
	return false;
}

static void proc_json(struct sbuf *sb, const struct proc_ident *pi)
{
	if (pi->flags & PI_NS) {
		sbuf_lit(sb, ",\"nspid\":");
		sbuf_u64(sb, pi->nspid);
		sbuf_lit(sb, ",\"pidns\":");
		sbuf_u64(sb, pi->pidns);
	}
	if (pi->flags & PI_PPID) {
		sbuf_lit(sb, ",\"ppid\":");
		sbuf_u64(sb, pi->ppid);
		if (pi->pcomm[0]) {
			sbuf_lit(sb, ",\"pcomm\":");
			json_str(sb, pi->pcomm, SS_COMM_LEN);
		}
	}
	if (pi->flags & PI_EXE) {
		sbuf_lit(sb, ",\"exe\":");
		json_str(sb, pi->exe, SS_EXE_LEN);
		if (pi->flags & PI_EXE_TRUNC)
			sbuf_lit(sb, ",\"exe_truncated\":true");
	}
	if (pi->flags & PI_CMDLINE) {
		sbuf_lit(sb, ",\"cmdline\":");
		json_str(sb, pi->cmdline, SS_CMDLINE_LEN);
		if (pi->flags & PI_CMDLINE_TRUNC)
			sbuf_lit(sb, ",\"cmdline_truncated\":true");
	}
}

/*
 * The process identities printed last, as JSON: every event of a busy
 * process copies its text instead of escaping its exe and cmdline again
 * (that escaping, byte by byte on every line, doubled the consumer's
 * cost). One slot per pid modulo MEMO_SLOTS, so that a few processes
 * taking turns (a server and its workers) each keep theirs; an identity
 * is known by its gen (model/proc_ident.h).
 */
#define MEMO_SLOTS 16
#define MEMO_TEXT 4096 /* the longest proc_json() can write is under 3.5 KiB */

static struct proc_memo {
	uint64_t gen; /* 0: nothing kept */
	size_t len;
	char buf[MEMO_TEXT];
} proc_memo[MEMO_SLOTS];

void identity_proc_json(struct sbuf *sb, const struct proc_ident *pi)
{
	struct proc_memo *m;
	struct sbuf msb;

	if (!pi)
		return;
	m = &proc_memo[pi->pid % MEMO_SLOTS];
	if (pi->gen && pi->gen == m->gen) {
		sbuf_putn(sb, m->buf, m->len);
		return;
	}
	sbuf_init(&msb, m->buf, sizeof(m->buf));
	proc_json(&msb, pi);
	m->gen = msb.overflow ? 0 : pi->gen;
	m->len = msb.len;
	if (msb.overflow)
		proc_json(sb, pi);
	else
		sbuf_putn(sb, msb.buf, msb.len);
}
