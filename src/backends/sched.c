// SPDX-License-Identifier: MIT
/* Scheduling of the backends' workers (see sched.h for why). */
#include <sched.h>

#include "backends/sched.h"

void sched_worker_self(void)
{
	struct sched_param none = { 0 };

	/* 0: this thread (Linux's sched_setscheduler is per thread). */
	(void)sched_setscheduler(0, SCHED_BATCH, &none);
}
