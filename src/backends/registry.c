// SPDX-License-Identifier: MIT
/* The registry of backends, and the choice behind --backend=auto. */
#include <stddef.h>

#include "pcopy/backend.h"

static const struct backend_ops *const backends[NR_BACKEND_KINDS] = {
	[BACKEND_THREAD] = &backend_thread_ops,
	[BACKEND_PROCESS] = &backend_process_ops,
	[BACKEND_URING] = &backend_uring_ops,
};

static const char *const backend_names[NR_BACKEND_KINDS] = {
	[BACKEND_AUTO] = "auto",   [BACKEND_THREAD] = "thread", [BACKEND_PROCESS] = "process",
	[BACKEND_URING] = "uring", [BACKEND_MPI] = "mpi",
};

const struct backend_ops *backend_ops_for(enum backend_kind kind)
{
	return (unsigned)kind < NR_BACKEND_KINDS ? backends[kind] : NULL;
}

const char *backend_kind_name(enum backend_kind kind)
{
	return (unsigned)kind < NR_BACKEND_KINDS ? backend_names[kind] : "?";
}

enum backend_kind backend_resolve_auto(enum backend_kind kind)
{
	/*
	 * From the project's benchmark (bench/RESULTS.md, 2 cores, tmpfs):
	 * io_uring was the fastest backend on every corpus (small files 0.30,
	 * kernel tree 0.40, 4 x 1 GiB 0.82 of cp -a's time, against 0.6-1.3
	 * for the thread pool). Where io_uring cannot run (old kernel,
	 * seccomp, kernel.io_uring_disabled) the thread pool takes over,
	 * silently, as SPEC section 4 asks.
	 */
	if (kind != BACKEND_AUTO)
		return kind;
	if (backend_uring_ops.probe() == 0)
		return BACKEND_URING;
	return BACKEND_THREAD;
}
