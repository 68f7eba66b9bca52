// SPDX-License-Identifier: MIT
/*
 * The process backend: -j forked workers, each fed batches of jobs over its
 * own socketpair. The walker only submits (this file); a collector thread
 * reads the results, retires the jobs and replaces workers that die
 * (proc_collect.c).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backends/process/pool.h"
#include "backends/process/proto.h"
#include "pcopy/backend.h"
#include "pcopy/clock.h"
#include "pcopy/copy.h"
#include "pcopy/job.h"
#include "pcopy/resume.h"
#include "pcopy/util.h"

/* File data per batch: beyond this a batch is sent, to balance big files. */
#define BATCH_DATA_MAX (4u << 20)
/* Jobs per batch; a build may lower it to measure what batching buys. */
#ifndef BATCH_JOBS
#define BATCH_JOBS PROTO_BATCH_MAX
#endif

static struct proc_backend *process_downcast(struct backend *be)
{
	if (be->ops != &backend_process_ops)
		BUG("not a process backend: %s", be->ops->name);
	return (struct proc_backend *)be;
}

struct proc_batch *proc_batch_new(struct job *job)
{
	struct proc_batch *b = xmalloc(sizeof(*b));

	b->next = NULL;
	b->nr_dirs = 0;
	b->task = job->kind == JOB_CHUNK ? job->task : NULL;
	b->finish = job->kind == JOB_CHUNK && job->finishing;
	b->retry = false;
	b->nr = b->nr_done = 0;
	b->wire = sizeof(struct proto_batch_hdr);
	b->data = 0;
	return b;
}

/* Bytes @job takes on the wire, or 0 when a name is too long to send. */
static size_t job_wire_size(const struct job *job)
{
	size_t name, dst, link;

	/* A chunk works on the task's descriptors: no names needed. */
	if (job->kind == JOB_CHUNK && !job->finishing)
		return proto_job_size(0, 0, 0);
	name = strlen(job->name);
	dst = job->dst_name != job->name ? strlen(job->dst_name) : 0;
	link = job->kind == JOB_HARDLINK ? strlen(job->link_name) : 0;
	/* A file's last step names its temporary, if it has one. */
	if (job->finishing && job->task->tmp_name)
		link = strlen(job->task->tmp_name);
	if (name >= PROTO_NAME_MAX || dst >= PROTO_NAME_MAX || link >= PROTO_NAME_MAX)
		return 0;
	return proto_job_size(name, dst, link);
}

/* Index of @dir in @b, or -1; the latest first, as jobs come by directory. */
static int batch_dir(const struct proc_batch *b, const struct dir_node *dir)
{
	for (int i = (int)b->nr_dirs - 1; i >= 0; i--)
		if (b->dirs[i] == dir)
			return i;
	return -1;
}

/* How many directories @job would add to @b. */
static unsigned new_dirs(const struct proc_batch *b, const struct job *job)
{
	unsigned n = batch_dir(b, job->dir) < 0;

	if (job->kind == JOB_HARDLINK && job->link_dir != job->dir &&
	    batch_dir(b, job->link_dir) < 0)
		n++;
	return n;
}

static bool batch_fits(const struct proc_batch *b, const struct job *job, size_t wire,
		       size_t msg_max)
{
	unsigned n;

	if (b->task || job->kind == JOB_CHUNK)
		return false;
	n = new_dirs(b, job);
	return b->nr < BATCH_JOBS && b->nr_dirs + n <= PROTO_DIRS_MAX &&
	       b->wire + wire + n * sizeof(struct proto_dir) <= msg_max && b->data < BATCH_DATA_MAX;
}

/* Index of @dir in @b, adding it (and its record's bytes) if new. */
static uint8_t batch_add_dir(struct proc_batch *b, struct dir_node *dir)
{
	int i = batch_dir(b, dir);

	if (i >= 0)
		return (uint8_t)i;
	if (b->nr_dirs == PROTO_DIRS_MAX)
		BUG("batch of %u directories has no room for one more", b->nr_dirs);
	b->dirs[b->nr_dirs] = dir;
	b->wire += sizeof(struct proto_dir);
	return (uint8_t)b->nr_dirs++;
}

void proc_batch_add(struct proc_batch *b, struct job *job, size_t wire, bool retried)
{
	struct proc_entry *e = &b->ent[b->nr++];

	e->job = job;
	e->retried = retried;
	e->dir = batch_add_dir(b, job->dir);
	e->link_dir = job->kind == JOB_HARDLINK ? batch_add_dir(b, job->link_dir) : PROTO_DIRS_MAX;
	b->wire += wire;
	if (job->kind == JOB_FILE)
		b->data += (uint64_t)job->st.st_size;
}

