// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sink specs (output/sinks/spec.c), from --sink and the config file:
 * "file:/PATH?max_bytes=N&keep=N", "syslog+udp://HOST:PORT?...". Checked
 * as --check-config does: parsed, nothing opened.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/sinks/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *spec = malloc(size + 1);

	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	err[0] = '\0';
	if (sink__check(spec, err, sizeof(err)) && !err[0])
		abort(); /* a refusal says why */
	free(spec);
	return 0;
}
