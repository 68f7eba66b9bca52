/* SPDX-License-Identifier: MIT */
/*
 * --link-dest (private to the engine): an entry unchanged against DIR's copy
 * of the same relative path becomes a hard link to it instead of a copy.
 */
#ifndef PCOPY_ENGINE_LINKDEST_H
#define PCOPY_ENGINE_LINKDEST_H

#include <stdbool.h>

struct engine;
struct job;
struct linkdest;
struct pcopy_opts;
struct progress;

/* NULL without --link-dest. */
struct linkdest *linkdest_new(const struct pcopy_opts *opts, struct progress *progress);
void linkdest_free(struct linkdest **ld);

/* The run's --link-dest state (NULL without the option). */
struct linkdest *engine_linkdest(const struct engine *engine);

/*
 * Walker thread: if @job (not a directory) is unchanged against a DIR, link
 * its destination to DIR's file and return true (the job is then done,
 * published, counted as linked); false to copy it as usual.
 */
bool linkdest_try(struct linkdest *ld, struct job *job);

#endif /* PCOPY_ENGINE_LINKDEST_H */
