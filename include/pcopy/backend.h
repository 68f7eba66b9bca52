/* SPDX-License-Identifier: MIT */
/*
 * The backend interface: backends differ only in where and when jobs run.
 * Each job handed to submit() is finished exactly once, by a call to
 * engine_job_done(); what a job does is shared by every backend
 * (engine_run_job() and the copy_file/meta/dest modules).
 */
#ifndef PCOPY_BACKEND_H
#define PCOPY_BACKEND_H

#include "pcopy/options.h"

struct backend;
struct backend_sink;
struct job;
struct progress;

struct backend_ops {
	const char *name; /* "thread", "process", "uring" */
	/* 0 if the backend can run on this machine, else -errno. */
	int (*probe)(void);
	/* Optional: why probe() may have failed with @err, for the message. */
	const char *(*probe_hint)(int err);
	/* Allocate and start workers. Returns NULL with *err set on failure. */
	struct backend *(*start)(const struct backend_sink *sink, const struct pcopy_opts *opts,
				 int *err);
	/* Take ownership of @job and run it; may block while the queue is full. */
	void (*submit)(struct backend *be, struct job *job);
	/* No more submits: wait until every submitted job is done. */
	void (*finish)(struct backend *be);
	/* Free the backend (after finish). */
	void (*destroy)(struct backend *be);
};

/*
 * Where a backend hands finished jobs back: the engine fills it in when it
 * starts the backend, so that backends never call up into the engine.
 */
struct backend_sink {
	/* Retire @job with result @err (0 or negative): exactly once per
	 * submitted job; thread-safe. */
	void (*job_done)(void *ctx, struct job *job, int err);
	void *ctx;		   /* the engine, opaque here */
	struct progress *progress; /* borrowed; may be NULL */
};

/* Embedded first in every backend's private struct. */
struct backend {
	const struct backend_ops *ops;
	struct backend_sink sink;  /* copied from start() */
	struct progress *progress; /* borrowed (sink.progress); may be NULL */
};

/* Hand @job back with @err through @be's sink. */
static inline void backend_job_done(struct backend *be, struct job *job, int err)
{
	be->sink.job_done(be->sink.ctx, job, err);
}

extern const struct backend_ops backend_thread_ops;
extern const struct backend_ops backend_process_ops;
extern const struct backend_ops backend_uring_ops;

/* The ops for @kind, or NULL when this build has no such backend. */
const struct backend_ops *backend_ops_for(enum backend_kind kind);

/* The name of @kind as the command line spells it. */
const char *backend_kind_name(enum backend_kind kind);

/*
 * Resolve BACKEND_AUTO to the backend to use on this machine; other kinds
 * are returned unchanged.
 */
enum backend_kind backend_resolve_auto(enum backend_kind kind);

#endif /* PCOPY_BACKEND_H */
