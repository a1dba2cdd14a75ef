// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metrics endpoint (output/metrics.c): the HTTP request reader, which
 * sees every byte a peer sent so far, and the label escaping of the
 * exposition format (process names and sink names come from outside).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "output/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[16384];
	const char *in = (const char *)data;
	int half = metrics_request_kind(in, size / 2), whole = metrics_request_kind(in, size);
	struct sbuf sb;
	char *label;
	size_t nl = 0;

	if (whole != METRICS_REQ_PARTIAL && whole != METRICS_REQ_METRICS &&
	    whole != METRICS_REQ_OTHER)
		abort();
	/* as the reader sees a request arrive in two pieces: once it is
	 * complete, more bytes do not change what it asks */
	if (half != METRICS_REQ_PARTIAL && half != whole)
		abort();

	/* the same bytes as a label value: one sample, one line */
	label = malloc(size + 1);
	if (!label)
		return 0;
	memcpy(label, data, size);
	label[size] = '\0';
	sbuf_init(&sb, out, sizeof(out));
	metrics_sample(&sb, "sockscope_fuzz_total", "comm", label, 7);
	for (size_t i = 0; i < sb.len; i++)
		nl += out[i] == '\n';
	if (!sb.overflow && (nl != 1 || out[sb.len - 1] != '\n'))
		abort();
	free(label);
	return 0;
}
