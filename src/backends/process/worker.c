// SPDX-License-Identifier: MIT
/*
 * A worker process of the process backend: it receives batches of jobs with
 * the directory descriptors they need, runs them with the shared job code
 * (job_run) and sends the results and the bytes written back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "backends/process/proto.h"
#include "backends/process/worker.h"
#include "backends/sched.h"
#include "pcopy/clock.h"
#include "pcopy/copy.h"
#include "pcopy/copy_file.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/report.h"
#include "pcopy/resume.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* Where the socket lives once everything else inherited is closed. */
#define SOCK_FD 3
/* Results of a batch still running are sent at least this often, so that
 * the parent's progress display keeps moving through batches of big files. */
#define RESULT_FLUSH_NS (50 * 1000000ull)

struct worker {
	struct worker_ctx ctx;
	unsigned char *in, *out;	      /* message buffers, PROTO_MSG_MAX each */
	struct proto_batch_view view;	      /* the batch being run */
	struct dir_node dirs[PROTO_DIRS_MAX]; /* its directories, around its descriptors */
	int task_src_fd, task_dst_fd;	      /* JOB_CHUNK: the file's descriptors */
	int task_journal_fd;		      /* and its resume journal, or -1 */
	struct proto_writer results;	      /* results not sent yet */
	uint64_t bytes_sent;		      /* PC_BYTES here at the last message */
	uint64_t flushed_ns;		      /* when the last message went */
};

static void on_sigterm(int sig)
{
	/* Finish the current job quickly (-EINTR) and remove its temporary. */
	stop_request(sig);
}

/*
 * Take the workers' name, die with the parent, ignore the terminal's SIGINT
 * (the parent decides), stop on SIGTERM, and drop every inherited
 * descriptor but the socket: a copy of another worker's socket would hide
 * that worker's EOF, and the walker's directories are not ours to keep open.
 */
static void worker_setup(int sock, pid_t parent)
{
	struct sigaction sa = { .sa_handler = on_sigterm };
	sigset_t none;

	prctl(PR_SET_NAME, PROC_WORKER_NAME);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before prctl(): then nobody signals us. */
	if (getppid() != parent)
		_exit(PROC_EXIT_DONE);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sock != SOCK_FD) {
		if (dup2(sock, SOCK_FD) < 0)
			_exit(PROC_EXIT_IO);
		close(sock);
	}
	close_range(SOCK_FD + 1, ~0u, 0);
	sched_worker_self();
}

/* Data bytes this process has counted so far (its own copy of the counters). */
static uint64_t bytes_counted(struct worker *wk)
{
	struct progress_snapshot snap;

	progress_snapshot(wk->ctx.progress, &snap);
	return snap.count[PC_BYTES];
}

/* Send the results gathered so far with the bytes written since the last. */
static void flush_results(struct worker *wk)
{
	uint64_t bytes = bytes_counted(wk);
	size_t len;

	len = proto_results_end(&wk->results, bytes - wk->bytes_sent);
	/* The parent is gone (or going): nobody wants the rest. */
	if (proto_send(SOCK_FD, wk->out, len, NULL, 0) < 0)
		_exit(PROC_EXIT_IO);
	wk->bytes_sent = bytes;
	wk->flushed_ns = clock_coarse_ns();
	proto_results_start(&wk->results, wk->out, PROTO_MSG_MAX);
}

/* JOB_CHUNK: copy the range only; the parent counts chunks and finishes the file. */
static int run_chunk_range(struct worker *wk, const struct proto_job *rec)
{
	bool shrunk = false;
	int err;

	if (stop_requested())
		return -EINTR;
	copy_select_pair(&wk->ctx, rec->st.st_dev, wk->dirs[rec->dir].dst_dev);
	err = copy_range(&wk->ctx, wk->task_src_fd, wk->task_dst_fd, &rec->st, rec->offset,
			 rec->length, &shrunk);
	/* Journaled here, not in the parent: the read-back and the sync
	 * must not hold up its collector. */
	if (!err && !shrunk && wk->task_journal_fd >= 0)
		err = resume_commit_fd(wk->task_journal_fd, wk->ctx.opts->chunk_size,
				       wk->task_dst_fd, rec->offset, rec->length);
	return !err && shrunk ? -PCOPY_ECHANGED : err;
}

/*
 * A chunked file's last step (PROTO_FINISH): metadata, --verify, --fsync
 * and publish, on our copies of the task's descriptors. A resent one may
 * find its file already published by the worker that died: replace it.
 */
static int run_finish(struct worker *wk, const struct proto_job_view *v, struct job *job)
{
	bool retry = wk->view.hdr.flags & PROTO_BATCH_RETRY;
	bool may_exist = retry || (v->rec.finish & PROTO_FINISH_MAY_EXIST);
	char *tmp_name = v->link_name ? xstrdup(v->link_name) : NULL;
	int src_fd = fcntl(wk->task_src_fd, F_DUPFD_CLOEXEC, 0);
	int dst_fd = fcntl(wk->task_dst_fd, F_DUPFD_CLOEXEC, 0);
	int err;

	if (src_fd < 0 || dst_fd < 0) {
		err = neg_errno();
		close_quietly(src_fd);
		close_quietly(dst_fd);
		free(tmp_name);
		return err;
	}
	job->kind = JOB_FILE;
	job->dst_masked = v->rec.finish & PROTO_FINISH_MASKED;
	err = job_finish_file(&wk->ctx, job, src_fd, dst_fd, &tmp_name, may_exist, 0,
			      v->rec.finish & PROTO_FINISH_SHRUNK);
	free(tmp_name);
	return err;
}

