// SPDX-License-Identifier: MIT
/*
 * The process backend's collector thread: it reads the workers' results
 * and retires their jobs (sending the last step of chunked files back to a
 * worker), and it notices
 * workers that die, reports them, resends their work and replaces them.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/process/pool.h"
#include "backends/process/proto.h"
#include "backends/process/worker.h"
#include "pcopy/clock.h"
#include "pcopy/copy.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* The collector looks at the stop flag and the walker's partial batch this often. */
#define POLL_MS 20
/* A worker that does not exit this long after its socket closed is killed. */
#define REAP_MS 2000
/* Socket buffers: room for every batch in flight, whatever wmem_default is. */
#define SOCK_BUF (1u << 20)

/*
 * The file's last step came back from a worker (@ran) with result @err, or
 * no worker could run it: then clean up here (remove the temporary). The
 * worker closed its copies of the descriptors; these are ours.
 */
static void finish_done(struct proc_backend *pb, struct job *job, int err, bool ran)
{
	struct file_task *task = job->task;
	struct job *file = task->file_job;

	if (ran) {
		close_quietly(task->src_fd);
		close_quietly(task->dst_fd);
		file->published = job->published;
		if (job->err_dst)
			file->err_dst = true;
		/* Published or abandoned by the worker: the journal goes. */
		job_task_resume_done(pb->base.progress, task);
	} else {
		pthread_mutex_lock(&pb->fin_lock);
		(void)job_finish_task(&pb->fin, task, err, false);
		pthread_mutex_unlock(&pb->fin_lock);
	}
	free(task->tmp_name);
	task->tmp_name = NULL;
	task->final_err = err;
	job->finalized = true;
	backend_job_done(&pb->base, job, err);
}

/*
 * Retire @job with result @err (@ran: a worker answered it). A chunk's
 * count lives here in the parent (the workers only copy ranges); the
 * file's last step (metadata, --verify, --fsync, publish) goes back to a
 * worker, so that a long --verify never holds up the collection of other
 * results. As in the thread backend, a chunk that ends after SIGINT fails
 * its file rather than publish it.
 */
static void complete_job(struct proc_backend *pb, struct job *job, int err, bool ran)
{
	struct file_task *task = job->task;
	bool last;

	if (job->kind != JOB_CHUNK) {
		backend_job_done(&pb->base, job, err);
		return;
	}
	if (job->finishing) {
		finish_done(pb, job, err, ran);
		return;
	}
	if (!err && stop_requested())
		err = -EINTR;
	last = job_chunk_account(job, err, false);
	if (last && !atomic_load(&task->first_err) && proc_queue_finish(pb, job))
		return;
	if (last) {
		/* Failed (only cleanup left), or no worker left to take it. */
		pthread_mutex_lock(&pb->fin_lock);
		task->final_err = job_finish_task(&pb->fin, task, atomic_load(&task->first_err),
						  atomic_load(&task->shrunk));
		pthread_mutex_unlock(&pb->fin_lock);
		job->finalized = true;
		err = task->final_err;
	}
	backend_job_done(&pb->base, job, err);
}

/* Retire the unanswered jobs of the batches in @list with @err; frees them. */
void proc_batches_fail(struct proc_backend *pb, struct proc_batch *list, int err)
{
	uint64_t n = 0;

	while (list) {
		struct proc_batch *b = list;

		list = b->next;
		for (unsigned i = b->nr_done; i < b->nr; i++, n++)
			complete_job(pb, b->ent[i].job, err, false);
		free(b);
	}
	if (!n)
		return;
	pthread_mutex_lock(&pb->lock);
	pb->nr_out -= n;
	pthread_cond_broadcast(&pb->changed);
	pthread_mutex_unlock(&pb->lock);
}

/* The error for jobs no worker will run: an interrupted run is no failure. */
int proc_lost_error(void)
{
	return stop_requested() ? -EINTR : -PCOPY_EWORKER;
}

/*
 * Match the results in pb->recvbuf (@len bytes) from @w with its oldest
 * jobs in flight, then retire them outside the lock. Returns 0, or
 * -EBADMSG when the message or an id is wrong (the worker is then lost).
 */
