/* SPDX-License-Identifier: MIT */
/*
 * -u's "is the destination up to date?" with rsync's refinements:
 * --modify-window, --size-only and -c/--checksum (issue 19).
 */
#ifndef PCOPY_QUICK_CHECK_H
#define PCOPY_QUICK_CHECK_H

#include <stdbool.h>
#include <sys/stat.h>

struct job;
struct pcopy_opts;
struct worker_ctx;

/* Does the run compare at all (-u, -c or --size-only)? */
bool quick_check_enabled(const struct pcopy_opts *opts);

/*
 * Is @dst (the existing destination of @job) up to date, so that the job
 * is skipped as unchanged? -u alone: as new as the source (mtimes within
 * --modify-window count as equal) and, at an equal time, the same size.
 * --size-only: the same size. -c: the same size and content (xxHash3 of
 * both, read with @w's buffer). With -u, a destination newer than the
 * source (beyond the window) is up to date in every mode, as in rsync.
 */
bool quick_check_up_to_date(struct worker_ctx *w, const struct job *job, const struct stat *dst);

#endif /* PCOPY_QUICK_CHECK_H */
