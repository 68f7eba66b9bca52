// SPDX-License-Identifier: MIT
/*
 * -l and -s: link to the source instead of copying it. The walker makes the
 * link itself (one system call, no data to move), the same on every
 * backend; directories are still created and walked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/walk_internal.h"
#include "pcopy/dest.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

struct walk_link_src {
	int dirfd;
	const char *name;
	int flags;
	const char *target; /* -s */
};

static int walk_link_make(int dirfd, const char *name, void *arg)
{
	const struct walk_link_src *s = arg;

	if (s->target)
		return symlinkat(s->target, dirfd, name) == 0 ? 0 : neg_errno();
	return linkat(s->dirfd, s->name, dirfd, name, s->flags) == 0 ? 0 : neg_errno();
}

/* "pcopy: cannot create hard link 'DST' to 'SRC': File exists", as cp words it. */
static void walk_link_fail(struct walker *wk, struct dir_node *dir, const char *name,
			   const char *dst_name, int err)
{
	char *dst = dir_dst_path(dir, dst_name), *src = dir_src_path(dir, name);
	char *qd = quote_name(dst, true), *qs = quote_name(src, true);
	size_t size = strlen(qd) + strlen(qs) + 128;
	char *msg = xmalloc(size);

	if (err == -PCOPY_EOVERWRITE_DIR)
		snprintf(msg, size, "cannot overwrite directory %s with non-directory", qd);
	else
		snprintf(msg, size, "cannot create %s link %s to %s: %s",
			 wk->opts->symbolic_link ? "symbolic" : "hard", qd, qs,
			 report_strerror(err));
	report_error_msg(wk->progress, NULL, err, msg);
	free(msg);
	free(qs);
	free(qd);
	free(src);
	free(dst);
}

/* cp -s: a relative target only works from the current directory. */
static bool walk_link_relative_ok(struct walker *wk, struct dir_node *dir, const char *target,
				  const char *dst_name)
{
	struct stat dot, parent;
	char *dst, *msg;
	size_t size;

	if (target[0] == '/' || (stat(".", &dot) == 0 && fstat(dir->dst_dirfd, &parent) == 0 &&
				 dot.st_dev == parent.st_dev && dot.st_ino == parent.st_ino))
		return true;
	dst = dir_dst_path(dir, dst_name);
	size = strlen(dst) + 64;
	msg = xmalloc(size);
	snprintf(msg, size, "can make relative symbolic links only in current directory");
	report_error_msg(wk->progress, dst, -EINVAL, msg);
	free(msg);
	free(dst);
	return false;
}

/* An existing entry where the link goes: 0 to replace it, 1 to leave it, or an error. */
static int walk_link_existing(struct walker *wk, struct dir_node *dir, const char *dst_name,
			      const struct stat *st)
{
	const struct pcopy_opts *o = wk->opts;
	struct stat dst;

	if (fstatat(dir->dst_dirfd, dst_name, &dst, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	if (!o->symbolic_link && dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
		return 1; /* already that link: cp leaves it */
	if (S_ISDIR(dst.st_mode))
		return -PCOPY_EOVERWRITE_DIR;
	if (o->no_clobber)
		return 1;
	return o->force || o->interactive ? 0 : -EEXIST;
}

bool walk_link_entry(struct walker *wk, struct dir_node *dir, const char *name,
		     const char *dst_name, const struct stat *st, bool follow)
{
	const struct pcopy_opts *o = wk->opts;
	struct walk_link_src src = { dir->src_dirfd, name, follow ? AT_SYMLINK_FOLLOW : 0, NULL };
	unsigned char skipped = 0;
	char *target = NULL;
	struct job *job;
	int err = 0;

	if (!o->hard_link && !o->symbolic_link)
		return false;
	if (o->symbolic_link) {
		target = dir_src_path(dir, name);
		src.target = target;
		if (!walk_link_relative_ok(wk, dir, target, dst_name)) {
			free(target);
			return true;
		}
	}
	if (!o->dry_run)
		err = walk_link_make(dir->dst_dirfd, dst_name, &src);
	if (err == -EEXIST && !dir->dst_fresh) {
		err = walk_link_existing(wk, dir, dst_name, st);
		if (err == 0)
			err = dest_replace_with(dir->dst_dirfd, dst_name, walk_link_make, &src);
		if (err == 1) {
			skipped = o->no_clobber ? PC_SKIPPED_NO_CLOBBER : PC_SKIPPED_UNCHANGED;
			err = 0;
		}
	}
	free(target);
	if (err) {
		walk_link_fail(wk, dir, name, dst_name, err);
		return true;
	}
	job = job_new(o->symbolic_link ? JOB_SYMLINK : JOB_HARDLINK, dir, name, dst_name, st);
	job->skipped = skipped;
	job->published = true;
	engine_job_done(wk->engine, job, 0);
	return true;
}
