// SPDX-License-Identifier: MIT
/*
 * The engine owns a run: it sets up the process, starts the backend, runs
 * the walker, retires finished jobs, closes directories once their last
 * child is done, and turns the outcome into an exit status.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/backup_dir.h"
#include "engine/delete.h"
#include "engine/itemize.h"
#include "engine/linkdest.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"
#include "pcopy/copy_file.h"
#include "pcopy/dest.h"
#include "pcopy/engine.h"
#include "pcopy/hardlink.h"
#include "pcopy/job.h"
#include "pcopy/mpi.h"
#include "pcopy/progress.h"
#include "pcopy/report.h"
#include "pcopy/scan.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"
#include "pcopy/walk.h"

struct engine {
	const struct pcopy_opts *opts; /* borrowed from main */
	struct progress *progress;     /* owned */
	struct backend *backend;       /* owned */
	struct hardlink_map *links;    /* owned; NULL unless links are preserved */
	atomic_uint nr_dirs;	       /* directory nodes alive (see walk.c's fd budget) */
	pthread_mutex_t dir_lock;      /* with dir_released: the walker waits for */
	pthread_cond_t dir_released;   /* directories to close when fds run short */
	atomic_bool dir_waiter;	       /* someone waits on dir_released */
	/* MPI: directory metadata waits until every rank has written its data. */
	void (*dir_meta_hook)(void *ctx, struct dir_node *dir);
	void *dir_meta_ctx;
	bool jobs_finished;	       /* backend->finish() was called */
	struct delete_ctx del;	       /* --delete */
	struct linkdest *linkdest;     /* --link-dest; owned, NULL without */
	struct backup_dir *backup_dir; /* --backup-dir; owned, NULL without */
};

/* Deep trees keep two descriptors per level open: allow as many as we may. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

const struct pcopy_opts *engine_opts(const struct engine *engine)
{
	return engine->opts;
}

struct progress *engine_progress(const struct engine *engine)
{
	return engine->progress;
}

/* Apply a finished directory's metadata; its children are all in place. */
static void finish_dir(struct engine *engine, struct dir_node *dir)
{
	struct xattr_scratch x = { 0 };
	int err;

	/* No descriptor: a dry run's new directory, or one that vanished. */
	if (!dir->meta_pending || stop_requested() || dir->dst_dirfd < 0)
		return;
	if (engine->dir_meta_hook) {
		engine->dir_meta_hook(engine->dir_meta_ctx, dir);
		return;
	}
	if (engine->opts->delete_extraneous)
		delete_extraneous(&engine->del, dir);
	if (engine->opts->itemize && !dir->dst_fresh)
		itemize_dir(engine->progress, dir, dir->itemize);
	if (engine->opts->dry_run) {
		progress_count(engine->progress, PC_DIRS, 1);
		return;
	}
	err = meta_apply_fd(engine->opts, &x, dir->dst_dirfd, dir->src_dirfd, &dir->st,
			    dir->new_file_uid, dir->new_file_gid, dir->dst_fresh);
	xattr_scratch_release(&x);
	/* After its last entry was linked: the names in it are durable too. */
	if (!err && engine->opts->fsync && fsync(dir->dst_dirfd) < 0)
		err = neg_errno();
	if (err) {
		char *path = dir_dst_path(dir->parent, dir->dst_name);

		report_error(engine->progress, path, err);
		free(path);
	}
	progress_count(engine->progress, PC_DIRS, 1);
}

/* --fsync: the operands' own names, in the directory that holds them; a
 * failure is an error like any other (it was ignored). */
static void sync_root(struct engine *engine, struct dir_node *root)
{
	const struct pcopy_opts *o = engine->opts;

	if (!o->fsync || o->dry_run || stop_requested() || fsync(root->dst_dirfd) == 0)
		return;
	report_error(engine->progress, root->dst_name ? root->dst_name : ".", neg_errno());
}

