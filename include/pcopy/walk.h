/* SPDX-License-Identifier: MIT */
/*
 * The walker: turns the source operands into jobs while the backend runs
 * them. It works relative to directory descriptors (openat family,
 * O_NOFOLLOW), so paths of any length work and nothing is re-resolved from
 * the root; it creates destination directories before their children are
 * submitted; its memory is bounded by the depth of the tree, not its size.
 */
#ifndef PCOPY_WALK_H
#define PCOPY_WALK_H

struct backend;
struct engine;
struct hardlink_map;

/*
 * Walk every source operand of the engine's options (applying cp's rules
 * for DEST, -t and -T) and submit the jobs to @backend. Returns when the
 * walk is over (jobs may still be running). @links is NULL unless hard
 * links are preserved. Per-entry errors are reported and skipped.
 */
void walk_run(struct engine *engine, struct backend *backend, struct hardlink_map *links);

#endif /* PCOPY_WALK_H */
