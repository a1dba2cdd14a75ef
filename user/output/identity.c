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