static int take_results(struct proc_backend *pb, struct proc_worker *w, size_t len)
{
	struct proc_batch *done_batches = NULL;
	struct job *jobs[PROTO_BATCH_MAX];
	struct proto_result res[PROTO_BATCH_MAX];
	struct proto_results_hdr hdr;
	unsigned n = 0;
	int err = 0;

	if (proto_results_parse(pb->recvbuf, len, &hdr))
		return -EBADMSG;
	progress_count(pb->base.progress, PC_BYTES, hdr.bytes);
	pthread_mutex_lock(&pb->lock);
	for (; n < hdr.nr_results; n++) {
		struct proc_batch *b = w->head;

		proto_result_get(pb->recvbuf, n, &res[n]);
		if (!b || b->ent[b->nr_done].job->id != res[n].id) {
			err = -EBADMSG;
			break;
		}
		jobs[n] = b->ent[b->nr_done++].job;
		if (b->nr_done < b->nr)
			continue;
		w->head = b->next;
		if (!w->head)
			w->tail = NULL;
		w->nr_batches--;
		b->next = done_batches;
		done_batches = b;
	}
	pthread_mutex_unlock(&pb->lock);
	for (unsigned i = 0; i < n; i++) {
		jobs[i]->published = res[i].published;
		jobs[i]->skipped = res[i].skipped;
		jobs[i]->err_dst = res[i].err_dst;
		jobs[i]->how = res[i].how;
		complete_job(pb, jobs[i], res[i].err, true);
	}
	pthread_mutex_lock(&pb->lock);
	pb->nr_out -= n;
	proc_kick_locked(pb);
	pthread_cond_broadcast(&pb->changed);
	pthread_mutex_unlock(&pb->lock);
	while (done_batches) {
		struct proc_batch *b = done_batches;

		done_batches = b->next;
		free(b);
	}
	return err;
}

/*
 * Fork worker @i with a fresh socketpair. The child never returns here.
 * Called with the lock held or before the collector runs.
 */
int proc_worker_spawn(struct proc_backend *pb, unsigned i)
{
	struct proc_worker *w = &pb->workers[i];
	int sv[2], size = SOCK_BUF;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return neg_errno();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return neg_errno();
	}
	if (pid == 0) {
		close(sv[0]);
		proc_worker_main(pb->fin.opts, pb->base.progress, i, sv[1], pb->pid);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	return 0;
}

