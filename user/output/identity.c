// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lib/escape.h"
#include "output/identity.h"

#define SHORT_ID 12 /* as docker ps shows them */

void identity_json(struct sbuf *sb, const struct cg_ident *id)
{
	if (!id)
		return;
	if (id->json_len)
		sbuf_putn(sb, id->json, id->json_len);
	else
		cg_ident_json(sb, id);
}

void identity_column(struct sbuf *sb, const struct cg_ident *id)
{
	if (id && id->container_id[0]) {
		/* the id is hex (checked when parsed): no escaping needed */
		sbuf_putn(sb, id->container_id, SHORT_ID);
		if (id->runtime)
			sbuf_printf(sb, "(%s)", id->runtime);
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
	if (pi->flags & PI_NS)
		sbuf_printf(sb, ",\"nspid\":%u,\"pidns\":%u", pi->nspid, pi->pidns);
	if (pi->flags & PI_PPID) {
		sbuf_printf(sb, ",\"ppid\":%u", pi->ppid);
		if (pi->pcomm[0]) {
			sbuf_puts(sb, ",\"pcomm\":");
			json_str(sb, pi->pcomm, SS_COMM_LEN);
		}
	}
	if (pi->flags & PI_EXE) {
		sbuf_puts(sb, ",\"exe\":");
		json_str(sb, pi->exe, SS_EXE_LEN);
		if (pi->flags & PI_EXE_TRUNC)
			sbuf_puts(sb, ",\"exe_truncated\":true");
	}
	if (pi->flags & PI_CMDLINE) {
		sbuf_puts(sb, ",\"cmdline\":");
		json_str(sb, pi->cmdline, SS_CMDLINE_LEN);
		if (pi->flags & PI_CMDLINE_TRUNC)
			sbuf_puts(sb, ",\"cmdline_truncated\":true");
	}
}

/*
 * The last process identity printed, as JSON: every event of a busy
 * process copies it instead of escaping its exe and cmdline again (that
 * escaping, byte by byte on every line, doubled the consumer's cost).
 */
static struct {
	uint64_t gen; /* 0: nothing kept */
	size_t len;
	char buf[4096];
} proc_memo;

void identity_proc_json(struct sbuf *sb, const struct proc_ident *pi)
{
	struct sbuf m;

	if (!pi)
		return;
	if (pi->gen && pi->gen == proc_memo.gen) {
		sbuf_putn(sb, proc_memo.buf, proc_memo.len);
		return;
	}
	sbuf_init(&m, proc_memo.buf, sizeof(proc_memo.buf));
	proc_json(&m, pi);
	proc_memo.gen = m.overflow ? 0 : pi->gen;
	proc_memo.len = m.len;
	if (m.overflow)
		proc_json(sb, pi);
	else
		sbuf_putn(sb, m.buf, m.len);
}
