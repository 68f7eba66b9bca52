// SPDX-License-Identifier: MIT
/*
 * The io_uring backend: worker threads fed by a bounded queue, each with
 * its own ring and many files' operations in flight, submitted in batches
 * (one io_uring_enter per round); uring_file.c drives each file.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backends/queue.h"
#include "backends/sched.h"
#include "backends/uring/uring.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* Jobs waiting per worker, as in the thread backend. */
#define QUEUE_PER_WORKER 256

/*
 * io-wq threads per worker for punted work; without a cap each punted
 * operation may get its own thread (liburing#830). Bounded: file reads and
 * writes (ext4 punts every buffered write). Unbounded: O_TMPFILE opens and
 * LINKAT, which wait on the destination's inode tables when cold: 16
 * rather than 4 made a cold kernel-tree copy 6.5 s -> 4.1 s here, with no
 * change warm (bench/uring.md).
 */
#define IOWQ_BOUNDED 4
#define IOWQ_UNBOUNDED 16

struct uring_backend {
	struct backend base;
	struct job_queue queue;
	unsigned nr_workers;
	struct uring_worker *workers; /* owned */
};

static struct uring_backend *uring_downcast(struct backend *be)
{
	if (be->ops != &backend_uring_ops)
		BUG("not a uring backend: %s", be->ops->name);
	return (struct uring_backend *)be;
}

/* Start new files while the ring has room. Returns false once the queue
 * is closed and drained and this worker has nothing left in flight. */
static bool worker_fill(struct uring_worker *u)
{
	while (ufile_has_room(u)) {
		bool idle = !u->nr_ops && !u->nr_files;
		struct job *job = queue_take(&u->ub->queue, u->max_files - u->nr_files, idle);

		if (!job)
			return !idle;
		while (job) {
			struct job *next = job->next;

			job->next = NULL;
			ufile_start(u, job);
			job = next;
		}
	}
	return true;
}

/*
 * Test hook for tests/faults/inject.sh: PCOPY_TEST_FAIL_CQE=N:ERRNO makes
 * the Nth completion that each worker reaps report -ERRNO instead of its
 * result, as a failing device would (strace can fail io_uring_enter, not
 * what the ring completes). Read once per worker; unset, it costs one
 * compare per completion.
 */
static void fail_cqe_init(struct uring_worker *u)
{
	const char *spec = getenv("PCOPY_TEST_FAIL_CQE");

	if (!spec || sscanf(spec, "%lu:%d", &u->fail_cqe_at, &u->fail_cqe_errno) != 2)
		u->fail_cqe_at = 0;
}

static int cqe_result(struct uring_worker *u, int res)
{
	if (u->fail_cqe_at && ++u->nr_cqes == u->fail_cqe_at)
		return -u->fail_cqe_errno;
	return res;
}

/* Submit what was prepared, wait for at least one completion, handle all. */
static void worker_reap(struct uring_worker *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int ret;

	ret = io_uring_submit_and_wait(&u->ring, 1);
	/* -EINTR: a signal (stop_requested() tells); -EBUSY/-EAGAIN: the
	 * kernel wants completions reaped first. Anything else is a bug. */
	if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
		BUG("io_uring_submit_and_wait: %d", ret);
	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		ufile_complete(u, cqe->user_data, cqe_result(u, cqe->res));
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
}

/* Per-thread ring set-up: what only the submitting thread may do. */
static void worker_ring_ready(struct uring_worker *u)
{
	unsigned iowq[2] = { IOWQ_BOUNDED, IOWQ_UNBOUNDED };
	struct iovec iov = { u->bufs, (size_t)u->nr_blks * UBLK_SIZE };

	/* liburing 2.3 declares io_uring_enable_rings() but does not export it. */
	if (u->ring.flags & IORING_SETUP_R_DISABLED)
		syscall(__NR_io_uring_register, u->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL,
			0);
	/* Each of these only saves work; a kernel that refuses is fine. */
	io_uring_register_ring_fd(&u->ring);
	io_uring_register_iowq_max_workers(&u->ring, iowq);
	u->fixed_bufs = io_uring_register_buffers(&u->ring, &iov, 1) == 0;
}

static void *uring_worker_main(void *arg)
{
	struct uring_worker *u = arg;

	worker_ring_ready(u);
	progress_bind_slot(u->ctx.progress, u->ctx.slot);
	sched_worker_self();
	while (worker_fill(u)) {
		if (u->nr_ops)
			worker_reap(u);
		else if (u->nr_files)
			BUG("%u files in flight with nothing in the ring", u->nr_files);
	}
	return NULL;
}

/* Create @u's ring: entries for the queue depth, CQ twice that. */
static int worker_ring_init(struct uring_worker *u)
{
	/* SINGLE_ISSUER binds the ring to the thread that enables it. */
	static const unsigned flag_sets[] = {
		IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
			IORING_SETUP_R_DISABLED,
		0,
	};
	unsigned entries = u->depth < 8 ? 8 : u->depth;
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]) && err == -EINVAL; i++) {
		struct io_uring_params p = {
			.flags = flag_sets[i] | IORING_SETUP_CQSIZE,
			.cq_entries = 2 * entries,
		};

		err = io_uring_queue_init_params(entries, &u->ring, &p);
	}
	u->ring_ok = !err;
	return err;
}

