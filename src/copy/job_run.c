// SPDX-License-Identifier: MIT
/*
 * What each kind of job does, shared by every backend: copy a file (or one
 * chunk of it), recreate a symlink or special file, make a hard link.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcopy/copy.h"
#include "pcopy/copy_file.h"
#include "pcopy/dest.h"
#include "pcopy/job.h"
#include "pcopy/meta.h"
#include "pcopy/progress.h"
#include "pcopy/quick_check.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/resume.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"
#include "pcopy/verify.h"

/* Errors of the destination side name the destination in messages. */
static int dst_err(struct job *job, int err)
{
	if (err < 0)
		job->err_dst = true;
	return err;
}

/* A failed copy: the side copy_range() saw fail, or a full destination. */
bool job_is_dst_err(const struct worker_ctx *w, int err)
{
	return w->err_on_dst || err == -ENOSPC || err == -EDQUOT || err == -EROFS || err == -EFBIG;
}

static int copy_err(struct worker_ctx *w, struct job *job, int err)
{
	return job_is_dst_err(w, err) ? dst_err(job, err) : err;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* cp writes into an existing file, which keeps its mode unless -p: so does its replacement. */
static void job_note_dst_mode(const struct pcopy_opts *opts, struct job *job,
			      const struct stat *dst)
{
	job->keep_dst_mode = S_ISREG(dst->st_mode) && S_ISREG(job->st.st_mode) &&
			     !(opts->preserve & PRESERVE_MODE);
	job->dst_mode = dst->st_mode & 0777;
}

mode_t job_dest_mode(const struct pcopy_opts *opts, const struct job *job)
{
	return job->keep_dst_mode ? job->dst_mode : meta_create_mode(opts, &job->st);
}

int job_precheck(struct worker_ctx *w, struct job *job, bool *may_exist)
{
	const struct pcopy_opts *opts = w->opts;
	struct stat dst;

	*may_exist = false;
	if (job->dir->dst_fresh)
		return 0;
	if (fstatat(job->dir->dst_dirfd, job->dst_name, &dst, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : neg_errno();
	*may_exist = true;
	job_note_dst_mode(opts, job, &dst);
	if (S_ISDIR(dst.st_mode))
		return -PCOPY_EOVERWRITE_DIR;
	/* -n keeps any existing name, even the source's own (cp -n f f: exit 0). */
	if (opts->no_clobber) {
		job->skipped = PC_SKIPPED_NO_CLOBBER;
		return 1;
	}
	if (dst.st_dev == job->st.st_dev && dst.st_ino == job->st.st_ino)
		return -PCOPY_ESAME_FILE;
	if (quick_check_enabled(opts) && quick_check_up_to_date(w, job, &dst)) {
		job->skipped = PC_SKIPPED_UNCHANGED;
		return 1;
	}
	/* As cp: a FIFO or device is written into, never replaced by a file;
	 * a special file onto one (-a) is recreated. */
	job->dst_in_place = job->kind == JOB_FILE &&
			    (S_ISFIFO(dst.st_mode) || S_ISCHR(dst.st_mode) || S_ISBLK(dst.st_mode));
	/* As cp: without -f, a file the user may not write is not replaced. */
	if (!opts->force && S_ISREG(dst.st_mode) &&
	    faccessat(job->dir->dst_dirfd, job->dst_name, W_OK, AT_EACCESS) < 0 && errno == EACCES)
		return -PCOPY_ENOTWRITABLE;
	return 0;
}

bool job_fd_retry(int err, unsigned *tries)
{
	if ((err != -EMFILE && err != -ENFILE) || ++*tries > 2000)
		return false;
	/* Other workers close theirs within microseconds. */
	usleep(1000);
	return true;
}

int job_source_flags(const struct job *job)
{
	/* O_NONBLOCK: if the file was swapped for a FIFO since the walk,
	 * the open must not wait for a writer. */
	return O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | (job->follow ? 0 : O_NOFOLLOW);
}

int job_open_source(struct job *job)
{
	int flags = job_source_flags(job);
	unsigned tries = 0;
	int fd;

	do
		fd = openat(job->dir->src_dirfd, job->name, flags);
	while (fd < 0 && job_fd_retry(neg_errno(), &tries));
	if (fd < 0)
		return errno == ENOENT ? -PCOPY_EVANISHED : neg_errno();
	return fd;
}

int job_create_dest(const struct pcopy_opts *opts, struct job *job, char **tmp_name)
{
	unsigned tries = 0;
	int fd;

	mode_t mode = job_dest_mode(opts, job);

	do
		fd = dest_create_tmp(job->dir->dst_dirfd, job->dst_name, mode, tmp_name);
	while (fd < 0 && job_fd_retry(fd, &tries));
	/* A named temporary has only the owner's bits: job_file_prepare()
	 * gives it its mode after its owner. */
	job->dst_masked = fd >= 0 && *tmp_name && (mode & (S_IRWXG | S_IRWXO));
	return fd;
}

/* Did the source change between the walk and the end of the copy? */
static bool source_changed(int src_fd, const struct stat *seen)
{
	struct stat now;

	if (fstat(src_fd, &now) < 0)
		return false;
	return now.st_ino != seen->st_ino || now.st_dev != seen->st_dev ||
	       now.st_size != seen->st_size || !same_time(&now.st_mtim, &seen->st_mtim);
}

int job_file_prepare(struct worker_ctx *w, struct job *job, int src_fd, int dst_fd, bool shrunk,
		     int *soft)
{
	const struct pcopy_opts *opts = w->opts;
	struct dir_node *dir = job->dir;
	/* Ending early is a change only if the size or mtime moved: /proc and
	 * /sys files report a size that is not their length. */
	bool changed = source_changed(src_fd, &job->st);
	int meta_err, err = 0;

	(void)shrunk;
	*soft = 0;
	/* Checked and durable before it has a name: a copy that fails
	 * --verify never appears under its final name. Verified before the
	 * metadata: reading it back after futimens would move its atime. */
	if (opts->verify && !job->dst_in_place)
		err = verify_content(w, src_fd, dst_fd, (uint64_t)job->st.st_size);
	if (err)
		return err;
	meta_err = meta_apply_fd(opts, &w->xattr, dst_fd, src_fd, &job->st, dir->new_file_uid,
				 dir->new_file_gid, !job->dst_masked);
	if (job->dst_masked && !(opts->preserve & PRESERVE_MODE) &&
	    fchmod(dst_fd, meta_create_mode(opts, &job->st)) < 0 && !meta_err)
		meta_err = neg_errno();
	if (opts->fsync && fsync(dst_fd) < 0)
		err = neg_errno();
	*soft = changed ? -PCOPY_ECHANGED : meta_err;
	return err;
}

int job_finish_file(struct worker_ctx *w, struct job *job, int src_fd, int dst_fd, char **tmp_name,
		    bool may_exist, int err, bool shrunk)
{
	struct dir_node *dir = job->dir;
	int soft = 0;

	if (!err)
		err = job_file_prepare(w, job, src_fd, dst_fd, shrunk, &soft);
	if (!err) {
		err = dest_publish(dst_fd, tmp_name, dir->dst_dirfd, job->dst_name, may_exist);
		job->published = !err;
	} else {
		dest_abort(dir->dst_dirfd, tmp_name);
	}
	close_quietly(dst_fd);
	close_quietly(src_fd);
	return err ? err : soft;
}

int job_run_in_place(struct worker_ctx *w, struct job *job)
{
	const struct pcopy_opts *opts = w->opts;
	struct dir_node *dir = job->dir;
	int src_fd, dst_fd, err, meta_err;

	src_fd = job_open_source(job);
	if (src_fd < 0)
		return src_fd;
	/* cp's flags; O_NOFOLLOW: never through a symlink swapped in. A FIFO
	 * without a reader blocks here, as in cp. */
	dst_fd = openat(dir->dst_dirfd, job->dst_name,
			O_WRONLY | O_TRUNC | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (dst_fd < 0) {
		close_quietly(src_fd);
		return dst_err(job, neg_errno());
	}
	err = copy_err(w, job, copy_to_eof(w, src_fd, dst_fd));
	if (!err) {
		job->published = true;
		/* As cp -a: the existing node gets the source's metadata. */
		meta_err = meta_apply_fd(opts, &w->xattr, dst_fd, src_fd, &job->st,
					 dir->new_file_uid, dir->new_file_gid, false);
		/* A FIFO or character device cannot be synced (EINVAL). */
		if (opts->fsync && fsync(dst_fd) < 0 && errno != EINVAL)
			err = dst_err(job, neg_errno());
		if (!err)
			err = source_changed(src_fd, &job->st) ? -PCOPY_ECHANGED
							       : dst_err(job, meta_err);
	}
	close_quietly(dst_fd);
	close_quietly(src_fd);
	return err;
}

/* JOB_FILE: the whole file in this worker. */
static int run_file(struct worker_ctx *w, struct job *job)
{
	const struct pcopy_opts *opts = w->opts;
	char *tmp_name = NULL;
	bool may_exist, shrunk = false;
	int src_fd, dst_fd, err;

	w->how = 0;
	err = job_precheck(w, job, &may_exist);
	if (err)
		return err > 0 ? 0 : dst_err(job, err);
	if (job->dst_in_place)
		return job_run_in_place(w, job);
	src_fd = job_open_source(job);
	if (src_fd < 0)
		return src_fd;
	dst_fd = job_create_dest(opts, job, &tmp_name);
	if (dst_fd < 0) {
		close_quietly(src_fd);
		return dst_err(job, dst_fd);
	}
	copy_select_pair(w, job->st.st_dev, job->dir->dst_dev);
	/* st_size only picks the fast path: 0 (/proc, /sys) is read to EOF. */
	if (!job->st.st_size)
		err = copy_to_eof(w, src_fd, dst_fd);
	else
		err = copy_try_reflink(w, src_fd, dst_fd, &job->st);
	if (err == 1) {
		err = copy_range(w, src_fd, dst_fd, &job->st, 0, (uint64_t)job->st.st_size,
				 &shrunk);
		/* A trailing hole is not written: give the file its length. */
		if (!err && !shrunk && copy_is_sparse(&job->st) && opts->sparse != SPARSE_NEVER &&
		    ftruncate(dst_fd, job->st.st_size) < 0)
			err = neg_errno();
		if (!err && opts->sparse == SPARSE_ALWAYS && ftruncate(dst_fd, job->st.st_size) < 0)
			err = neg_errno();
	}
	err = copy_err(w, job, err);
	job->how = w->how;
	return job_finish_file(w, job, src_fd, dst_fd, &tmp_name, may_exist, err, shrunk);
}

/* Keep the first error any chunk of @task met; true if this one was it. */
static bool task_fail(struct file_task *task, int err)
{
	int none = 0;

	return atomic_compare_exchange_strong(&task->first_err, &none, err);
}

/* JOB_CHUNK: one range; the last chunk of the file finishes the file. */
static int run_chunk(struct worker_ctx *w, struct job *job)
{
	struct file_task *task = job->task;
	struct job *file = task->file_job;
	bool shrunk = false;
	int err = 0;

	if (stop_requested())
		task_fail(task, -EINTR);
	if (!atomic_load(&task->first_err)) {
		copy_select_pair(w, file->st.st_dev, file->dir->dst_dev);
		w->how = 0;
		err = copy_range(w, task->src_fd, task->dst_fd, &file->st, job->offset, job->length,
				 &shrunk);
		atomic_fetch_or(&task->how, w->how);
		/* This chunk's own flag: the file's is set from the first error. */
		job->err_dst = err && job_is_dst_err(w, err);
	}
	return job_chunk_done(w, job, err, shrunk);
}

bool job_chunk_account(struct job *job, int err, bool shrunk)
{
	struct file_task *task = job->task;

	/* A shrunk source is kept apart from errors: a later chunk's real
	 * error must still stop the file from being published. */
	if (!err && shrunk)
		atomic_store(&task->shrunk, true);
	if (err && task_fail(task, err) && job->err_dst)
		atomic_store(&task->err_dst, true);
	if (atomic_fetch_sub(&task->chunks_left, 1) != 1)
		return false;
	/* A write error names the destination, as for a file copied whole. */
	if (atomic_load(&task->err_dst))
		task->file_job->err_dst = true;
	task->file_job->how |= atomic_load(&task->how);
	return true;
}

int job_chunk_done(struct worker_ctx *w, struct job *job, int err, bool shrunk)
{
	struct file_task *task = job->task;

	/* Durable and journaled before it counts: a later run may skip it.
	 * Once the file has failed, chunks are skipped, not copied: none of
	 * them may be journaled. (The process backend journals in its
	 * workers.) */
	if (!err && !shrunk && task->resume && !atomic_load(&task->first_err)) {
		err = resume_commit(task->resume, task->dst_fd, job->offset, job->length);
		job->err_dst = err != 0;
	}
	if (!job_chunk_account(job, err, shrunk))
		return err;
	/* Last chunk: every other chunk has returned, we own the file now. */
	err = atomic_load(&task->first_err);
	if (task->on_parts_done) {
		/* Others still write theirs: the driver publishes. */
		task->final_err = err;
		job->finalized = true;
		return 0;
	}
	shrunk = atomic_load(&task->shrunk);
	task->final_err = job_finish_task(w, task, err, shrunk);
	job->finalized = true;
	return task->final_err;
}

void job_task_resume_done(struct progress *progress, struct file_task *task)
{
	struct resume *r = task->resume;
	char *path;
	int err;

	if (!r)
		return;
	/* The file is in place; a journal that will not go is a stray file
	 * in DEST, and the run says so (exit 1), as cp for "cannot remove". */
	path = dir_dst_path(task->file_job->dir, resume_journal_name(r));
	err = resume_end(r, false);
	task->resume = NULL;
	if (err) {
		char *q = quote_name(path, true);
		size_t size = strlen(q) + 128;
		char *msg = xmalloc(size);

		snprintf(msg, size, "cannot remove %s: %s", q, report_strerror(err));
		report_error_msg(progress, NULL, err, msg);
		free(msg);
		free(q);
	}
	free(path);
}

int job_finish_task(struct worker_ctx *w, struct file_task *task, int err, bool shrunk)
{
	if (task->resume && err && stop_requested()) {
		/* Interrupted: the partial keeps its hidden name for the next run. */
		close_quietly(task->src_fd);
		close_quietly(task->dst_fd);
		free(task->tmp_name);
		task->tmp_name = NULL;
		resume_end(task->resume, true);
		task->resume = NULL;
		return err;
	}
	err = job_finish_file(w, task->file_job, task->src_fd, task->dst_fd, &task->tmp_name,
			      task->may_exist, err, shrunk);
	job_task_resume_done(w->progress, task);
	return err;
}

/* Read a symlink's target whatever its length. Returns malloc'd text or NULL. */
static char *read_link(int dirfd, const char *name, size_t hint, int *err)
{
	size_t size = hint + 1 > 64 ? hint + 1 : 64;

	for (;;) {
		char *buf = xmalloc(size);
		ssize_t n = readlinkat(dirfd, name, buf, size);

		if (n < 0) {
			*err = errno == ENOENT ? -PCOPY_EVANISHED : neg_errno();
			free(buf);
			return NULL;
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			return buf;
		}
		free(buf);
		size *= 2;
	}
}

static int make_symlink(int dirfd, const char *name, void *target)
{
	return symlinkat(target, dirfd, name) == 0 ? 0 : neg_errno();
}

/* A symlink or special file to make, and the metadata it gets. */
struct made {
	int (*make)(int dirfd, const char *name, void *arg);
	void *arg;
	const struct pcopy_opts *opts;
	struct xattr_scratch *xattr; /* the worker's buffers */
	const struct job *job;	     /* its source: xattrs and ACLs to copy */
	int meta_err;		     /* from meta_apply_at(): reported, not fatal */
};

static int make_with_meta(int dirfd, const char *name, void *arg)
{
	struct made *m = arg;
	int err = m->make(dirfd, name, m->arg);

	if (!err)
		m->meta_err = meta_apply_at(m->opts, m->xattr, m->job->dir->src_dirfd, m->job->name,
					    dirfd, name, &m->job->st);
	return err;
}

/*
 * Make the entry under a temporary name with its owner, mode and times,
 * then rename it into place (over an existing entry only when @may_exist).
 * Made in place, a power cut between mknod/symlinkat and utimensat left the
 * final name with the copy's time, newer than the source's, which every
 * later -u run then kept (tests/crash/run).
 */
static int place_made(struct job *job, bool may_exist, struct made *m)
{
	int dirfd = job->dir->dst_dirfd, err = -EEXIST;
	char tmp[NAME_MAX + 1];

	if (may_exist)
		return dest_replace_with(dirfd, job->dst_name, make_with_meta, m);
	for (int tries = 0; tries < 100 && err == -EEXIST; tries++) {
		dest_tmp_name(job->dst_name, tmp);
		err = make_with_meta(dirfd, tmp, m);
	}
	if (err)
		return err;
	if (renameat2(dirfd, tmp, dirfd, job->dst_name, RENAME_NOREPLACE) == 0)
		return 0;
	err = neg_errno();
	unlinkat(dirfd, tmp, 0);
	if (err != -EINVAL && err != -ENOSYS)
		return err;
	/* No RENAME_NOREPLACE on this file system: in place, as cp does. */
	return make_with_meta(dirfd, job->dst_name, m);
}

/* JOB_SYMLINK: recreate the link with the same target text. */
static int run_symlink(struct worker_ctx *w, struct job *job)
{
	const struct pcopy_opts *opts = w->opts;
	bool may_exist;
	char *target;
	int err;

	err = job_precheck(w, job, &may_exist);
	if (err)
		return err > 0 ? 0 : dst_err(job, err);
	target = read_link(job->dir->src_dirfd, job->name, (size_t)job->st.st_size, &err);
	if (!target)
		return err;
	struct made m = { make_symlink, target, opts, &w->xattr, job, 0 };

	err = place_made(job, may_exist, &m);
	free(target);
	if (err)
		return dst_err(job, err);
	job->published = true;
	return dst_err(job, m.meta_err);
}

struct special {
	mode_t mode;
	dev_t rdev;
};

static int make_special(int dirfd, const char *name, void *arg)
{
	const struct special *sp = arg;

	return mknodat(dirfd, name, sp->mode, sp->rdev) == 0 ? 0 : neg_errno();
}

/* JOB_SPECIAL: a FIFO, socket or device node, made with mknod, never opened. */
static int run_special(struct worker_ctx *w, struct job *job)
{
	const struct pcopy_opts *opts = w->opts;
	struct special sp = {
		.mode = (job->st.st_mode & S_IFMT) | meta_create_mode(opts, &job->st),
		.rdev = job->st.st_rdev,
	};
	bool may_exist;
	int err;

	err = job_precheck(w, job, &may_exist);
	if (err)
		return err > 0 ? 0 : dst_err(job, err);
	struct made m = { make_special, &sp, opts, &w->xattr, job, 0 };

	err = place_made(job, may_exist, &m);
	if (err)
		return dst_err(job, err);
	job->published = true;
	return dst_err(job, m.meta_err);
}

struct link_src {
	int dirfd;
	const char *path;
};

static int make_link(int dirfd, const char *name, void *arg)
{
	const struct link_src *src = arg;

	return linkat(src->dirfd, src->path, dirfd, name, 0) == 0 ? 0 : neg_errno();
}

/*
 * Open the directory of @path (names joined by '/' below @dirfd) one level
 * at a time, never following a symlink: no PATH_MAX limit, and a directory
 * of the destination swapped for a symlink cannot send the link elsewhere.
 * *@last gets the final name. Returns a descriptor (@dirfd itself for a
 * single name) or a negative errno.
 */
static int open_link_dir(int dirfd, const char *path, const char **last)
{
	char name[NAME_MAX + 1];
	const char *slash;
	int fd = dirfd;

	while ((slash = strchr(path, '/'))) {
		size_t len = (size_t)(slash - path);
		int next = -ENAMETOOLONG;

		if (len <= NAME_MAX) {
			memcpy(name, path, len);
			name[len] = '\0';
			next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0)
				next = neg_errno();
		}
		if (fd != dirfd)
			close(fd);
		if (next < 0)
			return next;
		fd = next;
		path = slash + 1;
	}
	*last = path;
	return fd;
}

/* Link @src as @job's name; an existing name is replaced unless -n says not to. */
static int link_as(const struct pcopy_opts *opts, struct job *job, struct link_src *src)
{
	struct stat a, b;
	int err;

	err = make_link(job->dir->dst_dirfd, job->dst_name, src);
	if (err != -EEXIST || (job->dir->dst_fresh && !opts->no_clobber))
		return err;
	/* Already the same inode (a re-run): nothing to do. */
	if (fstatat(job->dir->dst_dirfd, job->dst_name, &a, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	if (fstatat(src->dirfd, src->path, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		job->skipped = PC_SKIPPED_UNCHANGED;
		return 0;
	}
	/* -n: never replace a name, not even by a link (as cp -n). -u links
	 * over an up-to-date name, as cp -au does ("unconditionally"). */
	if (opts->no_clobber) {
		job->skipped = PC_SKIPPED_NO_CLOBBER;
		return 1;
	}
	if (S_ISDIR(a.st_mode))
		return -PCOPY_EOVERWRITE_DIR;
	return dest_replace_with(job->dir->dst_dirfd, job->dst_name, make_link, src);
}

/* JOB_HARDLINK: link to the copy made earlier in this run. */
int job_run_hardlink(const struct pcopy_opts *opts, struct job *job)
{
	struct link_src src;
	int fd, err;

	fd = open_link_dir(job->link_dir->dst_dirfd, job->link_name, &src.path);
	if (fd < 0)
		return dst_err(job, fd);
	src.dirfd = fd;
	err = link_as(opts, job, &src);
	if (fd != job->link_dir->dst_dirfd)
		close(fd);
	if (err > 0)
		return 0; /* -n */
	/* Also when skipped as the same inode: the name does hold the copy. */
	job->published = !err;
	return dst_err(job, err);
}

/* --dry-run: decide as the real run would (-n, -u, conflicts), write nothing. */
static int run_dry(struct worker_ctx *w, struct job *job)
{
	bool may_exist;
	int err = 0;

	if (job->kind != JOB_HARDLINK && job->dir->dst_dirfd >= 0)
		err = job_precheck(w, job, &may_exist);
	if (err < 0)
		return err;
	job->published = true;
	return 0;
}

void worker_ctx_init(struct worker_ctx *w, const struct pcopy_opts *opts, struct progress *progress,
		     unsigned slot)
{
	memset(w, 0, sizeof(*w));
	w->opts = opts;
	w->progress = progress;
	w->slot = slot;
	w->buf = xmalloc(WORKER_BUF_SIZE);
}

void worker_ctx_release(struct worker_ctx *w)
{
	free(w->buf);
	w->buf = NULL;
	xattr_scratch_release(&w->xattr);
}

int job_run(struct worker_ctx *w, struct job *job)
{
	if (stop_requested() && job->kind != JOB_CHUNK)
		return -EINTR;
	if (w->opts->dry_run)
		return run_dry(w, job);
	switch (job->kind) {
	case JOB_FILE:
		return run_file(w, job);
	case JOB_CHUNK:
		return run_chunk(w, job);
	case JOB_SYMLINK:
		return run_symlink(w, job);
	case JOB_SPECIAL:
		return run_special(w, job);
	case JOB_HARDLINK:
		return job_run_hardlink(w->opts, job);
	}
	BUG("unknown job kind %d", job->kind);
}
