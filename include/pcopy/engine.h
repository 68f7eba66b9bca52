/* SPDX-License-Identifier: MIT */
/*
 * The engine: owns a run. It starts the backend, walks the sources into
 * jobs, retires finished jobs (engine_job_done), applies directory metadata
 * once a directory's last child is done, and computes the exit status.
 */
#ifndef PCOPY_ENGINE_H
#define PCOPY_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcopy/options.h"

struct engine;
struct job;
struct progress;

/*
 * Per-worker state for running jobs: a bounce buffer for the read/write
 * path and scratch space for extended attributes. One per worker thread
 * (or process, or ring), never shared.
 */
struct worker_ctx {
	struct engine *engine;
	unsigned slot;     /* progress slot of this worker */
	char *buf;         /* read/write bounce buffer, WORKER_BUF_SIZE */
	char *xattr_list;  /* flistxattr scratch; grows */
	size_t xattr_list_size;
	char *xattr_value; /* fgetxattr scratch; grows */
	size_t xattr_value_size;
};

#define WORKER_BUF_SIZE (1u << 20)

/* Set up / release a worker context for @engine using progress @slot. */
void worker_ctx_init(struct worker_ctx *w, struct engine *engine, unsigned slot);
void worker_ctx_release(struct worker_ctx *w);

/*
 * Run a whole copy as described by @opts with backend @kind (already
 * resolved from AUTO). Returns the process exit status (0, 1, 130, 143).
 * Errors that stop everything before any copy (backend start-up) return 2
 * after printing a message.
 */
int engine_run(const struct pcopy_opts *opts, enum backend_kind kind);

/*
 * Execute @job in the calling worker: the shared one-entry copy routine
 * that every backend uses (the io_uring backend for what it does not do
 * asynchronously). Returns 0, a negative errno, or -PCOPY_E*.
 */
int engine_run_job(struct worker_ctx *w, struct job *job);

/*
 * Retire @job with result @err (0 or negative): report, count, publish
 * hard-link waiters, release the directory, free the job. Thread-safe; may
 * be called from any worker thread, or from a backend's collector.
 */
void engine_job_done(struct engine *engine, struct job *job, int err);

/* The options of the run. */
const struct pcopy_opts *engine_opts(const struct engine *engine);

/* The run's progress reporter. */
struct progress *engine_progress(const struct engine *engine);

/* True once SIGINT/SIGTERM asked the run to stop; workers check it. */
bool engine_stopping(const struct engine *engine);

#endif /* PCOPY_ENGINE_H */
