/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kept for old includes: the socket readers are in sock_read.bpf.h. */
#include "sock_read.bpf.h"
