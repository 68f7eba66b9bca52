// SPDX-License-Identifier: MIT
/*
 * --attributes-only and --copy-contents, done by the walker.
 *
 * --attributes-only: no data is copied, so there is nothing to schedule.
 * The walker creates an empty file (or opens the existing one in place, as
 * cp does: its data and its other names stay) and applies the attributes
 * --preserve selects; the same on every backend.
 *
 * --copy-contents: a FIFO or device is read to its end (its size means
 * nothing, and a FIFO blocks until a writer comes, as with cp) and its
 * contents land in a regular file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/walk_internal.h"
#include "pcopy/copy.h"
#include "pcopy/dest.h"
#include "pcopy/engine.h"
#include "pcopy/job.h"
#include "pcopy/meta.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* cp's words for a non-file it will not put over an existing entry. */
static void walk_attr_exists(struct walker *wk, struct dir_node *dir, const char *dst_name,
			     const struct stat *st)
{
	const char *what = S_ISLNK(st->st_mode)	   ? "symbolic link"
			   : S_ISFIFO(st->st_mode) ? "fifo"
						   : "special file";
	char *path = dir_dst_path(dir, dst_name), *q = quote_name(path, true);
	size_t size = strlen(q) + 64;
	char *msg = xmalloc(size);

	snprintf(msg, size, "cannot create %s %s: %s", what, q, report_strerror(-EEXIST));
	report_error_msg(wk->progress, NULL, -EEXIST, msg);
	free(msg);
	free(q);
	free(path);
}