/* Run job @v of the batch, in its directory among wk->dirs. */
static struct proto_result run_one(struct worker *wk, const struct proto_job_view *v)
{
	struct job job = {
		.kind = (enum job_kind)v->rec.kind,
		.dir = &wk->dirs[v->rec.dir],
		.name = (char *)v->name,
		.dst_name = (char *)v->dst_name,
		.st = v->rec.st,
		.id = v->rec.id,
		.follow = v->rec.follow != 0,
	};
	struct proto_result res = { .id = v->rec.id };

	if (job.kind == JOB_HARDLINK) {
		job.link_dir = &wk->dirs[v->rec.link_dir];
		job.link_name = (char *)v->link_name;
	}
	if (job.kind == JOB_CHUNK && v->rec.finish) {
		res.err = run_finish(wk, v, &job);
	} else if (job.kind == JOB_CHUNK) {
		res.err = run_chunk_range(wk, &v->rec);
		job.err_dst = res.err && job_is_dst_err(&wk->ctx, res.err);
	} else
		res.err = job_run(&wk->ctx, &job);
	res.published = job.published;
	res.skipped = job.skipped;
	res.err_dst = job.err_dst;
	res.how = job.how;
	return res;
}

/*
 * Build worker-local directory nodes around the descriptors @fds that came
 * with the batch. A resent batch may find its entries already made by the
 * worker that died: then no directory counts as fresh.
 */
static void place_dirs(struct worker *wk, const int *fds)
{
	const struct proto_batch_view *v = &wk->view;
	bool retry = v->hdr.flags & PROTO_BATCH_RETRY;

	for (unsigned i = 0; i < v->nr_dirs; i++) {
		const struct proto_dir *d = &v->dirs[i];

		wk->dirs[i] = (struct dir_node){
			.src_dirfd = v->src_fd[i] >= 0 ? fds[v->src_fd[i]] : AT_FDCWD,
			.dst_dirfd = v->dst_fd[i] >= 0 ? fds[v->dst_fd[i]] : -1,
			.dst_fresh = (d->flags & PROTO_DIR_FRESH) && !retry,
			.new_file_uid = d->new_file_uid,
			.new_file_gid = d->new_file_gid,
			.dst_dev = (dev_t)d->dst_dev,
		};
	}
	wk->task_src_fd = v->task_src_fd >= 0 ? fds[v->task_src_fd] : -1;
	wk->task_dst_fd = v->task_dst_fd >= 0 ? fds[v->task_dst_fd] : -1;
	wk->task_journal_fd = v->task_journal_fd >= 0 ? fds[v->task_journal_fd] : -1;
}

/* Run the received batch, sending results at its end (or every RESULT_FLUSH_NS). */
static void run_batch(struct worker *wk)
{
	for (unsigned i = 0; i < wk->view.nr_jobs; i++) {
		struct proto_result res = run_one(wk, &wk->view.jobs[i]);

		if (proto_results_add(&wk->results, &res))
			BUG("more results than jobs in a batch");
		if (clock_coarse_ns() - wk->flushed_ns >= RESULT_FLUSH_NS)
			flush_results(wk);
	}
	if (wk->results.nr)
		flush_results(wk);
}

static void close_fds(const int *fds, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++)
		close(fds[i]);
}

void proc_worker_main(const struct pcopy_opts *opts, struct progress *progress, unsigned index,
		      int sock, pid_t parent)
{
	struct worker *wk;

	worker_setup(sock, parent);
	wk = xcalloc(1, sizeof(*wk));
	worker_ctx_init(&wk->ctx, opts, progress, index);
	wk->in = xmalloc(PROTO_MSG_MAX);
	wk->out = xmalloc(PROTO_MSG_MAX);
	wk->bytes_sent = bytes_counted(wk);
	proto_results_start(&wk->results, wk->out, PROTO_MSG_MAX);
	for (;;) {
		int fds[PROTO_FDS_MAX];
		unsigned nr_fds = 0;
		ssize_t n = proto_recv(SOCK_FD, wk->in, PROTO_MSG_MAX, fds, &nr_fds, 0);

		/* End of file: the parent has no more work (or is gone). */
		if (n == 0)
			_exit(PROC_EXIT_DONE);
		if (n < 0)
			_exit(n == -EBADMSG ? PROC_EXIT_PROTO : PROC_EXIT_IO);
		if (proto_batch_parse(wk->in, (size_t)n, nr_fds, &wk->view) < 0)
			_exit(PROC_EXIT_PROTO);
		place_dirs(wk, fds);
		wk->flushed_ns = clock_coarse_ns();
		run_batch(wk);
		close_fds(fds, nr_fds);
	}
}
