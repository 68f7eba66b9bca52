/* SPDX-License-Identifier: MIT */
/* Private: what each kind of job does; shared by engine.c and walk.c. */
#ifndef PCOPY_JOB_RUN_H
#define PCOPY_JOB_RUN_H

#include <stdbool.h>

struct job;
struct worker_ctx;

/*
 * Before writing @job's destination: look at what is there already (only
 * in directories we did not create). Returns 0 to go on (*may_exist tells
 * whether an entry may have to be replaced), 1 when the job is skipped
 * (-n, -u; job->skipped says why), or a negative error.
 */
int job_precheck(struct worker_ctx *w, struct job *job, bool *may_exist);

/* Open @job's source for reading: never a FIFO's blocking open. */
int job_open_source(struct job *job);

/* The open(2) flags job_open_source() uses (for backends that open it themselves). */
int job_source_flags(const struct job *job);

/* Create @job's unnamed destination (dest_create_tmp with the right mode). */
struct pcopy_opts;
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
int job_finish_file(struct worker_ctx *w, struct job *job, int src_fd, int dst_fd,
		    char **tmp_name, bool may_exist, int err, bool shrunk);

/*
 * The part of job_finish_file() before the file gets its name, for backends
 * that publish and close by themselves (io_uring): check the source did not
 * change, apply metadata, --verify, --fsync. Returns 0 when the file may be
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
 * Was @err, just returned by the copy routine (copy_range) in @w, the
 * destination's fault (a write error, a full disk)? Then messages name
 * the destination.
 */
bool job_is_dst_err(const struct worker_ctx *w, int err);

/*
 * JOB_HARDLINK needs no worker state: the engine runs parked links inline.
 * -n leaves an existing name alone (job->skipped).
 */
int job_run_hardlink(const struct pcopy_opts *opts, struct job *job);

#endif /* PCOPY_JOB_RUN_H */