/* Open (or create) the destination file and give it @st's attributes. */
static int walk_attr_apply(struct walker *wk, struct dir_node *dir, const char *name,
			   const char *dst_name, const struct stat *st, const struct stat *dst,
			   bool follow)
{
	const struct pcopy_opts *o = wk->opts;
	int flags = O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | (dst ? 0 : O_CREAT | O_EXCL);
	int src_fd, dst_fd, err;

	src_fd = openat(dir->src_dirfd, name,
			O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (src_fd < 0)
		return neg_errno();
	dst_fd = openat(dir->dst_dirfd, dst_name, flags, meta_create_mode(o, st));
	if (dst_fd < 0) {
		err = neg_errno();
		close(src_fd);
		return err;
	}
	err = meta_apply_fd(o, &wk->w.xattr, dst_fd, src_fd, st,
			    dst ? dst->st_uid : dir->new_file_uid,
			    dst ? dst->st_gid : dir->new_file_gid, !dst);
	close(dst_fd);
	close(src_fd);
	return err;
}

bool walk_attr_only_entry(struct walker *wk, struct dir_node *dir, const char *name,
			  const char *dst_name, const struct stat *st, bool follow)
{
	struct stat dst;
	bool exists;
	struct job *job;
	int err = 0;

	if (!wk->opts->attributes_only || wk->opts->dry_run)
		return false;
	exists = !dir->dst_fresh &&
		 fstatat(dir->dst_dirfd, dst_name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && S_ISDIR(dst.st_mode))
		return false; /* the copy's own "cannot overwrite directory" */
	if (exists && !S_ISREG(st->st_mode)) {
		walk_attr_exists(wk, dir, dst_name, st);
		return true;
	}
	if (!S_ISREG(st->st_mode) || (exists && !S_ISREG(dst.st_mode)))
		return false; /* recreated as without the option: no data either way */
	job = job_new(JOB_FILE, dir, name, dst_name, st);
	if (exists && wk->opts->no_clobber)
		job->skipped = PC_SKIPPED_NO_CLOBBER;
	else
		err = walk_attr_apply(wk, dir, name, dst_name, st, exists ? &dst : NULL, follow);
	job->published = !err;
	if (err)
		job->err_dst = true;
	engine_job_done(wk->engine, job, err);
	return true;
}

/* Read @src_fd to its end into @dst_fd (a FIFO or device: no size to trust). */
static int walk_contents_copy(struct walker *wk, int src_fd, int dst_fd)
{
	for (;;) {
		ssize_t n = read(src_fd, wk->w.buf, WORKER_BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? neg_errno() : 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t m = write(dst_fd, wk->w.buf + done, (size_t)(n - done));

			if (m < 0 && errno != EINTR)
				return neg_errno();
			if (m > 0)
				done += m;
		}
		if (stop_requested())
			return -EINTR;
	}
}

/* Where the contents of a special file go. */
enum walk_contents_dst {
	CONTENTS_TMP,	   /* a temporary, published when complete */
	CONTENTS_CREATED,  /* a FIFO's copy, made under its name (removed on failure) */
	CONTENTS_IN_PLACE, /* a FIFO onto an existing file: written into, as cp */
};

/*
 * Open the destination of @job. A FIFO can be read once, for as long as its
 * writer likes: as cp, its copy has its name from the start, owner-only
 * (file-perm-race.sh and existing-perm-race.sh watch it while it is read).
 */
static int walk_contents_open(struct walker *wk, struct job *job, const struct stat *as_file,
			      bool fifo, bool may_exist, char **tmp, enum walk_contents_dst *kind)
{
	struct dir_node *dir = job->dir;
	struct stat dst;
	int fd;

	*kind = CONTENTS_TMP;
	if (fifo && may_exist &&
	    fstatat(dir->dst_dirfd, job->dst_name, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(dst.st_mode)) {
		*kind = CONTENTS_IN_PLACE;
		fd = openat(dir->dst_dirfd, job->dst_name,
			    O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		return fd >= 0 ? fd : neg_errno();
	}
	if (fifo && !may_exist) {
		*kind = CONTENTS_CREATED;
		fd = openat(dir->dst_dirfd, job->dst_name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		return fd >= 0 ? fd : neg_errno();
	}
	return dest_create_tmp(dir->dst_dirfd, job->dst_name, meta_create_mode(wk->opts, as_file),
			       tmp);
}

/* The copy of one special file's contents as a regular file; 0 or an error. */
static int walk_contents_file(struct walker *wk, struct job *job, const struct stat *as_file,
			      bool fifo)
{
	const struct pcopy_opts *o = wk->opts;
	struct dir_node *dir = job->dir;
	enum walk_contents_dst kind;
	struct stat dst;
	char *tmp = NULL;
	bool may_exist;
	int src_fd, dst_fd, err;

	err = job_precheck(&wk->w, job, &may_exist);
	if (err)
		return err > 0 ? 0 : err;
	src_fd = openat(dir->src_dirfd, job->name,
			O_RDONLY | O_NOCTTY | O_CLOEXEC | (job->follow ? 0 : O_NOFOLLOW));
	if (src_fd < 0)
		return neg_errno();
	dst_fd = walk_contents_open(wk, job, as_file, fifo, may_exist, &tmp, &kind);
	if (dst_fd < 0) {
		close(src_fd);
		job->err_dst = true;
		return dst_fd;
	}
	err = walk_contents_copy(wk, src_fd, dst_fd);
	/* An existing file has its own owner: -p must chown it. */
	if (kind != CONTENTS_IN_PLACE || fstat(dst_fd, &dst) < 0)
		dst = (struct stat){ .st_uid = dir->new_file_uid, .st_gid = dir->new_file_gid };
	if (!err)
		err = meta_apply_fd(o, &wk->w.xattr, dst_fd, src_fd, as_file, dst.st_uid,
				    dst.st_gid, kind == CONTENTS_TMP);
	if (kind == CONTENTS_CREATED && !err && !(o->preserve & PRESERVE_MODE) &&
	    fchmod(dst_fd, meta_create_mode(o, as_file)) < 0)
		err = neg_errno();
	if (kind == CONTENTS_CREATED && err)
		unlinkat(dir->dst_dirfd, job->dst_name, 0);
	else if (kind == CONTENTS_TMP && !err)
		err = dest_publish(dst_fd, &tmp, dir->dst_dirfd, job->dst_name, may_exist);
	else if (kind == CONTENTS_TMP)
		dest_abort(dir->dst_dirfd, &tmp);
	close(dst_fd);
	close(src_fd);
	return err;
}

bool walk_contents_entry(struct walker *wk, struct dir_node *dir, const char *name,
			 const char *dst_name, const struct stat *st, bool follow)
{
	struct stat as_file = *st;
	struct job *job;
	int err;

	if (!wk->opts->copy_contents || wk->opts->dry_run ||
	    !(S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
		return false;
	as_file.st_mode = S_IFREG | (st->st_mode & 07777);
	job = job_new(JOB_FILE, dir, name, dst_name, &as_file);
	job->follow = follow;
	err = walk_contents_file(wk, job, &as_file, S_ISFIFO(st->st_mode));
	job->published = !err;
	engine_job_done(wk->engine, job, err);
	return true;
}
