// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ss_unit(cgroup), ss_container(cgroup): a row's unit and container id, from
 * the cgroup path it stores, for history's --unit and --container. The path
 * is the one column: the rest follows from it by the same parser the live
 * output uses, so a stored row names what its event named.
 */
#include <string.h>

#include "model/cgroup_ident.h"
#include "output/store/store_internal.h"

static void ident_fn(sqlite3_context *ctx, sqlite3_value **argv, bool unit)
{
	const char *path = (const char *)sqlite3_value_text(argv[0]);
	struct cg_ident id;
	const char *v;

	if (!path || cg_ident_parse(path, &id)) {
		sqlite3_result_null(ctx);
		return;
	}
	v = unit ? id.unit : id.container_id;
	if (!v[0])
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, v, -1, SQLITE_TRANSIENT);
}

static void unit_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ident_fn(ctx, argv, true);
}

static void container_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ident_fn(ctx, argv, false);
}

int store_identity_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	int rc = sqlite3_create_function(db, "ss_unit", 1, flags, NULL, unit_fn, NULL, NULL);

	if (!rc)
		rc = sqlite3_create_function(db, "ss_container", 1, flags, NULL, container_fn, NULL,
					     NULL);
	return rc;
}
