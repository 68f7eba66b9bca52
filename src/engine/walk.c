// SPDX-License-Identifier: MIT
/*
 * The walker: reads source directories with getdents64 relative to their
 * descriptors, creates destination directories, and submits one job per
 * entry to the backend while earlier jobs are already being copied.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup_dir.h"
#include "engine/itemize.h"
#include "engine/linkdest.h"
#include "engine/walk_internal.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"
#include "pcopy/copy_file.h"
#include "pcopy/dest.h"
#include "pcopy/engine.h"
#include "pcopy/exclude.h"
#include "pcopy/hardlink.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/resume.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"
#include "pcopy/walk.h"

static void submit(struct walker *wk, struct job *job)
{
	job->id = ++wk->next_id;
	wk->backend->ops->submit(wk->backend, job);
}

void walk_report(struct walker *wk, struct dir_node *dir, const char *name, int err)
{
	char *path = dir_src_path(dir, name);

	report_error(wk->progress, path, err);
	free(path);
	if (err != -PCOPY_EVANISHED)
		engine_note_source_error(wk->engine);
}

struct dir_node *walk_dir_new(struct walker *wk, struct dir_node *parent)
{
	struct dir_node *dir = xcalloc(1, sizeof(*dir));

	atomic_init(&dir->refs, 1);
	dir->parent = parent;
	if (parent) {
		atomic_fetch_add(&parent->refs, 1);
		dir->depth = parent->depth + 1;
		dir->root_index = parent->root_index;
	}
	dir->src_dirfd = -1;
	dir->dst_dirfd = -1;
	engine_dir_track(wk->engine);
	return dir;
}

/*
 * Record what a new file in @dir gets: our euid, and the directory's group
 * if it is setgid, else our egid (the dir may be a fresh 0700 one, whose
 * setgid bit comes only at the end, but then it was inherited: checked).
 */
void walk_note_dst_dir(struct walker *wk, struct dir_node *dir)
{
	struct stat st;

	dir->new_file_uid = wk->euid;
	dir->new_file_gid = wk->egid;
	if (fstat(dir->dst_dirfd, &st) < 0)
		return;
	dir->dst_dev = st.st_dev;
	dir->dst_ino = st.st_ino;
	if (st.st_mode & S_ISGID)
		dir->new_file_gid = st.st_gid;
}

void walk_report_backup_dir(struct walker *wk, struct dir_node *parent, const char *name)
{
	char *path = dir_dst_path(parent, name), *q = quote_name(path, true);
	char *msg = xasprintf("cannot copy into the backup directory %s", q);

	report_error_msg(wk->progress, path, -EINVAL, msg);
	free(msg);
	free(q);
	free(path);
}

/* Is (dev, ino) one of @dir's ancestors (a cycle through -L or bind mounts)? */
static bool is_ancestor(const struct dir_node *dir, const struct stat *st)
{
	for (; dir && !dir->is_root; dir = dir->parent)
		if (dir->st.st_ino == st->st_ino && dir->st.st_dev == st->st_dev)
			return true;
	return false;
}

/*
 * Open the destination directory @name in @parent, creating it if needed.
 * A dry run creates nothing: a directory that does not exist yet has no
 * descriptor (-1) and counts as fresh, so everything in it "would be copied".
 */
