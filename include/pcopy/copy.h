/* SPDX-License-Identifier: MIT */
/*
 * The copy layer: what one job does, whichever backend runs it. A worker
 * brings a small context (the options, its progress slot, a buffer); the
 * copy never sees the engine or the backend. Stops are read from
 * pcopy/stop.h.
 */
#ifndef PCOPY_COPY_H
#define PCOPY_COPY_H

#include <stdbool.h>
#include <sys/types.h>

#include "pcopy/meta.h"
#include "pcopy/options.h"

struct file_task;
struct job;
struct progress;

/*
 * Per-worker state for running jobs: a bounce buffer for the read/write
 * path and scratch space for extended attributes. One per worker thread
 * (or process, or ring), never shared.
 */
struct worker_ctx {
	const struct pcopy_opts *opts; /* borrowed: the run's options */
	struct progress *progress;     /* borrowed; may be NULL */
	unsigned slot;		       /* progress slot of this worker */
	char *buf;		       /* read/write bounce buffer, WORKER_BUF_SIZE */
	struct xattr_scratch xattr;    /* buffers for copying extended attributes */
	/* What the file systems of the last (source, destination) pair refused,
	 * so that a refused FICLONE or copy_file_range is tried once, not per file. */
	dev_t caps_src_dev, caps_dst_dev;
	bool caps_known;
	bool no_reflink;    /* FICLONE refused for this pair */
	bool no_copy_range; /* copy_file_range refused for this pair */
	bool err_on_dst;    /* the last copy error was a write, not a read */
	unsigned char how;  /* --debug: COPY_HOW_* of the file being copied */
};

#define WORKER_BUF_SIZE (1u << 20)

/* Set up / release a worker context for a run with @opts, counting into
 * @progress (may be NULL) through its @slot. */
void worker_ctx_init(struct worker_ctx *w, const struct pcopy_opts *opts, struct progress *progress,
		     unsigned slot);
void worker_ctx_release(struct worker_ctx *w);

/*
 * Execute @job in the calling worker: the one-entry copy routine that
 * every backend uses (the io_uring backend for what it does not do
 * asynchronously). Returns 0, a negative errno, or -PCOPY_E*.
 */
int job_run(struct worker_ctx *w, struct job *job);

/*
 * Before writing @job's destination: look at what is there already (only
 * in directories we did not create). Returns 0 to go on (*may_exist tells
 * whether an entry may have to be replaced), 1 when the job is skipped
 * (-n, -u; job->skipped says why), or a negative error.
 */
int job_precheck(struct worker_ctx *w, struct job *job, bool *may_exist);

/* The mode a new destination file of @job is created with (after job_precheck). */
mode_t job_dest_mode(const struct pcopy_opts *opts, const struct job *job);

/* Open @job's source for reading: never a FIFO's blocking open. */
int job_open_source(struct job *job);

/* The open(2) flags job_open_source() uses (for backends that open it themselves). */
int job_source_flags(const struct job *job);

/* Create @job's unnamed destination (dest_create_tmp with the right mode). */
int job_create_dest(const struct pcopy_opts *opts, struct job *job, char **tmp_name);

/*
 * Out of descriptors (@err is -EMFILE/-ENFILE)? Wait a moment and return
 * true to try again, at most a couple of seconds in all (*tries counts).
 */
bool job_fd_retry(int err, unsigned *tries);

/*
 * Finish a copied regular file: check the source did not change, apply
 * metadata, publish under the final name (or remove the temporary when
 * @err is set). Closes both descriptors. Returns the job's result.
 */
int job_finish_file(struct worker_ctx *w, struct job *job, int src_fd, int dst_fd, char **tmp_name,
		    bool may_exist, int err, bool shrunk);

/*
 * The part of job_finish_file() before the file gets its name, for backends
 * that publish and close by themselves (io_uring): check the source did not
 * change (its size or mtime moved; @shrunk alone, a source that ended
 * early, is not a change: /sys files report more than they hold),
 * --verify, apply metadata, --fsync. Returns 0 when the file may be
 * published, else the error that stops it. *soft gets the result to report
 * after a successful publish (-PCOPY_ECHANGED, a metadata error, or 0).
 */
int job_file_prepare(struct worker_ctx *w, struct job *job, int src_fd, int dst_fd, bool shrunk,
		     int *soft);

/*
 * The end of a JOB_CHUNK whose range was copied with result @err (@shrunk:
 * the source ended inside it), for backends that copy the range by
 * themselves: records the outcome in the file_task and, for the file's
 * last chunk, finishes the file (job_finish_file) and sets job->finalized.
 * Returns the result to pass to engine_job_done().
 */
int job_chunk_done(struct worker_ctx *w, struct job *job, int err, bool shrunk);

/*
 * The bookkeeping part of job_chunk_done(): record the chunk's outcome in
 * its file_task; true when it was the file's last chunk (the caller then
 * finishes the file, with task->first_err and task->shrunk).
 */
bool job_chunk_account(struct job *job, int err, bool shrunk);

/*
 * Finish the file of @task (job_finish_file on its descriptors) with the
 * chunks' result @err. A resumable file (task->resume) interrupted by a
 * stop keeps its partial and journal for the next run; otherwise the
 * journal goes once the file is published or abandoned.
 */
int job_finish_task(struct worker_ctx *w, struct file_task *task, int err, bool shrunk);

/* The journal of a resumable @task is no longer needed: remove it. */
void job_task_resume_done(struct progress *progress, struct file_task *task);

/*
 * Was @err, just returned by the copy routine (copy_range) in @w, the
 * destination's fault (a write error, a full disk)? Then messages name
 * the destination.
 */
bool job_is_dst_err(const struct worker_ctx *w, int err);

/*
 * JOB_FILE whose destination is an existing FIFO or device (job_precheck
 * set job->dst_in_place): open it and write into it, as cp does. Opens the
 * source itself; returns the job's result.
 */
int job_run_in_place(struct worker_ctx *w, struct job *job);

/*
 * JOB_HARDLINK needs no worker state: the engine runs parked links inline.
 * -n leaves an existing name alone (job->skipped).
 */
int job_run_hardlink(const struct pcopy_opts *opts, struct job *job);

#endif /* PCOPY_COPY_H */
