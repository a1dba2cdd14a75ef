// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Record decoding (kernel/decode.c) and what follows it: the input is cut
 * into ring-buffer records of sizeof(struct ss_event) bytes (the last one
 * shorter if the input is), each in a buffer of exactly its size (ASan sees
 * a read past it), fed through runtime__feed() as the ring buffer's handler
 * does: event_decode(), the engine, the explanation, trace's formatter
 * (JSON, or text if the first byte is odd) to /dev/null.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/trace.h"
#include "runtime/runtime.h"
#include "sockscope_abi.h"

#define OUTPUT_BUF (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trace_out t;
	struct rt_opts ro = {.engine = true, .history = 64};
	struct runtime *rt = NULL;
	struct rt_consumer c;

	if (!size)
		return 0;
	memset(&t, 0, sizeof(t));
	if (output_open(&t.out, "/dev/null", OUTPUT_BUF, NULL, 0))
		abort();
	formatter_init(&t.fmt, !(data[0] & 1));
	trace_out__consumer(&t, &c);
	if (runtime__new(&rt, &ro, NULL, 0) || runtime__add_consumer(rt, &c))
		abort();
	for (size_t off = 1; off < size; off += sizeof(struct ss_event)) {
		size_t n =
			size - off < sizeof(struct ss_event) ? size - off : sizeof(struct ss_event);
		void *rec = malloc(n);

		if (!rec)
			break;
		memcpy(rec, data + off, n);
		(void)runtime__feed(rt, rec, n);
		free(rec);
	}
	runtime__free(rt);
	output_close(&t.out);
	return 0;
}
