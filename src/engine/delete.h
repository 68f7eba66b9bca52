/* SPDX-License-Identifier: MIT */
/*
 * --delete (private to the engine): once a directory's last child is done,
 * remove from its destination the entries its source does not have.
 */
#ifndef PCOPY_ENGINE_DELETE_H
#define PCOPY_ENGINE_DELETE_H

#include <stdatomic.h>
#include <stdbool.h>

struct backup_dir;
struct dir_node;
struct exclude_set;
struct pcopy_opts;
struct progress;

struct delete_ctx {
	const struct pcopy_opts *opts; /* borrowed */
	struct progress *progress;     /* borrowed */
	struct exclude_set *excludes;  /* owned; NULL without --exclude */
	struct backup_dir *backup_dir; /* borrowed; NULL without --backup-dir */
	atomic_bool src_error;	       /* the source could not be read whole */
	atomic_bool warned;	       /* "skipping file deletion" was said */
};

void delete_init(struct delete_ctx *d, const struct pcopy_opts *opts, struct progress *progress);
void delete_release(struct delete_ctx *d);

/* An error reading the source: no deletion from now on (rsync's rule). */
void delete_note_source_error(struct delete_ctx *d);
bool delete_source_incomplete(struct delete_ctx *d);

/*
 * Remove from @dir's destination what its source lacks (before the
 * directory's own metadata is applied: removing changes its mtime).
 */
void delete_extraneous(struct delete_ctx *d, struct dir_node *dir);

#endif /* PCOPY_ENGINE_DELETE_H */
