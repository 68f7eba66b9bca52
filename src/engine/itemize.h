/* SPDX-License-Identifier: MIT */
/*
 * --itemize-changes (private to the engine): rsync's "YXcstpoguax PATH"
 * line for each entry created, copied or deleted, on stdout.
 */
#ifndef PCOPY_ENGINE_ITEMIZE_H
#define PCOPY_ENGINE_ITEMIZE_H

#include <stdint.h>
#include <sys/stat.h>

struct dir_node;
struct job;
struct pcopy_opts;
struct progress;

/* What differs between a source and its existing destination. */
#define ITEMIZE_NEW (1u << 0) /* no destination (or one of another type) */
#define ITEMIZE_SIZE (1u << 1)
#define ITEMIZE_TIME (1u << 2)
#define ITEMIZE_PERMS (1u << 3)
#define ITEMIZE_OWNER (1u << 4)
#define ITEMIZE_GROUP (1u << 5)
#define ITEMIZE_SET (1u << 15) /* computed (0 means not looked at) */

/* Compare @src with @name in @dst_dirfd (-1 or @fresh: nothing there). */
uint16_t itemize_entry(const struct pcopy_opts *opts, int dst_dirfd, const char *name,
		       const struct stat *src, int fresh);

/* Compare @src with the existing destination status @dst. */
uint16_t itemize_stat(const struct pcopy_opts *opts, const struct stat *src,
		      const struct stat *dst);

/* Print @job's line (it was copied, created or linked). */
void itemize_job(struct progress *p, const struct pcopy_opts *opts, const struct job *job);

/* Print a directory's line (@bits 0: nothing changed, nothing printed). */
void itemize_dir(struct progress *p, const struct dir_node *dir, uint16_t bits);

/* The same for the directory at destination path @path. */
void itemize_dir_path(struct progress *p, const char *path, uint16_t bits);

#endif /* PCOPY_ENGINE_ITEMIZE_H */