static bool batch_full(const struct proc_batch *b)
{
	return b->task || b->nr >= BATCH_JOBS || b->data >= BATCH_DATA_MAX ||
	       b->nr_dirs >= PROTO_DIRS_MAX;
}

/* Append @b to the list @head/@tail. */
void proc_list_append(struct proc_batch **head, struct proc_batch **tail, struct proc_batch *b)
{
	b->next = NULL;
	if (*tail)
		(*tail)->next = b;
	else
		*head = b;
	*tail = b;
}

/*
 * The record of @b's directory @dir, its descriptors appended to @fds. A
 * source of AT_FDCWD (operand roots) is the absence of one; a chunk needs
 * none (it works on the task's descriptors).
 */
static struct proto_dir dir_record(const struct proc_batch *b, const struct dir_node *dir, int *fds,
				   unsigned *nr)
{
	struct proto_dir d = {
		.flags = dir->dst_fresh ? PROTO_DIR_FRESH : 0,
		.new_file_uid = dir->new_file_uid,
		.new_file_gid = dir->new_file_gid,
		.dst_dev = dir->dst_dev,
	};

	if (!b->task && dir->src_dirfd >= 0) {
		d.flags |= PROTO_DIR_SRC;
		fds[(*nr)++] = dir->src_dirfd;
	}
	/* A file's last step publishes it in its directory. */
	if ((!b->task || b->finish) && dir->dst_dirfd >= 0) {
		d.flags |= PROTO_DIR_DST;
		fds[(*nr)++] = dir->dst_dirfd;
	}
	return d;
}

/* PROTO_FINISH_* of a file's last step, 0 for other jobs. */
static uint8_t finish_flags(const struct job *job)
{
	const struct file_task *task = job->task;

	if (job->kind != JOB_CHUNK || !job->finishing)
		return 0;
	return PROTO_FINISH | (task->may_exist ? PROTO_FINISH_MAY_EXIST : 0) |
	       (atomic_load(&task->shrunk) ? PROTO_FINISH_SHRUNK : 0) |
	       (task->file_job->dst_masked ? PROTO_FINISH_MASKED : 0);
}

/* The record of @b's entry @e. */
static struct proto_job job_record(const struct proc_batch *b, const struct proc_entry *e)
{
	const struct job *job = e->job;
	const struct job *file = job->kind == JOB_CHUNK ? b->task->file_job : job;

	return (struct proto_job){
		.id = job->id,
		.offset = job->offset,
		.length = job->length,
		.st = file->st,
		.kind = job->kind,
		.dir = e->dir,
		.link_dir = e->link_dir < PROTO_DIRS_MAX ? e->link_dir : PROTO_NO_DIR,
		.follow = job->follow,
		.finish = finish_flags(job),
	};
}

/* Encode the unanswered part of @b into pb->sendbuf; returns the length. */
static size_t batch_encode(struct proc_backend *pb, const struct proc_batch *b, int *fds,
			   unsigned *nr_fds)
{
	struct proto_writer wr;
	int err = 0;

	proto_batch_start(&wr, pb->sendbuf, pb->msg_max,
			  (b->retry ? PROTO_BATCH_RETRY : 0) | (b->task ? PROTO_BATCH_TASK : 0) |
				  (b->task && b->task->resume ? PROTO_BATCH_JOURNAL : 0));
	*nr_fds = 0;
	for (unsigned i = 0; i < b->nr_dirs && !err; i++) {
		struct proto_dir d = dir_record(b, b->dirs[i], fds, nr_fds);

		err = proto_batch_add_dir(&wr, &d);
	}
	if (b->task) {
		fds[(*nr_fds)++] = b->task->src_fd;
		fds[(*nr_fds)++] = b->task->dst_fd;
		if (b->task->resume)
			fds[(*nr_fds)++] = resume_journal_fd(b->task->resume);
	}
	for (unsigned i = b->nr_done; i < b->nr && !err; i++) {
		const struct job *job = b->ent[i].job;
		struct proto_job rec = job_record(b, &b->ent[i]);
		bool range = job->kind == JOB_CHUNK && !job->finishing;
		const char *link = job->kind == JOB_HARDLINK ? job->link_name : NULL;

		if (job->finishing)
			link = job->task->tmp_name;
		err = proto_batch_add(&wr, &rec, range ? NULL : job->name,
				      range ? NULL : job->dst_name, link);
	}
	if (err)
		BUG("batch of %u jobs does not fit its message: %d", b->nr, err);
	return proto_batch_end(&wr);
}

/*
 * Send @b to @w and make it one of @w's batches in flight. A failed send
 * leaves it there: the worker is gone or going (killed if not), and the
 * collector resends what it held when it sees the socket close.
 */
