/* SPDX-License-Identifier: MIT */
/* Private: the worker side of the process backend (runs in the child). */
#ifndef PCOPY_PROC_WORKER_H
#define PCOPY_PROC_WORKER_H

#include <sys/types.h>

struct pcopy_opts;
struct progress;

/* Exit statuses of a worker that the parent reports. */
enum proc_worker_exit {
	PROC_EXIT_DONE = 0,  /* the parent closed the socket: no more work */
	PROC_EXIT_IO = 3,    /* the socket failed */
	PROC_EXIT_PROTO = 4, /* a message did not parse */
};

/*
 * A worker's process name (comm, as ps and pgrep show it): it tells the
 * workers apart from the parent and from other children of it, such as the
 * tracer that LeakSanitizer clones at exit in a -Dsanitize build.
 */
#define PROC_WORKER_NAME "pcopy-worker"

/*
 * Body of worker @index, right after fork(): arrange to die with the parent
 * (@parent, our pid before the fork), keep only @sock of the inherited
 * descriptors, then run the batches that arrive on @sock until it closes.
 * Never returns.
 */
__attribute__((noreturn)) void proc_worker_main(const struct pcopy_opts *opts,
						struct progress *progress, unsigned index, int sock,
						pid_t parent);

#endif /* PCOPY_PROC_WORKER_H */
