/* SPDX-License-Identifier: MIT */
/*
 * --bwlimit: one budget of bytes per second for the whole run, shared by
 * every worker thread and every forked worker process (it lives in shared
 * memory made before the workers are forked).
 */
#ifndef PCOPY_BWLIMIT_H
#define PCOPY_BWLIMIT_H

#include <stdint.h>

struct bwlimit;

/* A limiter of @rate bytes per second (> 0). */
struct bwlimit *bwlimit_new(uint64_t rate);
void bwlimit_free(struct bwlimit **bw);

/*
 * @n bytes were just written: sleep until they fit the rate (returns early
 * when a stop is requested). Thread- and process-safe; lock-free.
 */
void bwlimit_consume(struct bwlimit *bw, uint64_t n);

#endif /* PCOPY_BWLIMIT_H */
