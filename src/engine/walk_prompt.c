// SPDX-License-Identifier: MIT
/*
 * -i: ask before an existing destination entry is replaced, as cp's
 * overwrite_ok() asks. The walker asks, one prompt at a time and before the
 * job is scheduled, so that every backend (threads, worker processes,
 * io_uring) gets the same answers from the one reader of stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/walk_internal.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/util.h"

/* What -u would do with it: the same test as the copy's own (job_run.c). */
static bool walk_prompt_up_to_date(const struct stat *src, const struct stat *dst)
{
	if (dst->st_mtim.tv_sec != src->st_mtim.tv_sec)
		return dst->st_mtim.tv_sec > src->st_mtim.tv_sec;
	if (dst->st_mtim.tv_nsec != src->st_mtim.tv_nsec)
		return dst->st_mtim.tv_nsec > src->st_mtim.tv_nsec;
	return !S_ISREG(src->st_mode) || dst->st_size == src->st_size;
}

/* The "rwxr-xr-x" of strmode(), without the type letter. */
static void walk_prompt_perms(mode_t mode, char out[10])
{
	static const char rwx[] = "rwxrwxrwx";

	for (int i = 0; i < 9; i++)
		out[i] = mode & (0400 >> i) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[2] = mode & S_IXUSR ? 's' : 'S';
	if (mode & S_ISGID)
		out[5] = mode & S_IXGRP ? 's' : 'S';
	if (mode & S_ISVTX)
		out[8] = mode & S_IXOTH ? 't' : 'T';
	out[9] = '\0';
}

/* gnulib's yesno(): one line from stdin; yes when it starts with y or Y. */
static bool walk_prompt_yesno(void)
{
	char *line = NULL;
	size_t size = 0;
	bool yes = getline(&line, &size, stdin) > 0 && (line[0] == 'y' || line[0] == 'Y');

	free(line);
	return yes;
}

/* Print cp's question for @path (mode @dst) and read the answer. */
static bool walk_prompt_ask(const struct pcopy_opts *opts, int dirfd, const char *name,
			    const char *path, const struct stat *dst)
{
	char *quoted = quote_name(path, true);
	char perms[10];

	fflush(stdout);
	if (!S_ISLNK(dst->st_mode) && faccessat(dirfd, name, W_OK, AT_EACCESS) < 0) {
		walk_prompt_perms(dst->st_mode, perms);
		fprintf(stderr,
			opts->remove_destination || opts->force
				? "%s: replace %s, overriding mode %04o (%s)? "
				: "%s: unwritable %s (mode %04o, %s); try anyway? ",
			prog_name(), quoted, (unsigned)(dst->st_mode & 07777), perms);
	} else {
		fprintf(stderr, "%s: overwrite %s? ", prog_name(), quoted);
	}
	fflush(stderr);
	free(quoted);
	return walk_prompt_yesno();
}

bool walk_prompt_overwrite(struct walker *wk, struct dir_node *dir, const char *name,
			   const char *dst_name, const struct stat *st)
{
	struct stat dst;
	struct job *job;
	char *path;
	bool yes;

	if (!wk->opts->interactive || wk->opts->dry_run || dir->dst_fresh || dir->dst_dirfd < 0)
		return true;
	if (fstatat(dir->dst_dirfd, dst_name, &dst, AT_SYMLINK_NOFOLLOW) < 0)
		return true;
	/* cp reports this one without asking (but asks about a directory). */
	if (dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
		return true;
	if (wk->opts->update && walk_prompt_up_to_date(st, &dst))
		return true; /* skipped by the copy without a question, as cp */
	path = dir_dst_path(dir, dst_name);
	yes = walk_prompt_ask(wk->opts, dir->dst_dirfd, dst_name, path, &dst);
	free(path);
	if (yes)
		return true;
	/* "n": left alone, not an error, counted with -n's skips. */
	job = job_new(JOB_FILE, dir, name, dst_name, st);
	job->skipped = PC_SKIPPED_NO_CLOBBER;
	engine_job_done(wk->engine, job, 0);
	return false;
}
