/* SPDX-License-Identifier: MIT */
/* Monotonic time in nanoseconds: the one clock every layer reads. */
#ifndef PCOPY_CLOCK_H
#define PCOPY_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: for rates, deadlines and elapsed times. */
uint64_t clock_now_ns(void);

/*
 * CLOCK_MONOTONIC_COARSE in nanoseconds (a few ms of resolution, no
 * system call): for hot paths that only need to notice that time passed.
 */
uint64_t clock_coarse_ns(void);

#endif /* PCOPY_CLOCK_H */