static void send_batch_locked(struct proc_backend *pb, struct proc_worker *w, struct proc_batch *b)
{
	int fds[PROTO_FDS_MAX];
	unsigned nr_fds;
	size_t len = batch_encode(pb, b, fds, &nr_fds);
	int err = proto_send(w->fd, pb->sendbuf, len, fds, nr_fds);

	proc_list_append(&w->head, &w->tail, b);
	w->nr_batches++;
	if (err && err != -EPIPE && err != -ECONNRESET)
		kill(w->pid, SIGKILL);
}

/* The running worker with the fewest batches, if it has room for one more. */
static struct proc_worker *pick_worker_locked(struct proc_backend *pb, unsigned below)
{
	struct proc_worker *best = NULL;

	for (unsigned k = 0; k < pb->nr_workers; k++) {
		struct proc_worker *w = &pb->workers[(pb->next_worker + k) % pb->nr_workers];

		if (w->fd < 0 || w->nr_batches >= below)
			continue;
		if (!best || w->nr_batches < best->nr_batches)
			best = w;
	}
	if (best)
		pb->next_worker = (unsigned)(best - pb->workers + 1) % pb->nr_workers;
	return best;
}

void proc_kick_locked(struct proc_backend *pb)
{
	struct proc_worker *w;

	while (pb->retry_head && (w = pick_worker_locked(pb, INFLIGHT_BATCHES))) {
		struct proc_batch *b = pb->retry_head;

		pb->retry_head = b->next;
		if (!pb->retry_head)
			pb->retry_tail = NULL;
		send_batch_locked(pb, w, b);
	}
}

bool proc_queue_finish(struct proc_backend *pb, struct job *job)
{
	struct proc_batch *b;

	pthread_mutex_lock(&pb->lock);
	if (pb->pool_dead) {
		pthread_mutex_unlock(&pb->lock);
		return false;
	}
	job->finishing = true;
	b = proc_batch_new(job);
	proc_batch_add(b, job, job_wire_size(job), false);
	/* Retired once more, when its result comes. */
	pb->nr_out++;
	proc_list_append(&pb->retry_head, &pb->retry_tail, b);
	proc_kick_locked(pb);
	pthread_mutex_unlock(&pb->lock);
	return true;
}

void proc_flush_stale_locked(struct proc_backend *pb, uint64_t now_ns)
{
	struct proc_worker *w;

	if (!pb->pending || pb->retry_head || now_ns - pb->pending_ns < PENDING_MAX_NS)
		return;
	w = pick_worker_locked(pb, 1);
	if (w) {
		send_batch_locked(pb, w, pb->pending);
		pb->pending = NULL;
	}
}

/*
 * Walker: send @b, waiting for a worker with room. Returns NULL, or @b
 * back when no worker will ever take it (the caller fails its jobs).
 */
static struct proc_batch *dispatch_locked(struct proc_backend *pb, struct proc_batch *b)
{
	for (;;) {
		struct proc_worker *w;

		proc_kick_locked(pb);
		if (pb->pool_dead)
			return b;
		w = pb->retry_head ? NULL : pick_worker_locked(pb, INFLIGHT_BATCHES);
		if (w) {
			send_batch_locked(pb, w, b);
			return NULL;
		}
		pthread_cond_wait(&pb->changed, &pb->lock);
	}
}

static int process_probe(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return neg_errno();
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* The largest batch message: every batch in flight must fit the socket's buffer. */
static size_t batch_msg_max(int fd)
{
	int size = 0;
	socklen_t len = sizeof(size);
	size_t max;

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) < 0 || size <= 0)
		return PROTO_MSG_MAX;
	max = (size_t)size / (INFLIGHT_BATCHES + 1);
	/* Never below one job with three names of PATH_MAX. */
	if (max < proto_job_size(PROTO_NAME_MAX, PROTO_NAME_MAX, PROTO_NAME_MAX) * 2)
		max = proto_job_size(PROTO_NAME_MAX, PROTO_NAME_MAX, PROTO_NAME_MAX) * 2;
	return max < PROTO_MSG_MAX ? max : PROTO_MSG_MAX;
}

static void process_free(struct proc_backend *pb)
{
	worker_ctx_release(&pb->fin);
	close_quietly(pb->wake_fd);
	pthread_mutex_destroy(&pb->lock);
	pthread_mutex_destroy(&pb->fin_lock);
	pthread_cond_destroy(&pb->changed);
	free(pb->workers);
	free(pb->sendbuf);
	free(pb->recvbuf);
	free(pb);
}