static void worker_release(struct uring_worker *u)
{
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);
	u->ring_ok = false;
	ufile_pools_release(u);
	worker_ctx_release(&u->ctx);
}

static void uring_destroy(struct backend *be);

/*
 * Files one worker may hold open (two descriptors each): an eighth of the
 * descriptor limit shared by the workers, the rest is the walker's
 * (directories) and the process's.
 */
static unsigned fd_share(unsigned jobs)
{
	struct rlimit rl;
	rlim_t share;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT_MAX;
	share = rl.rlim_cur / 8 / (jobs ? jobs : 1);
	return share > 0 ? (share < UINT_MAX ? (unsigned)share : UINT_MAX) : 1;
}

static struct backend *uring_start(const struct backend_sink *sink, const struct pcopy_opts *opts,
				   int *err)
{
	struct uring_backend *ub = xcalloc(1, sizeof(*ub));

	ub->base.ops = &backend_uring_ops;
	ub->base.sink = *sink;
	ub->base.progress = sink->progress;
	queue_init(&ub->queue, (size_t)opts->jobs * QUEUE_PER_WORKER);
	ub->workers = xcalloc(opts->jobs, sizeof(*ub->workers));
	for (unsigned i = 0; i < opts->jobs; i++) {
		struct uring_worker *u = &ub->workers[i];

		u->ub = ub;
		u->opts = opts;
		u->depth = opts->queue_depth;
		u->fd_share = fd_share(opts->jobs);
		fail_cqe_init(u);
		u->be = &ub->base;
		worker_ctx_init(&u->ctx, opts, sink->progress, i);
		ufile_pools_init(u);
		*err = worker_ring_init(u);
		if (!*err)
			*err = -pthread_create(&u->thread, NULL, uring_worker_main, u);
		if (*err) {
			worker_release(u);
			break;
		}
		ub->nr_workers++;
	}
	if (ub->nr_workers)
		return &ub->base; /* fewer workers than asked still works */
	uring_destroy(&ub->base);
	return NULL;
}

static void uring_submit(struct backend *be, struct job *job)
{
	queue_push(&uring_downcast(be)->queue, job);
}

static void uring_finish(struct backend *be)
{
	struct uring_backend *ub = uring_downcast(be);

	queue_close(&ub->queue);
	for (unsigned i = 0; i < ub->nr_workers; i++)
		pthread_join(ub->workers[i].thread, NULL);
}

static void uring_destroy(struct backend *be)
{
	struct uring_backend *ub = uring_downcast(be);

	for (unsigned i = 0; i < ub->nr_workers; i++)
		worker_release(&ub->workers[i]);
	queue_release(&ub->queue);
	free(ub->workers);
	free(ub);
}

int uring_check_probe(const struct io_uring_probe *probe)
{
	static const int needed[] = {
		IORING_OP_OPENAT,      IORING_OP_READ,	IORING_OP_WRITE,  IORING_OP_READ_FIXED,
		IORING_OP_WRITE_FIXED, IORING_OP_CLOSE, IORING_OP_LINKAT,
	};

	if (!probe)
		return -ENOSYS;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!io_uring_opcode_supported(probe, needed[i]))
			return -ENOSYS;
	return 0;
}

/*
 * Can this process use io_uring with every opcode we issue? A failed
 * io_uring_setup says why: ENOSYS (no io_uring), EPERM
 * (kernel.io_uring_disabled, or a seccomp filter as in containers).
 */
static int uring_probe(void)
{
	struct io_uring_probe *probe;
	struct io_uring ring;
	int err;

	err = io_uring_queue_init(2, &ring, 0);
	if (err)
		return err;
	probe = io_uring_get_probe_ring(&ring);
	err = uring_check_probe(probe);
	if (probe)
		io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
	return err;
}

/* Say which of the usual causes it is, and what to use instead. */
static const char *uring_probe_hint(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return " (io_uring is disabled by sysctl kernel.io_uring_disabled or blocked "
		       "by a seccomp filter; use --backend=thread or auto)";
	case -ENOSYS:
		return " (this kernel has no io_uring, or lacks an operation pcopy needs; "
		       "use --backend=thread or auto)";
	case -ENOMEM:
		return " (io_uring set-up failed: RLIMIT_MEMLOCK may be too low; "
		       "use --backend=thread or auto)";
	}
	return " (io_uring set-up failed; use --backend=thread or auto)";
}

const struct backend_ops backend_uring_ops = {
	.name = "uring",
	.probe = uring_probe,
	.probe_hint = uring_probe_hint,
	.start = uring_start,
	.submit = uring_submit,
	.finish = uring_finish,
	.destroy = uring_destroy,
};
