// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Older schema versions brought to this one (SCHEMA_VERSION), by the daemon
 * when it opens its database for writing (db.c db_schema()); readers never
 * write, and say that a daemon upgrades the file.
 */
#include "output/store/store_internal.h"

/*
 * Version 1 (before v6only and the identity columns) to 2: the columns
 * are added with what a row of version 1 means (not v6-only as far as
 * known, no cgroup, no process identity), so old rows keep reading.
 */
/* clang-format off */
#define PROC_ADD(t)                                                          \
	"ALTER TABLE " t " ADD COLUMN nspid INTEGER;"                        \
	"ALTER TABLE " t " ADD COLUMN pidns INTEGER;"                        \
	"ALTER TABLE " t " ADD COLUMN ppid INTEGER;"                         \
	"ALTER TABLE " t " ADD COLUMN pcomm TEXT;"                           \
	"ALTER TABLE " t " ADD COLUMN exe TEXT;"                             \
	"ALTER TABLE " t " ADD COLUMN cmdline TEXT;"
static const char upgrade_v1_sql[] =
	"ALTER TABLE socket ADD COLUMN v6only INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE socket ADD COLUMN cgroup TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE socket ADD COLUMN closer_pid INTEGER;"
	PROC_ADD("socket")
	"ALTER TABLE failure ADD COLUMN cgroup TEXT NOT NULL DEFAULT '';"
	PROC_ADD("failure")
	"ALTER TABLE owner ADD COLUMN cgroup TEXT NOT NULL DEFAULT '';"
	PROC_ADD("owner")
	"UPDATE meta SET value = '2' WHERE key = 'schema_version';";
/* clang-format on */

/* A database of version 1 is brought to this one, in the caller's
 * transaction; anything else is left to db_check_version(). */
int db_upgrade(struct store *st, char *err, size_t errlen)
{
	int rc;

	if (single_int(st->db, "SELECT value = '1' FROM meta WHERE key = 'schema_version'", &rc) !=
		    1 ||
	    rc)
		return 0;
	rc = sqlite3_exec(st->db, upgrade_v1_sql, NULL, NULL, NULL);
	if (rc)
		return db_fail(st, rc, "upgrading the schema from version 1", err, errlen);
	return 0;
}
