// SPDX-License-Identifier: MIT
/* Monotonic clocks in nanoseconds. */
#include <time.h>

#include "pcopy/clock.h"

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t clock_now_ns(void)
{
	return ns_of(CLOCK_MONOTONIC);
}

uint64_t clock_coarse_ns(void)
{
	return ns_of(CLOCK_MONOTONIC_COARSE);
}
