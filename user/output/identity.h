/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cgroup identity (model/cgroup_ident.h) in output: the JSON fields every
 * event, row and holder carries when known, and the compact text form of
 * the UNIT/CONTAINER column and of explanations. Paths and unit names are
 * hostile: escaped here.
 */
#ifndef SS_IDENTITY_H
#define SS_IDENTITY_H

#include "lib/sbuf.h"
#include "model/cgroup_ident.h"

/* ,"cgroup":...,"unit":...,"container_id":...,"container_runtime":...,
 * "pod_uid":... — each only when known; nothing for NULL. */
void identity_json(struct sbuf *sb, const struct cg_ident *id);
/* One token: "<12 hex>(<runtime>)" for a container, else the unit, else
 * '-'. */
void identity_column(struct sbuf *sb, const struct cg_ident *id);
/* For sentences: "container <12 hex> <runtime>", or the unit; false (and
 * nothing written) when there is neither. */
bool identity_phrase(struct sbuf *sb, const struct cg_ident *id);

#endif
