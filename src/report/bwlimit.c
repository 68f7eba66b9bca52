// SPDX-License-Identifier: MIT
/*
 * --bwlimit as a virtual clock (GCRA): the shared word holds the time at
 * which the bytes written so far are paid for; each writer advances it by
 * its bytes' cost with a compare-and-swap and sleeps until its own share
 * starts. Idle time earns no credit, so the average rate never exceeds
 * the limit by more than one write per worker.
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "pcopy/bwlimit.h"
#include "pcopy/clock.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

struct bwlimit {
	_Atomic uint64_t paid_until_ns; /* CLOCK_MONOTONIC, shared by processes */
	uint64_t rate;			/* bytes per second */
};

struct bwlimit *bwlimit_new(uint64_t rate)
{
	struct bwlimit *bw =
		mmap(NULL, sizeof(*bw), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (bw == MAP_FAILED)
		die("out of memory");
	atomic_init(&bw->paid_until_ns, 0);
	bw->rate = rate;
	return bw;
}

void bwlimit_free(struct bwlimit **pbw)
{
	if (*pbw)
		munmap(*pbw, sizeof(**pbw));
	*pbw = NULL;
}

void bwlimit_consume(struct bwlimit *bw, uint64_t n)
{
	uint64_t cost = (uint64_t)((unsigned __int128)n * 1000000000u / bw->rate);
	uint64_t old = atomic_load(&bw->paid_until_ns), now, start;
	struct timespec until;

	do {
		now = clock_now_ns();
		start = old > now ? old : now;
	} while (!atomic_compare_exchange_weak(&bw->paid_until_ns, &old, start + cost));
	if (start <= now)
		return;
	until.tv_sec = (time_t)(start / 1000000000u);
	until.tv_nsec = (long)(start % 1000000000u);
	/* A signal (SIGINT) wakes us: stop then, the run is ending. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR &&
	       !stop_requested())
		;
}
