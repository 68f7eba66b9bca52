/* SPDX-License-Identifier: MIT */
/*
 * --files-from (private to the engine): the paths to copy, relative to the
 * source operand; the walk keeps them, the directories above them (to
 * reach them) and everything below them.
 */
#ifndef PCOPY_ENGINE_FILES_FROM_H
#define PCOPY_ENGINE_FILES_FROM_H

#include <stdbool.h>
#include <stddef.h>

struct files_from;

/* Normalise ("./a//b/" is "a/b") and sort @nr paths (copied). */
struct files_from *files_from_new(const char *const *paths, size_t nr);
void files_from_free(struct files_from **ff);

/* Is @rel (a path below the source operand) listed, above or below one? */
bool files_from_keeps(const struct files_from *ff, const char *rel, bool is_dir);

#endif /* PCOPY_ENGINE_FILES_FROM_H */