void engine_dir_release(struct engine *engine, struct dir_node *dir)
{
	/* A loop, not recursion: a 10,000-deep chain may close at once. */
	while (dir && atomic_fetch_sub(&dir->refs, 1) == 1) {
		struct dir_node *parent = dir->parent;

		if (!dir->is_root)
			finish_dir(engine, dir);
		else
			sync_root(engine, dir);
		if (dir->src_dirfd >= 0)
			close(dir->src_dirfd);
		close_quietly(dir->dst_dirfd);
		free(dir->src_name);
		free(dir->dst_name);
		free(dir);
		atomic_fetch_sub(&engine->nr_dirs, 1);
		if (atomic_load(&engine->dir_waiter)) {
			pthread_mutex_lock(&engine->dir_lock);
			pthread_cond_broadcast(&engine->dir_released);
			pthread_mutex_unlock(&engine->dir_lock);
		}
		dir = parent;
	}
}

void engine_note_source_error(struct engine *engine)
{
	delete_note_source_error(&engine->del);
}

bool engine_source_incomplete(struct engine *engine)
{
	return delete_source_incomplete(&engine->del);
}

void engine_delete_extraneous(struct engine *engine, struct dir_node *dir)
{
	if (engine->opts->delete_extraneous)
		delete_extraneous(&engine->del, dir);
}

unsigned engine_nr_dirs(struct engine *engine)
{
	return atomic_load(&engine->nr_dirs);
}

void engine_wait_dir_release(struct engine *engine, unsigned seen, unsigned timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	until.tv_sec += timeout_ms / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&engine->dir_lock);
	atomic_store(&engine->dir_waiter, true);
	while (atomic_load(&engine->nr_dirs) >= seen && !stop_requested())
		if (pthread_cond_timedwait(&engine->dir_released, &engine->dir_lock, &until))
			break;
	atomic_store(&engine->dir_waiter, false);
	pthread_mutex_unlock(&engine->dir_lock);
}

void engine_dir_track(struct engine *engine)
{
	atomic_fetch_add(&engine->nr_dirs, 1);
}

static void count_done(struct engine *engine, const struct job *job)
{
	static const enum progress_counter kind_counter[] = {
		[JOB_FILE] = PC_FILES,	       [JOB_CHUNK] = PC_FILES,
		[JOB_SYMLINK] = PC_SYMLINKS,   [JOB_SPECIAL] = PC_SPECIALS,
		[JOB_HARDLINK] = PC_HARDLINKS,
	};

	if (job->skipped) {
		progress_count(engine->progress, job->skipped, 1);
		return;
	}
	progress_count(engine->progress, kind_counter[job->kind], 1);
	if (job->kind == JOB_FILE || job->kind == JOB_CHUNK)
		progress_count(engine->progress, PC_FILE_BYTES, (uint64_t)job->st.st_size);
	if (engine->opts->itemize) {
		itemize_job(engine->progress, engine->opts, job);
	} else if (engine->opts->verbose || engine->opts->dry_run) {
		char *src = job_src_path(job), *dst = job_dst_path(job);

		progress_verbose_backup(engine->progress, src, dst, job->backup);
		free(src);
		free(dst);
	}
	/* cp --debug: how the data went, under the file's -v line. */
	if (engine->opts->debug && (job->kind == JOB_FILE || job->kind == JOB_CHUNK))
		progress_debug(engine->progress, copy_how_string(job->how));
}

/*
 * --fsync: the entry's name is durable before it is reported done (a file
 * was fsynced before it was linked; its directory is fsynced after).
 */
static int sync_name(struct engine *engine, const struct job *job)
{
	const struct pcopy_opts *o = engine->opts;

	if (!o->fsync || o->dry_run || job->skipped || job->dir->dst_dirfd < 0)
		return 0;
	return fsync(job->dir->dst_dirfd) < 0 ? neg_errno() : 0;
}

/* Report, count and free one finished job (not its hard-link followers). */
static void retire(struct engine *engine, struct job *job, int err)
{
	struct dir_node *dir = job->dir, *link_dir = job->link_dir;

	if (!err)
		err = sync_name(engine, job);
	if (err == -EINTR && stop_requested()) {
		/* Interrupted: not an error of this file. */
	} else if (err) {
		char *path = job->err_dst ? job_dst_path(job) : job_src_path(job);

		report_error(engine->progress, path, err);
		free(path);
		/* The data landed even though the source moved under us. */
		if (err == -PCOPY_ECHANGED && job->published)
			count_done(engine, job);
	} else {
		count_done(engine, job);
	}
	job_free(job);
	if (link_dir)
		engine_dir_release(engine, link_dir);
	engine_dir_release(engine, dir);
}

