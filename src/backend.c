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
	[BACKEND_AUTO] = "auto",
	[BACKEND_THREAD] = "thread",
	[BACKEND_PROCESS] = "process",
	[BACKEND_URING] = "uring",
	[BACKEND_MPI] = "mpi",
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
	/* Only the thread pool exists so far; the benchmark will decide
	 * between backends once the others land. */
	return kind == BACKEND_AUTO ? BACKEND_THREAD : kind;
}
