/* SPDX-License-Identifier: MIT */
/*
 * --backup-dir (private to the engine): an entry that is replaced or
 * deleted is moved into DIR under its path relative to the destination,
 * as rsync does, instead of renamed beside itself.
 */
#ifndef PCOPY_ENGINE_BACKUP_DIR_H
#define PCOPY_ENGINE_BACKUP_DIR_H

#include <stdbool.h>
#include <sys/stat.h>

struct backup_dir;
struct dir_node;
struct engine;
struct pcopy_opts;
struct progress;

/* A backup would replace the source itself (cp's "might destroy source"). */
#define BACKUP_DIR_IS_SOURCE 1
/* The entry was gone already: nothing to keep. (-ENOENT is DIR's error.) */
#define BACKUP_DIR_GONE 2

/* NULL without --backup-dir (or without a backup to make). */
struct backup_dir *backup_dir_new(const struct pcopy_opts *opts, struct progress *progress);
void backup_dir_free(struct backup_dir **bd);

/* The run's --backup-dir state (NULL without the option). */
struct backup_dir *engine_backup_dir(const struct engine *engine);

/*
 * Move the non-directory @name of the destination directory @dfd into DIR.
 * @dfd is @dir's destination or a directory @below it ("" or "a/b", as
 * deleting a subtree meets them). @src (or NULL) is the source that will
 * replace it: BACKUP_DIR_IS_SOURCE when the backup would overwrite it.
 * On success, *made (if not NULL) is the backup's path (malloc'd).
 * Returns 0, BACKUP_DIR_IS_SOURCE, BACKUP_DIR_GONE, or -errno; an error is for the caller to
 * report, except that DIR itself cannot be made, which is said once here. Thread-safe.
 */
int backup_dir_move(struct backup_dir *bd, const struct dir_node *dir, const char *below, int dfd,
		    const char *name, const struct stat *src, char **made);

/* Is the directory @name of @dfd (or @dfd itself, @name NULL) DIR? */
bool backup_dir_is(struct backup_dir *bd, int dfd, const char *name);

#endif /* PCOPY_ENGINE_BACKUP_DIR_H */
