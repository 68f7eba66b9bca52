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

#include <sys/types.h>

#include "pcopy/meta.h"
#include "pcopy/options.h"

struct engine;
struct dir_node;
struct hardlink_map;
struct job;
struct progress;

/*
 * Run a whole copy as described by @opts with backend @kind (already
 * resolved from AUTO). Returns the process exit status (0, 1, 130, 143).
 * Errors that stop everything before any copy (backend start-up) return 2
 * after printing a message.
 */
int engine_run(const struct pcopy_opts *opts, enum backend_kind kind);

/*
 * The parts of engine_run(), for a driver that walks by itself (the MPI
 * backend): engine_start() sets up the process and starts backend @kind
 * (@label names it in the summary, NULL for its own name); engine_drain()
 * waits for every submitted job, stops the backend and returns the local
 * exit status; engine_end() prints the last progress line and summary with
 * @status, frees the engine and returns the exit status: @status, or 1 when
 * stdout could not be written (as cp's "write error").
 */
struct engine *engine_start(const struct pcopy_opts *opts, enum backend_kind kind,
			    const char *label);
int engine_drain(struct engine *engine);
/* Wait for every submitted job; no submit may follow (engine_drain does it too). */
void engine_finish_jobs(struct engine *engine);
int engine_end(struct engine *engine, int status);

/* The running backend and hard-link map (NULL unless links are kept). */
struct backend *engine_backend(const struct engine *engine);
struct hardlink_map *engine_links(const struct engine *engine);

/*
 * Instead of applying a finished directory's metadata, hand the directory
 * to @hook (MPI: other ranks may still add entries to it).
 */
struct dir_node;
void engine_set_dir_meta_hook(struct engine *engine, void (*hook)(void *ctx, struct dir_node *dir),
			      void *ctx);

/*
 * Retire @job with result @err (0 or negative): report, count, publish
 * hard-link waiters, release the directory, free the job. Thread-safe; may
 * be called from any worker thread, or from a backend's collector.
 */
void engine_job_done(struct engine *engine, struct job *job, int err);

/*
 * Drop one reference to @dir. The last one applies the directory's
 * metadata (its children are all done), closes it and releases its
 * parent in turn. Thread-safe.
 */
struct dir_node;
void engine_dir_release(struct engine *engine, struct dir_node *dir);

/* The source could not be read whole (not a vanished file): --delete stops. */
void engine_note_source_error(struct engine *engine);

/* Was engine_note_source_error() called (in this process)? */
bool engine_source_incomplete(struct engine *engine);

/*
 * --delete in @dir now, rather than when its last reference goes: for the
 * mpi backend, whose ranks apply directory metadata in a phase of its own
 * (engine_set_dir_meta_hook). Says once, and deletes nothing, after a
 * source error.
 */
void engine_delete_extraneous(struct engine *engine, struct dir_node *dir);

/* Count a new struct dir_node (the walker calls it for each one it makes). */
void engine_dir_track(struct engine *engine);

/* Directory nodes alive now. */
unsigned engine_nr_dirs(struct engine *engine);

/*
 * Wait (at most @timeout_ms) until fewer than @seen directory nodes are
 * alive: the walker's way to wait for descriptors when the limit is low.
 */
void engine_wait_dir_release(struct engine *engine, unsigned seen, unsigned timeout_ms);

/* The options of the run. */
const struct pcopy_opts *engine_opts(const struct engine *engine);

/* The run's progress reporter. */
struct progress *engine_progress(const struct engine *engine);

#endif /* PCOPY_ENGINE_H */
