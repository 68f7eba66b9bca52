/* SPDX-License-Identifier: MIT */
/*
 * Atomic placement in the destination: a file is written with no name (or
 * a hidden temporary name) and gets its final name only when complete.
 * Everything is relative to a directory descriptor, and nothing follows a
 * symlink planted in the destination.
 */
#ifndef PCOPY_DEST_H
#define PCOPY_DEST_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Open a new, unnamed regular file for writing in @dirfd with permission
 * bits @mode: O_TMPFILE where the file system has it, else a hidden
 * ".pcopy.<name>.<random>" created O_EXCL with only the owner's bits of
 * @mode (the caller sets the mode once the owner is right), whose name is
 * returned in *tmp_name (malloc'd; NULL for O_TMPFILE). Returns the
 * descriptor or a negative errno.
 */
int dest_create_tmp(int dirfd, const char *name, mode_t mode, char **tmp_name);

/*
 * Give the finished file @fd (from dest_create_tmp) its final @name in
 * @dirfd. When @may_exist, an existing non-directory entry under @name
 * (file, symlink, ...) is atomically replaced; a directory there gives
 * -PCOPY_EOVERWRITE_DIR. Otherwise nothing is ever replaced: a name that
 * appeared meanwhile gives -EEXIST (linkat, or rename with NOREPLACE). On failure the temporary is
 * removed and *tmp_name freed. Returns 0 or a negative error.
 */
int dest_publish(int fd, char **tmp_name, int dirfd, const char *name, bool may_exist);

/* Remove the temporary of an abandoned file (if it has a name). */
void dest_abort(int dirfd, char **tmp_name);

/*
 * Create a hidden, unique name next to @name for an entry made by
 * @make(dirfd, tmp, arg) (symlinkat, mknodat, linkat ...), then rename it
 * over @name. Used to replace existing entries atomically. Returns 0 or a
 * negative error.
 */
int dest_replace_with(int dirfd, const char *name,
		      int (*make)(int dirfd, const char *tmp, void *arg), void *arg);

/*
 * Remove from the existing destination directory @dirfd the temporaries
 * (".pcopy.<name>.<hex>") that a run killed by SIGKILL or a power cut left
 * between making a named temporary and renaming it. Called by -u runs,
 * the way to finish an interrupted copy, before the directory is filled.
 */
void dest_sweep_temps(int dirfd);

/* Generate a temporary name for @name into @buf (NAME_MAX + 1 bytes). */
void dest_tmp_name(const char *name, char *buf);

/*
 * True until O_TMPFILE or linking by descriptor (linkat AT_EMPTY_PATH) was
 * refused on the destination file system @dst_dev (or disabled for tests):
 * backends that issue those operations themselves (io_uring) check it, and
 * otherwise use dest_create_tmp() and dest_publish(), which know every way
 * round. Refusals are kept per file system: one does not switch the others.
 */
bool dest_unnamed_ok(dev_t dst_dev);

/* What file system @dev refused so far (a mask; 0 for nothing). */
unsigned dest_refused_dev(dev_t dev);

/* For tests: force the temporary-name path even where O_TMPFILE works. */
void dest_disable_tmpfile(bool disable);

#endif /* PCOPY_DEST_H */
