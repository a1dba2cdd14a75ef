/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Identity in output. A cgroup identity (model/cgroup_ident.h): the JSON
 * fields every event, row and holder carries when known, and the compact
 * text form of the UNIT/CONTAINER column and of explanations. A process
 * identity (model/proc_ident.h): its JSON fields. Paths, unit names and
 * command lines are hostile: escaped here.
 */
#ifndef SS_IDENTITY_H
#define SS_IDENTITY_H

#include "lib/sbuf.h"
#include "model/cgroup_ident.h"
#include "model/proc_ident.h"

/* ,"cgroup":...,"unit":...,"container_id":...,"container_runtime":...,
 * "pod_uid":... — each only when known; nothing for NULL. Inline: on every
 * event of a known cgroup it is one copy of the text kept in id. */
static inline void identity_json(struct sbuf *sb, const struct cg_ident *id)
{
	if (id && id->json_len)
		sbuf_putn(sb, id->json, id->json_len);
	else if (id)
		cg_ident_json(sb, id);
}
/* One token: "<12 hex>(<runtime>)" for a container, else the unit, else
 * '-'. */
void identity_column(struct sbuf *sb, const struct cg_ident *id);
/* For sentences: "container <12 hex> <runtime>", or the unit; false (and
 * nothing written) when there is neither. */
bool identity_phrase(struct sbuf *sb, const struct cg_ident *id);
/* ,"nspid":..,"pidns":..,"ppid":..,"pcomm":..,"exe":..,"cmdline":.. for what
 * pi knows (nothing for NULL), after the other fields of an event or row. */
void identity_proc_json(struct sbuf *sb, const struct proc_ident *pi);

#endif
