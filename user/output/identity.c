// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lib/escape.h"
#include "output/identity.h"

#define SHORT_ID 12 /* as docker ps shows them */

static void jfield(struct sbuf *sb, const char *key, const char *val, size_t max)
{
	if (!val || !val[0])
		return;
	sbuf_puts(sb, ",\"");
	sbuf_puts(sb, key);
	sbuf_puts(sb, "\":");
	json_str(sb, val, max);
}

void identity_json(struct sbuf *sb, const struct cg_ident *id)
{
	if (!id)
		return;
	jfield(sb, "cgroup", id->path, sizeof(id->path));
	jfield(sb, "unit", id->unit, sizeof(id->unit));
	jfield(sb, "container_id", id->container_id, sizeof(id->container_id));
	jfield(sb, "container_runtime", id->runtime, 16);
	jfield(sb, "pod_uid", id->pod_uid, sizeof(id->pod_uid));
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