int walk_open_dst_dir(struct dir_node *parent, const char *name, bool *fresh, bool dry_run)
{
	int fd;

	if (dry_run) {
		*fresh = parent->dst_dirfd < 0 ||
			 faccessat(parent->dst_dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0;
		if (*fresh)
			return -1;
		fd = openat(parent->dst_dirfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		return fd >= 0				      ? fd
		       : (errno == ENOTDIR || errno == ELOOP) ? -PCOPY_EOVERWRITE_NONDIR
							      : neg_errno();
	}
	*fresh = mkdirat(parent->dst_dirfd, name, 0700) == 0;
	if (!*fresh && errno != EEXIST)
		return neg_errno();
	fd = openat(parent->dst_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		/* A file or a symlink is in the way: never write through it. */
		return (errno == ENOTDIR || errno == ELOOP) ? -PCOPY_EOVERWRITE_NONDIR
							    : neg_errno();
	return fd;
}

/*
 * Make the node for source directory @name (status @st) in @parent: open it,
 * create and open its destination. Returns the node (the walker holds its
 * reference) or NULL after reporting why not.
 */
struct dir_node *walk_make_dir(struct walker *wk, struct dir_node *parent, const char *name,
			       const char *dst_name, const struct stat *st, bool follow)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
	struct dir_node *dir;
	unsigned tries;
	bool fresh;
	int src_fd, dst_fd;

	if (is_ancestor(parent, st)) {
		walk_report(wk, parent, name, -PCOPY_ELOOP_DIR);
		return NULL;
	}
	walk_ensure_fd_room(wk);
	tries = 0;
	do
		src_fd = openat(parent->src_dirfd, name, flags);
	while (src_fd < 0 && job_fd_retry(neg_errno(), &tries));
	if (src_fd < 0) {
		walk_report(wk, parent, name, errno == ENOENT ? -PCOPY_EVANISHED : neg_errno());
		return NULL;
	}
	/* The directory -x and the metadata were judged by, not one swapped
	 * in since @st was taken. */
	src_fd = walk_check_dir_fd(src_fd, st->st_dev, st->st_ino);
	if (src_fd < 0) {
		walk_report(wk, parent, name, src_fd);
		return NULL;
	}
	tries = 0;
	do
		dst_fd = walk_open_dst_dir(parent, dst_name, &fresh, wk->opts->dry_run);
	while (dst_fd < 0 && job_fd_retry(dst_fd, &tries));
	if (dst_fd == -PCOPY_EOVERWRITE_NONDIR && wk->opts->keep_directory_symlink)
		dst_fd = walk_open_dir_symlink(parent, dst_name);
	/* --backup-dir inside the destination: never copied into. */
	if (dst_fd >= 0 && !fresh && backup_dir_is(engine_backup_dir(wk->engine), dst_fd, NULL)) {
		walk_report_backup_dir(wk, parent, dst_name);
		close(dst_fd);
		close(src_fd);
		return NULL;
	}
	if (dst_fd < 0 && !(fresh && wk->opts->dry_run)) {
		char *path = dir_dst_path(parent, dst_name);

		report_error(wk->progress, path, dst_fd);
		free(path);
		close(src_fd);
		return NULL;
	}
	dir = walk_dir_new(wk, parent);
	dir->src_dirfd = src_fd;
	dir->dst_dirfd = dst_fd;
	dir->src_name = xstrdup(name);
	dir->dst_name = xstrdup(dst_name);
	dir->st = *st;
	dir->dst_fresh = fresh;
	dir->meta_pending = true;
	dir->followed = follow;
	walk_note_dst_dir(wk, dir);
	/* -u: a stale temporary a cut left. --delete removes it at the end
	 * anyway (it is not in the source) with the listing it makes, unless
	 * an --exclude could keep it. */
	if (!fresh && wk->opts->update && !wk->opts->dry_run &&
	    !(wk->opts->delete_extraneous && !wk->excludes))
		dest_sweep_temps(dst_fd);
	if (wk->opts->itemize) {
		/* A new one now, before its entries; a changed one when done. */
		dir->itemize = itemize_entry(wk->opts, parent->dst_dirfd, dst_name, st, fresh);
		if (fresh)
			itemize_dir(wk->progress, dir, dir->itemize);
	} else if (fresh && (wk->opts->verbose || wk->opts->dry_run)) {
		char *src = dir_src_path(parent, name), *dst = dir_dst_path(parent, dst_name);

		progress_verbose(wk->progress, src, dst);
		free(src);
		free(dst);
	}
	return dir;
}

/*
 * A file above --chunk-size: the walker opens both ends and sizes the
 * destination, then several workers copy its chunks at once; the last
 * chunk publishes it. A clone (reflink) is never chunked.
 */
/* Queue the chunks of @task that are still to copy (all, unless resumed). */
static void submit_chunks(struct walker *wk, struct file_task *task, uint64_t size, uint64_t chunk)
{
	struct job *job = task->file_job;
	uint64_t index = 0;

	for (uint64_t off = 0; off < size; off += chunk, index++) {
		if (task->resume && resume_chunk_done(task->resume, index))
			continue;
		struct job *c = job_new(JOB_CHUNK, job->dir, job->name, job->dst_name, NULL);

		c->task = task;
		c->offset = off;
		c->length = size - off < chunk ? size - off : chunk;
		submit(wk, c);
	}
}

/*
 * The destination of a chunked file: a resumable partial (pcopy/resume.h)
 * unless --no-resume (which drops an old one) or the name does not allow.
 */
static int chunked_dest(struct walker *wk, struct job *job, struct resume **rs, char **tmp_name)
{
	const struct pcopy_opts *opts = wk->opts;
	int fd;

	if (!resume_applies(opts, job)) {
		if (opts->no_resume && !job->dir->dst_fresh)
			resume_discard(job);
		return job_create_dest(opts, job, tmp_name);
	}
	fd = resume_open(opts, job, opts->chunk_size, rs, tmp_name);
	/* 0600 until job_file_prepare() sets its mode after its owner. */
	if (fd >= 0)
		job->dst_masked = true;
	return fd;
}

/* Every chunk was found in the partial: only the last step is left. */
static void finish_resumed(struct walker *wk, struct file_task *task)
{
	struct job *job = task->file_job;
	int err = job_finish_task(&wk->w, task, 0, false);

	free(task);
	engine_job_done(wk->engine, job, err);
}

/*
 * A file above --chunk-size: the walker opens both ends and sizes the
 * destination, then several workers copy its chunks at once; the last
 * chunk publishes it. A clone (reflink) is never chunked.
 */
static void submit_chunked(struct walker *wk, struct job *job)
{
	uint64_t size = (uint64_t)job->st.st_size, chunk = wk->opts->chunk_size;
	struct resume *rs = NULL;
	struct file_task *task;
	char *tmp_name = NULL;
	bool may_exist;
	int src_fd, dst_fd, err;

	err = job_precheck(&wk->w, job, &may_exist);
	/* Up to date (-u): a partial a power cut left beside it is stale. */
	if (err > 0 && job->skipped == PC_SKIPPED_UNCHANGED)
		resume_discard(job);
	if (err) {
		job->err_dst = err < 0;
		engine_job_done(wk->engine, job, err > 0 ? 0 : err);
		return;
	}
	/* A FIFO or device is written into in order: one job, not chunks. */
	if (job->dst_in_place) {
		submit(wk, job);
		return;
	}
	src_fd = job_open_source(job);
	if (src_fd < 0) {
		engine_job_done(wk->engine, job, src_fd);
		return;
	}
	dst_fd = chunked_dest(wk, job, &rs, &tmp_name);
	if (dst_fd < 0) {
		job->err_dst = true;
		close(src_fd);
		engine_job_done(wk->engine, job, dst_fd);
		return;
	}
	copy_select_pair(&wk->w, job->st.st_dev, job->dir->dst_dev);
	wk->w.how = 0;
	/* A resumed partial keeps its chunks: no clone over them. */
	err = rs && resume_nr_done(rs) ? 1 : copy_try_reflink(&wk->w, src_fd, dst_fd, &job->st);
	job->how = wk->w.how;
	if (err == 1 && ftruncate(dst_fd, (off_t)size) < 0)
		err = neg_errno();
	if (err != 1) {
		err = job_finish_file(&wk->w, job, src_fd, dst_fd, &tmp_name, may_exist, err,
				      false);
		resume_end(rs, false);
		engine_job_done(wk->engine, job, err);
		return;
	}
	task = xcalloc(1, sizeof(*task));
	task->file_job = job;
	task->src_fd = src_fd;
	task->dst_fd = dst_fd;
	task->tmp_name = tmp_name;
	task->may_exist = may_exist;
	task->resume = rs;
	file_task_init_chunks(task, size, chunk);
	if (rs && resume_nr_done(rs)) {
		atomic_fetch_sub(&task->chunks_left, resume_nr_done(rs));
		if (!atomic_load(&task->chunks_left)) {
			finish_resumed(wk, task);
			return;
		}
	}
	submit_chunks(wk, task, size, chunk);
}

/*
 * -L: was @job's entry a symlink (followed to the file)? Such a name is not
 * one of the file's st_nlink names. The walker stats through symlinks
 * under -L, so ask once more without following.
 */
static bool reached_by_symlink(const struct job *job)
{
	struct stat st;

	return fstatat(job->dir->src_dirfd, job->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISLNK(st.st_mode);
}

/*
 * Hard links (-a, -d): an inode met again becomes a link to its first copy.
 * Returns true when the job was taken care of (submitted as a link, or
 * parked until the copy has its name).
 */
static bool claim_link(struct walker *wk, struct job *job)
{
	/* A followed symlink (-L, or an -H operand) may be another name of a
	 * file: such entries are remembered, as cp does (within a budget). */
	bool follow_all = wk->opts->deref == DEREF_ALWAYS || job->follow;
	bool counted = true;

	if (!wk->links || (job->st.st_nlink < 2 && !follow_all))
		return false;
	/* Only a file with more names has names to count. */
	if (follow_all && job->st.st_nlink > 1)
		counted = !reached_by_symlink(job);
	switch (hardlink_claim(wk->links, job, counted, follow_all)) {
	case HARDLINK_PARKED:
		return true;
	case HARDLINK_LINK:
		submit(wk, job);
		return true;
	case HARDLINK_COPY:
		break;
	}
	return false;
}

static void submit_file(struct walker *wk, struct job *job)
{
	/* Links are not data to copy: they stay out of the totals. */
	if (claim_link(wk, job))
		return;
	/* --link-dest: unchanged in a DIR, linked from there; done. */
	if (linkdest_try(engine_linkdest(wk->engine), job)) {
		engine_job_done(wk->engine, job, 0);
		return;
	}
	if (!wk->totals_counted) {
		progress_add_total(wk->progress, PT_FILES, 1);
		progress_add_total(wk->progress, PT_BYTES, (uint64_t)job->st.st_size);
	}
	if ((uint64_t)job->st.st_size >= PROGRESS_LARGE_FILE && progress_shown(wk->progress)) {
		char *path = dir_src_path(job->dir, job->name);

		progress_large_file(wk->progress, path, (uint64_t)job->st.st_size);
		free(path);
	}
	/* A dry run writes nothing, so there is nothing to split. */
	if ((uint64_t)job->st.st_size > wk->opts->chunk_size && !wk->opts->dry_run)
		submit_chunked(wk, job);
	else
		submit(wk, job);
}

/* Submit the job for a non-directory entry of @dir. */
void walk_submit_entry(struct walker *wk, struct dir_node *dir, const char *name,
		       const char *dst_name, const struct stat *st, bool follow)
{
	bool itemize = wk->opts->itemize;
	struct job *job;
	char *backup;

	if (!walk_prompt_overwrite(wk, dir, name, dst_name, st) ||
	    !walk_prepare_dest(wk, dir, name, dst_name, st))
		return;
	backup = wk->backup_made; /* -v names it after the copy */
	wk->backup_made = NULL;
	if (walk_link_entry(wk, dir, name, dst_name, st, follow) ||
	    walk_attr_only_entry(wk, dir, name, dst_name, st, follow) ||
	    walk_contents_entry(wk, dir, name, dst_name, st, follow)) {
		free(backup);
		return;
	}
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		job = job_new(JOB_FILE, dir, name, dst_name, st);
		job->follow = follow;
		if (itemize)
			job->itemize = itemize_entry(wk->opts, dir->dst_dirfd, dst_name, st,
						     dir->dst_fresh);
		job->backup = backup;
		submit_file(wk, job);
		return;
	case S_IFLNK:
		job = job_new(JOB_SYMLINK, dir, name, dst_name, st);
		break;
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		job = job_new(JOB_SPECIAL, dir, name, dst_name, st);
		break;
	default:
		free(backup);
		walk_report(wk, dir, name, -PCOPY_EUNSUPPORTED_TYPE);
		return;
	}
	job->backup = backup;
	if (itemize)
		job->itemize =
			itemize_entry(wk->opts, dir->dst_dirfd, dst_name, st, dir->dst_fresh);
	if (claim_link(wk, job))
		return;
	if (linkdest_try(engine_linkdest(wk->engine), job))
		engine_job_done(wk->engine, job, 0);
	else
		submit(wk, job);
}

/* @name's path below the source operand: the names under the operand's top. */
static char *rel_src_path(const struct dir_node *dir, const char *name)
{
	size_t len = strlen(name) + 1;
	const struct dir_node *d;
	char *out, *end;

	for (d = dir; d->parent && !d->parent->is_root; d = d->parent)
		len += strlen(d->src_name) + 1;
	out = xmalloc(len);
	end = out + len - 1;
	*end = '\0';
	end -= strlen(name);
	memcpy(end, name, strlen(name));
	for (d = dir; d->parent && !d->parent->is_root; d = d->parent) {
		*--end = '/';
		end -= strlen(d->src_name);
		memcpy(end, d->src_name, strlen(d->src_name));
	}
	return out;
}

/* --exclude: is this entry left out? (Excluded directories are not entered.) */
bool walk_is_excluded(struct walker *wk, struct dir_node *dir, const char *name, bool is_dir)
{
	char *rel = exclude_needs_path(wk->excludes) ? rel_src_path(dir, name) : NULL;
	bool excluded = exclude_match(wk->excludes, rel, name, is_dir);

	free(rel);
	if (excluded)
		progress_count(wk->progress, PC_SKIPPED_EXCLUDED, 1);
	return excluded;
}

/*
 * Handle one entry of @dir. Returns a directory to descend into (the
 * walker's reference), or NULL.
 */
static struct dir_node *walk_entry(struct walker *wk, struct dir_node *dir, const char *name)
{
	bool follow = wk->opts->deref == DEREF_ALWAYS;
	struct dir_node *child;
	struct stat st;

	if (fstatat(dir->src_dirfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
		/* Under -L, ENOENT is most likely a dangling symlink, not a race. */
		walk_report(wk, dir, name,
			    errno == ENOENT && !follow ? -PCOPY_EVANISHED : neg_errno());
		return NULL;
	}
	if (wk->excludes && walk_is_excluded(wk, dir, name, S_ISDIR(st.st_mode)))
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		if (!(wk->hooks && wk->hooks->divert && wk->hooks->divert(wk, dir, name, &st)))
			walk_submit_entry(wk, dir, name, name, &st, follow);
		return NULL;
	}
	if (wk->hooks && wk->hooks->subdir) {
		wk->hooks->subdir(wk, dir, name, &st);
		return NULL;
	}
	child = walk_make_dir(wk, dir, name, name, &st, follow);
	/* -x: the mount point is copied, empty, as cp -x does. */
	if (child && wk->opts->one_file_system && st.st_dev != wk->root_dev) {
		engine_dir_release(wk->engine, child);
		return NULL;
	}
	return child;
}

static void push_frame(struct walker *wk, struct dir_node *dir)
{
	if (wk->nr_frames == wk->alloc_frames) {
		wk->alloc_frames = wk->alloc_frames ? wk->alloc_frames * 2 : 64;
		wk->frames = xrealloc(wk->frames, wk->alloc_frames * sizeof(*wk->frames));
	}
	wk->frames[wk->nr_frames++] = (struct frame){ .dir = dir };
}

/*
 * List the frame on top of the stack until a subdirectory is found (which
 * is pushed, remembering where to resume) or the directory ends (popped).
 */
static void walk_top(struct walker *wk)
{
	struct frame *f = &wk->frames[wk->nr_frames - 1];
	struct dir_node *dir = f->dir;
	ssize_t n;

	if (f->closed) {
		walk_ensure_fd_room(wk);
		n = walk_reopen_frame(wk, wk->nr_frames - 1);
		if (n < 0) {
			/* The directory was swapped while we were away: do not
			 * follow the new one; leave its remaining entries. */
			walk_report(wk, dir->parent, dir->src_name, (int)n);
			wk->nr_frames--;
			if (f->closed)
				wk->nr_closed--;
			engine_dir_release(wk->engine, dir);
			return;
		}
	}
	if (f->seek && lseek(dir->src_dirfd, f->resume, SEEK_SET) < 0)
		n = neg_errno();
	else
		n = getdents64(dir->src_dirfd, wk->dents, DENTS_BUF_SIZE);
	f->seek = false;
	if (n < 0)
		walk_report(wk, dir->parent, dir->src_name, (int)n);
	if (n <= 0 || stop_requested()) {
		wk->nr_frames--;
		engine_dir_release(wk->engine, dir);
		return;
	}
	for (ssize_t pos = 0, seen = 0; pos < n; seen++) {
		struct dirent64 *d = (struct dirent64 *)(wk->dents + pos);
		struct dir_node *child;

		pos += d->d_reclen;
		if (wk->hooks && wk->hooks->poll && seen % 64 == 63)
			wk->hooks->poll(wk);
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		child = walk_entry(wk, dir, d->d_name);
		if (child) {
			/* Resume after this entry once the child is walked (the
			 * descriptor may be closed and reopened meanwhile). */
			f->resume = d->d_off;
			f->seek = true;
			push_frame(wk, child);
			return;
		}
	}
}

void walk_tree(struct walker *wk, struct dir_node *top)
{
	push_frame(wk, top);
	while (wk->nr_frames)
		walk_top(wk);
}
