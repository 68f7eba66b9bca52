/* SPDX-License-Identifier: MIT */
/*
 * --exclude patterns (SPEC section 8): fnmatch globs on the path relative
 * to the source operand. A trailing '/' matches directories only; a
 * pattern without '/' matches a name at any depth, one with '/' the whole
 * relative path from the source root; '**' spans zero or more directories.
 */
#ifndef PCOPY_EXCLUDE_H
#define PCOPY_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

struct exclude_set;

struct pcopy_opts;

/* Compile @nr patterns (borrowed strings are copied). Never NULL. */
struct exclude_set *exclude_new(const char *const *patterns, size_t nr);

/*
 * The run's rules, in command-line order: --exclude and --include
 * patterns, first match wins (rsync's order); an entry that no rule
 * matches is kept, unless --files-from is given and it is neither a
 * listed path, nor a directory above one, nor below one. NULL when there
 * is nothing to match.
 */
struct exclude_set *exclude_new_opts(const struct pcopy_opts *opts);

void exclude_free(struct exclude_set **set);

/* True when some pattern needs the whole relative path (has a '/'). */
bool exclude_needs_path(const struct exclude_set *set);

/*
 * Does an entry match? @rel_path is its path relative to the source
 * operand ("sub/x"), @name its last component, @is_dir whether it is a
 * directory. @rel_path may be NULL when !exclude_needs_path().
 */
bool exclude_match(const struct exclude_set *set, const char *rel_path, const char *name,
		   bool is_dir);

#endif /* PCOPY_EXCLUDE_H */
