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

/*
 * Finish a copied regular file: check the source did not change, apply
 * metadata, publish under the final name (or remove the temporary when
 * @err is set). Closes both descriptors. Returns the job's result.
 */
int job_finish_file(struct worker_ctx *w, struct job *job, int src_fd, int dst_fd,
		    char **tmp_name, bool may_exist, int err, bool shrunk);

/* JOB_HARDLINK needs no worker state: the engine runs parked links inline. */
int job_run_hardlink(struct job *job);

#endif /* PCOPY_JOB_RUN_H */