static enum hardlink_outcome copy_outcome(const struct job *job, int err)
{
	/* -u left an up-to-date file under the copy's name: that file is the
	 * copy, the other names link to it (cp -au does the same). */
	if (job->published || job->skipped == PC_SKIPPED_UNCHANGED)
		return HARDLINK_COPIED;
	/* -n left someone else's file there: cp -n copies the next name. */
	if (job->skipped == PC_SKIPPED_NO_CLOBBER)
		return HARDLINK_NO_COPY;
	return err ? HARDLINK_FAILED : HARDLINK_COPIED;
}

/* The next name of a group whose first was left alone by -n: copied here. */
static void copy_inline(struct engine *engine, struct job *job)
{
	struct worker_ctx w;
	int err;

	worker_ctx_init(&w, engine->opts, engine->progress, engine->opts->jobs + 1);
	err = job_run(&w, job);
	worker_ctx_release(&w);
	engine_job_done(engine, job, err);
}

/* The copy of a hard-link group is done: make (or fail) its parked links. */
static void release_parked(struct engine *engine, struct job *job, int err)
{
	enum hardlink_outcome outcome = copy_outcome(job, err);
	struct job *recopy, *parked = hardlink_complete(engine->links, job, outcome, &recopy);

	while (parked) {
		struct job *next = parked->next;
		int e = err;

		if (outcome == HARDLINK_COPIED && stop_requested())
			e = -EINTR;
		else if (outcome == HARDLINK_COPIED && engine->opts->dry_run)
			e = 0;
		else if (outcome == HARDLINK_COPIED)
			e = job_run_hardlink(engine->opts, parked);

		parked->next = NULL;
		retire(engine, parked, e);
		parked = next;
	}
	if (recopy)
		copy_inline(engine, recopy);
}

/*
 * -n: a name that appeared after the check was left alone (the publish
 * never replaces), which is a skip, not an error.
 */
static int no_clobber_race(struct engine *engine, struct job *job, int err)
{
	if (err != -EEXIST || !engine->opts->no_clobber || job->published)
		return err;
	job->skipped = PC_SKIPPED_NO_CLOBBER;
	job->err_dst = false;
	return 0;
}

void engine_job_done(struct engine *engine, struct job *job, int err)
{
	if (job->kind == JOB_CHUNK) {
		struct file_task *task = job->task;
		bool last = job->finalized;

		/* Only the file's result is reported, once, by its last chunk. */
		engine_dir_release(engine, job->dir);
		job_free(job);
		if (!last)
			return;
		if (task->on_parts_done) {
			/* The MPI backend owns the task and publishes the file. */
			task->on_parts_done(task);
			return;
		}
		job = task->file_job;
		err = task->final_err;
		free(task);
	}
	err = no_clobber_race(engine, job, err);
	if (job->group)
		release_parked(engine, job, err);
	retire(engine, job, err);
}

/* The backends' way back into the engine (struct backend_sink). */
static void sink_job_done(void *ctx, struct job *job, int err)
{
	engine_job_done(ctx, job, err);
}

static int exit_status(struct engine *engine)
{
	struct progress_snapshot snap;

	if (stop_signal())
		return 128 + stop_signal();
	progress_snapshot(engine->progress, &snap);
	return snap.count[PC_ERRORS] ? 1 : 0;
}

void engine_set_dir_meta_hook(struct engine *engine, void (*hook)(void *ctx, struct dir_node *dir),
			      void *ctx)
{
	engine->dir_meta_hook = hook;
	engine->dir_meta_ctx = ctx;
}

struct backend *engine_backend(const struct engine *engine)
{
	return engine->backend;
}

struct linkdest *engine_linkdest(const struct engine *engine)
{
	return engine->linkdest;
}

struct backup_dir *engine_backup_dir(const struct engine *engine)
{
	return engine->backup_dir;
}

struct hardlink_map *engine_links(const struct engine *engine)
{
	return engine->links;
}