/* Fork the -j workers before any other thread exists, then start the collector. */
static struct backend *process_start(const struct backend_sink *sink, const struct pcopy_opts *opts,
				     int *err)
{
	struct proc_backend *pb = xcalloc(1, sizeof(*pb));

	pb->base.ops = &backend_process_ops;
	pb->base.sink = *sink;
	pb->base.progress = sink->progress;
	pthread_mutex_init(&pb->lock, NULL);
	pthread_mutex_init(&pb->fin_lock, NULL);
	pthread_cond_init(&pb->changed, NULL);
	pb->pid = getpid();
	pb->sendbuf = xmalloc(PROTO_MSG_MAX);
	pb->recvbuf = xmalloc(PROTO_MSG_MAX);
	worker_ctx_init(&pb->fin, opts, sink->progress, 0);
	pb->workers = xcalloc(opts->jobs, sizeof(*pb->workers));
	for (unsigned i = 0; i < opts->jobs; i++)
		pb->workers[i].fd = -1;
	pb->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*err = pb->wake_fd < 0 ? neg_errno() : 0;
	for (unsigned i = 0; !*err && i < opts->jobs; i++) {
		int e = proc_worker_spawn(pb, i);

		if (e) {
			/* Fewer workers than asked still works. */
			*err = i ? 0 : e;
			break;
		}
		pb->nr_workers++;
	}
	if (!*err) {
		pb->msg_max = batch_msg_max(pb->workers[0].fd);
		*err = -pthread_create(&pb->collector, NULL, proc_collector_main, pb);
	}
	if (*err) {
		proc_workers_shutdown(pb);
		process_free(pb);
		return NULL;
	}
	return &pb->base;
}

/*
 * Walker: add @job to the batch being filled. The batch goes out when the
 * next job belongs elsewhere or when it is full; an idle worker takes it
 * earlier only once it has waited PENDING_MAX_NS (the collector sees to
 * that). Sending on every idle worker was measured: on the kernel tree it
 * made batches of 6 jobs instead of 15 and cost the walker ~10% more CPU,
 * while idle workers cost nothing when the walker is the bottleneck.
 */
static void process_submit(struct backend *be, struct job *job)
{
	struct proc_backend *pb = process_downcast(be);
	size_t wire = job_wire_size(job);
	struct proc_batch *b, *failed = NULL;

	if (!wire && job->kind == JOB_HARDLINK) {
		/* A link to a copy deeper than a message carries: made here,
		 * one directory at a time as a worker would. */
		backend_job_done(&pb->base, job, job_run_hardlink(pb->fin.opts, job));
		return;
	}
	if (!wire) {
		/* What openat() would say; not a chunk (chunks send no names). */
		backend_job_done(&pb->base, job, -ENAMETOOLONG);
		return;
	}
	pthread_mutex_lock(&pb->lock);
	pb->nr_out++;
	if (pb->pending && !batch_fits(pb->pending, job, wire, pb->msg_max)) {
		b = pb->pending;
		pb->pending = NULL;
		failed = dispatch_locked(pb, b);
	}
	if (!pb->pending) {
		pb->pending = proc_batch_new(job);
		pb->pending_ns = clock_coarse_ns();
	}
	proc_batch_add(pb->pending, job, wire, false);
	if (batch_full(pb->pending)) {
		b = pb->pending;
		pb->pending = NULL;
		b = dispatch_locked(pb, b);
		if (b) {
			b->next = failed;
			failed = b;
		}
	}
	pthread_mutex_unlock(&pb->lock);
	proc_batches_fail(pb, failed, proc_lost_error());
}

/* Send the last partial batch and wait until every job is retired. */
static void process_finish(struct backend *be)
{
	struct proc_backend *pb = process_downcast(be);
	struct proc_batch *failed = NULL;
	uint64_t one = 1;

	pthread_mutex_lock(&pb->lock);
	if (pb->pending) {
		struct proc_batch *b = pb->pending;

		pb->pending = NULL;
		failed = dispatch_locked(pb, b);
	}
	pthread_mutex_unlock(&pb->lock);
	proc_batches_fail(pb, failed, proc_lost_error());

	pthread_mutex_lock(&pb->lock);
	while (pb->nr_out)
		pthread_cond_wait(&pb->changed, &pb->lock);
	pb->quit = true;
	pthread_mutex_unlock(&pb->lock);
	/* EINTR is retried: a signal must not abort the run (issue 17). */
	while (write(pb->wake_fd, &one, sizeof(one)) < 0)
		if (errno != EINTR)
			BUG("cannot wake the collector: %s", strerror(errno));
	pthread_join(pb->collector, NULL);
}

static void process_destroy(struct backend *be)
{
	process_free(process_downcast(be));
}

const struct backend_ops backend_process_ops = {
	.name = "process",
	.probe = process_probe,
	.start = process_start,
	.submit = process_submit,
	.finish = process_finish,
	.destroy = process_destroy,
};
