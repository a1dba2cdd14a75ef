/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine as its own files see it (model/engine*.c only): the model is
 * the containers below, each in its own file; engine.c changes them as
 * events arrive, engine_query.c reads them.
 */
#ifndef SS_ENGINE_INTERNAL_H
#define SS_ENGINE_INTERNAL_H

#include "model/engine.h"
#include "model/engine_history.h"
#include "model/engine_holders.h"
#include "model/engine_procs.h"
#include "model/engine_socks.h"
#include "model/engine_tw.h"

struct engine {
	struct sock_table socks;     /* live sockets by cookie */
	struct proc_table procs;     /* processes holding them */
	struct tw_index tw;	     /* timewait rows by 4-tuple */
	struct sock_history history; /* closed sockets */
	uint64_t seq;		     /* bumped on every change */
	struct engine_stats st;
};

#endif