struct engine *engine_start(const struct pcopy_opts *opts, enum backend_kind kind,
			    const char *label)
{
	const struct backend_ops *ops = backend_ops_for(kind);
	struct backend_sink sink;
	struct engine *engine;
	int err;

	if (!ops)
		die("backend '%s' is not available in this build", backend_kind_name(kind));
	err = ops->probe();
	if (err)
		die("backend '%s' cannot run here: %s%s", ops->name, strerror(-err),
		    ops->probe_hint ? ops->probe_hint(err) : "");
	engine = xcalloc(1, sizeof(*engine));
	engine->opts = opts;
	pthread_mutex_init(&engine->dir_lock, NULL);
	pthread_cond_init(&engine->dir_released, NULL);
	stop_install_handlers();
	raise_fd_limit();
	/* For tests and measurements of the fallback placement path. */
	if (getenv("PCOPY_NO_TMPFILE"))
		dest_disable_tmpfile(true);
	/* Modes are computed exactly by meta_create_mode(); the umask would
	 * only get in the way (cp -p likewise creates with the source's bits). */
	umask(0);
	/* Slots: one per worker, one for the walker, one for the engine. */
	engine->progress = progress_new(opts, opts->jobs + 2, label ? label : ops->name, NULL);
	progress_bind_slot(engine->progress, opts->jobs);
	engine->backup_dir = backup_dir_new(opts, engine->progress);
	delete_init(&engine->del, opts, engine->progress);
	engine->del.backup_dir = engine->backup_dir;
	engine->linkdest = linkdest_new(opts, engine->progress);
	if (opts->preserve & PRESERVE_LINKS)
		engine->links = hardlink_map_new(engine, HARDLINK_REMEMBER_BUDGET);
	sink = (struct backend_sink){
		.job_done = sink_job_done,
		.ctx = engine,
		.progress = engine->progress,
	};
	engine->backend = ops->start(&sink, opts, &err);
	if (!engine->backend)
		die("cannot start the %s backend: %s", ops->name, strerror(-err));
	progress_start(engine->progress);
	return engine;
}

void engine_finish_jobs(struct engine *engine)
{
	if (engine->jobs_finished)
		return;
	engine->backend->ops->finish(engine->backend);
	engine->jobs_finished = true;
}

int engine_drain(struct engine *engine)
{
	engine_finish_jobs(engine);
	hardlink_map_free(&engine->links);
	if (atomic_load(&engine->nr_dirs) != 0 && !stop_requested())
		BUG("%u directories still open after the run", atomic_load(&engine->nr_dirs));
	engine->backend->ops->destroy(engine->backend);
	engine->backend = NULL;
	return exit_status(engine);
}

int engine_end(struct engine *engine, int status)
{
	int out_err = progress_finish(&engine->progress, status);

	delete_release(&engine->del);
	linkdest_free(&engine->linkdest);
	backup_dir_free(&engine->backup_dir);
	pthread_mutex_destroy(&engine->dir_lock);
	pthread_cond_destroy(&engine->dir_released);
	free(engine);
	/* Output that did not reach stdout fails the run, as in coreutils. */
	if (out_err) {
		fprintf(stderr, "%s: write error: %s\n", prog_name(), strerror(-out_err));
		if (status == 0)
			status = 1;
	}
	return status;
}

int engine_run(const struct pcopy_opts *opts, enum backend_kind kind)
{
	struct engine *engine;
	struct scan *scan;
	int status;

	/* The mpi backend is a driver: it runs this engine in every rank. */
	if (kind == BACKEND_MPI)
		return mpi_run(opts);
	if (mpi_launcher_size() > 1) {
		/* Every rank would copy the whole tree onto the same files. */
		if (mpi_launcher_rank() <= 0)
			fprintf(stderr,
				"pcopy: running as %d MPI ranks needs --backend=mpi "
				"(the %s backend would copy the whole tree in every rank)\n",
				mpi_launcher_size(), backend_kind_name(kind));
		return 2;
	}
	engine = engine_start(opts, kind, NULL);
	/* Totals ahead of the walker, for the display only; once the walk
	 * ends its own totals are final and the scan has nothing to add. */
	scan = scan_start(opts, engine->progress);
	walk_run(engine, engine->backend, engine->links);
	scan_stop(&scan);
	status = engine_drain(engine);
	return engine_end(engine, status);
}