/* Wait for @pid to end, killing it if it lingers. Returns its wait status. */
static int reap(pid_t pid)
{
	int status = 0;

	for (unsigned ms = 0; ms < REAP_MS; ms++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* "pcopy: worker N killed by signal S": a warning, not a failed file. */
static void report_lost(struct proc_backend *pb, unsigned i, int status, int why)
{
	char msg[128];

	if (why == -EBADMSG)
		snprintf(msg, sizeof(msg), "worker %u sent a malformed message", i + 1);
	else if (WIFSIGNALED(status))
		snprintf(msg, sizeof(msg), "worker %u killed by signal %d", i + 1,
			 WTERMSIG(status));
	else
		snprintf(msg, sizeof(msg), "worker %u exited with status %d", i + 1,
			 WEXITSTATUS(status));
	progress_message(pb->base.progress, NULL, msg, 0);
}

/*
 * Resend the unanswered jobs of @w's batches once (entries already resent
 * go to *failed instead). A resent batch keeps its directory, so that its
 * descriptors go along again.
 */
static void requeue_locked(struct proc_backend *pb, struct proc_batch *list,
			   struct proc_batch **failed)
{
	while (list) {
		struct proc_batch *b = list, *again = NULL;
		unsigned keep = 0;

		list = b->next;
		for (unsigned i = b->nr_done; i < b->nr; i++) {
			if (b->ent[i].retried) {
				b->ent[keep++] = b->ent[i];
				continue;
			}
			if (!again) {
				again = proc_batch_new(b->ent[i].job);
				again->retry = true;
			}
			proc_batch_add(again, b->ent[i].job, 0, true);
		}
		/* What is left in @b is what was lost twice. */
		b->nr = keep;
		b->nr_done = 0;
		if (b->nr) {
			b->next = *failed;
			*failed = b;
		} else {
			free(b);
		}
		if (again)
			proc_list_append(&pb->retry_head, &pb->retry_tail, again);
	}
}

static bool may_respawn(struct proc_backend *pb)
{
	/* A bound, so that workers dying at birth cannot loop forever. */
	return !pb->quit && !stop_requested() && pb->nr_respawns < 16 + 4 * pb->nr_workers;
}

static bool any_running_locked(const struct proc_backend *pb)
{
	for (unsigned i = 0; i < pb->nr_workers; i++)
		if (pb->workers[i].fd >= 0)
			return true;
	return false;
}

/* No worker will run anything again: hand everything waiting to *failed. */
static void pool_dead_locked(struct proc_backend *pb, struct proc_batch **failed)
{
	pb->pool_dead = true;
	if (pb->pending) {
		pb->pending->next = *failed;
		*failed = pb->pending;
		pb->pending = NULL;
	}
	if (pb->retry_tail) {
		pb->retry_tail->next = *failed;
		*failed = pb->retry_head;
		pb->retry_head = pb->retry_tail = NULL;
	}
}

/*
 * Worker @i's socket closed (@why 0), failed, or carried nonsense
 * (-EBADMSG): reap it, say so, resend what it held, and fork a replacement
 * unless the run is ending. The run goes on with fewer workers if it must.
 */
static void worker_lost(struct proc_backend *pb, unsigned i, int why)
{
	struct proc_worker *w = &pb->workers[i];
	struct proc_batch *held, *failed = NULL;
	int fd, status;
	pid_t pid;

	pthread_mutex_lock(&pb->lock);
	fd = w->fd;
	pid = w->pid;
	held = w->head;
	*w = (struct proc_worker){ .fd = -1 };
	pthread_mutex_unlock(&pb->lock);
	close(fd);
	if (why)
		kill(pid, SIGKILL);
	status = reap(pid);
	report_lost(pb, i, status, why);

	pthread_mutex_lock(&pb->lock);
	requeue_locked(pb, held, &failed);
	if (may_respawn(pb) && proc_worker_spawn(pb, i) == 0)
		pb->nr_respawns++;
	if (!any_running_locked(pb))
		pool_dead_locked(pb, &failed);
	proc_kick_locked(pb);
	pthread_cond_broadcast(&pb->changed);
	pthread_mutex_unlock(&pb->lock);
	proc_batches_fail(pb, failed, proc_lost_error());
}

/* Read every message worker @i has sent; its end of file means it is gone. */
static void read_worker(struct proc_backend *pb, unsigned i)
{
	struct proc_worker *w = &pb->workers[i];

	for (;;) {
		int fds[PROTO_FDS_MAX], err;
		unsigned nr_fds = 0;
		ssize_t n;

		n = proto_recv(w->fd, pb->recvbuf, PROTO_MSG_MAX, fds, &nr_fds, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return;
		if (nr_fds) {
			/* Workers send no descriptors. */
			for (unsigned k = 0; k < nr_fds; k++)
				close(fds[k]);
			n = -EBADMSG;
		}
		err = n > 0 ? take_results(pb, w, (size_t)n) : (int)n;
		if (n > 0 && !err)
			continue;
		worker_lost(pb, i, err);
		return;
	}
}

/* SIGINT/SIGTERM reached us: workers end their current job and answer the rest -EINTR. */
static void stop_workers(struct proc_backend *pb)
{
	pthread_mutex_lock(&pb->lock);
	if (!pb->stop_sent) {
		pb->stop_sent = true;
		for (unsigned i = 0; i < pb->nr_workers; i++)
			if (pb->workers[i].pid)
				kill(pb->workers[i].pid, SIGTERM);
	}
	pthread_mutex_unlock(&pb->lock);
}

/* Close every socket (end of file tells a worker to exit), then reap them all. */
void proc_workers_shutdown(struct proc_backend *pb)
{
	pthread_mutex_lock(&pb->lock);
	for (unsigned i = 0; i < pb->nr_workers; i++) {
		close_quietly(pb->workers[i].fd);
		pb->workers[i].fd = -1;
	}
	pthread_mutex_unlock(&pb->lock);
	for (unsigned i = 0; i < pb->nr_workers; i++) {
		if (pb->workers[i].pid)
			reap(pb->workers[i].pid);
		pb->workers[i].pid = 0;
	}
}

/* The descriptors to poll: the wake-up eventfd, then every running worker. */
static unsigned watch_list(struct proc_backend *pb, struct pollfd *pfds, unsigned *who)
{
	unsigned n = 1;

	pfds[0] = (struct pollfd){ .fd = pb->wake_fd, .events = POLLIN };
	/* Only this thread changes w->fd: no lock needed to read it here. */
	for (unsigned i = 0; i < pb->nr_workers; i++) {
		if (pb->workers[i].fd < 0)
			continue;
		who[n] = i;
		pfds[n++] = (struct pollfd){ .fd = pb->workers[i].fd, .events = POLLIN };
	}
	return n;
}

static bool collector_done(struct proc_backend *pb)
{
	bool quit;

	pthread_mutex_lock(&pb->lock);
	quit = pb->quit;
	pthread_mutex_unlock(&pb->lock);
	return quit;
}

/*
 * The collector: the parent's only reader of the workers' sockets. It
 * retires jobs as their results arrive, so the walker never waits for a
 * result, and it notices dead workers and the stop signal.
 */
void *proc_collector_main(void *arg)
{
	struct proc_backend *pb = arg;
	struct pollfd *pfds = xcalloc(pb->nr_workers + 1, sizeof(*pfds));
	unsigned *who = xcalloc(pb->nr_workers + 1, sizeof(*who));

	progress_bind_slot(pb->base.progress, 0);
	while (!collector_done(pb)) {
		unsigned n = watch_list(pb, pfds, who);

		if (poll(pfds, n, POLL_MS) > 0) {
			uint64_t count;

			if (pfds[0].revents && read(pb->wake_fd, &count, sizeof(count)) < 0)
				count = 0;
			for (unsigned k = 1; k < n; k++)
				if (pfds[k].revents)
					read_worker(pb, who[k]);
		}
		if (stop_requested())
			stop_workers(pb);
		pthread_mutex_lock(&pb->lock);
		proc_flush_stale_locked(pb, clock_coarse_ns());
		pthread_mutex_unlock(&pb->lock);
	}
	proc_workers_shutdown(pb);
	free(who);
	free(pfds);
	return NULL;
}
