// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Emptied: see snaprows.h. Delete at the final rename. */
#include "output/snaprows.h"
