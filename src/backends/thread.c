// SPDX-License-Identifier: MIT
/*
 * The thread backend: a pool of pthreads fed by a bounded queue. The
 * walker blocks when the queue is full, which bounds memory whatever the
 * size of the tree.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "backends/queue.h"
#include "backends/sched.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/util.h"

/* Jobs waiting per worker: enough to keep workers busy while the walker
 * stats, small enough that pinned directories stay few. */
#define QUEUE_PER_WORKER 256
/* Jobs a worker takes at once: one lock for a few short jobs. */
#define THREAD_TAKE 4

struct thread_backend {
	struct backend base;
	struct job_queue queue;
	unsigned nr_workers;
	struct thread_worker *workers;
};

struct thread_worker {
	struct thread_backend *tb;
	pthread_t thread;
	struct worker_ctx ctx;
};

static struct thread_backend *thread_downcast(struct backend *be)
{
	if (be->ops != &backend_thread_ops)
		BUG("not a thread backend: %s", be->ops->name);
	return (struct thread_backend *)be;
}

static void *worker_main(void *arg)
{
	struct thread_worker *tw = arg;
	struct backend *be = &tw->tb->base;
	struct job *job;

	progress_bind_slot(be->progress, tw->ctx.slot);
	sched_worker_self();
	while ((job = queue_take(&tw->tb->queue, THREAD_TAKE, true))) {
		while (job) {
			struct job *next = job->next;

			job->next = NULL;
			backend_job_done(be, job, job_run(&tw->ctx, job));
			job = next;
		}
	}
	return NULL;
}

static int thread_probe(void)
{
	return 0;
}

static struct backend *thread_start(const struct backend_sink *sink, const struct pcopy_opts *opts,
				    int *err)
{
	struct thread_backend *tb = xcalloc(1, sizeof(*tb));

	tb->base.ops = &backend_thread_ops;
	tb->base.sink = *sink;
	tb->base.progress = sink->progress;
	queue_init(&tb->queue, (size_t)opts->jobs * QUEUE_PER_WORKER);
	tb->workers = xcalloc(opts->jobs, sizeof(*tb->workers));
	for (unsigned i = 0; i < opts->jobs; i++) {
		struct thread_worker *tw = &tb->workers[i];
		int e;

		tw->tb = tb;
		worker_ctx_init(&tw->ctx, opts, sink->progress, i);
		e = pthread_create(&tw->thread, NULL, worker_main, tw);
		if (e) {
			worker_ctx_release(&tw->ctx);
			if (i == 0) {
				*err = -e;
				free(tb->workers);
				free(tb);
				return NULL;
			}
			break; /* fewer workers than asked still works */
		}
		tb->nr_workers++;
	}
	return &tb->base;
}

static void thread_submit(struct backend *be, struct job *job)
{
	queue_push(&thread_downcast(be)->queue, job);
}

static void thread_finish(struct backend *be)
{
	struct thread_backend *tb = thread_downcast(be);

	queue_close(&tb->queue);
	for (unsigned i = 0; i < tb->nr_workers; i++)
		pthread_join(tb->workers[i].thread, NULL);
}

static void thread_destroy(struct backend *be)
{
	struct thread_backend *tb = thread_downcast(be);

	for (unsigned i = 0; i < tb->nr_workers; i++)
		worker_ctx_release(&tb->workers[i].ctx);
	queue_release(&tb->queue);
	free(tb->workers);
	free(tb);
}

const struct backend_ops backend_thread_ops = {
	.name = "thread",
	.probe = thread_probe,
	.start = thread_start,
	.submit = thread_submit,
	.finish = thread_finish,
	.destroy = thread_destroy,
};
