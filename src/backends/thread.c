// SPDX-License-Identifier: MIT
/*
 * The thread backend: a pool of pthreads fed by a bounded queue. The
 * walker blocks when the queue is full, which bounds memory whatever the
 * size of the tree.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "pcopy/backend.h"
#include "pcopy/engine.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/util.h"

/* Jobs waiting per worker: enough to keep workers busy while the walker
 * stats, small enough that pinned directories stay few. */
#define QUEUE_PER_WORKER 256

struct thread_backend {
	struct backend base;
	pthread_mutex_t lock;
	pthread_cond_t not_empty;   /* a job was queued, or the queue closed */
	pthread_cond_t not_full;    /* a job was taken */
	struct job *head, *tail;    /* queued jobs, owned */
	size_t nr_queued, capacity;
	unsigned nr_idle;           /* workers waiting in queue_pop() */
	bool producer_waiting;      /* the walker waits for room in the queue */
	bool closed;                /* finish() was called: no more jobs */
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

/* Take the next job, or NULL once the queue is closed and empty. */
static struct job *queue_pop(struct thread_backend *tb)
{
	struct job *job;

	pthread_mutex_lock(&tb->lock);
	while (!tb->head && !tb->closed) {
		tb->nr_idle++;
		pthread_cond_wait(&tb->not_empty, &tb->lock);
		tb->nr_idle--;
	}
	job = tb->head;
	if (job) {
		tb->head = job->next;
		if (!tb->head)
			tb->tail = NULL;
		tb->nr_queued--;
		/* Wake the walker only once half the queue is free: waking it
		 * for every job would cost two context switches per file. */
		if (tb->producer_waiting && tb->nr_queued <= tb->capacity / 2) {
			tb->producer_waiting = false;
			pthread_cond_signal(&tb->not_full);
		}
	}
	pthread_mutex_unlock(&tb->lock);
	if (job)
		job->next = NULL;
	return job;
}

static void *worker_main(void *arg)
{
	struct thread_worker *tw = arg;
	struct engine *engine = tw->tb->base.engine;
	struct job *job;

	progress_bind_slot(engine_progress(engine), tw->ctx.slot);
	while ((job = queue_pop(tw->tb)))
		engine_job_done(engine, job, engine_run_job(&tw->ctx, job));
	return NULL;
}

static int thread_probe(void)
{
	return 0;
}

static struct backend *thread_start(struct engine *engine, const struct pcopy_opts *opts,
				    int *err)
{
	struct thread_backend *tb = xcalloc(1, sizeof(*tb));

	tb->base.ops = &backend_thread_ops;
	tb->base.engine = engine;
	tb->base.progress = engine_progress(engine);
	pthread_mutex_init(&tb->lock, NULL);
	pthread_cond_init(&tb->not_empty, NULL);
	pthread_cond_init(&tb->not_full, NULL);
	tb->capacity = (size_t)opts->jobs * QUEUE_PER_WORKER;
	tb->workers = xcalloc(opts->jobs, sizeof(*tb->workers));
	for (unsigned i = 0; i < opts->jobs; i++) {
		struct thread_worker *tw = &tb->workers[i];
		int e;

		tw->tb = tb;
		worker_ctx_init(&tw->ctx, engine, i);
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
	struct thread_backend *tb = thread_downcast(be);

	job->next = NULL;
	pthread_mutex_lock(&tb->lock);
	while (tb->nr_queued >= tb->capacity) {
		tb->producer_waiting = true;
		pthread_cond_wait(&tb->not_full, &tb->lock);
	}
	if (tb->tail)
		tb->tail->next = job;
	else
		tb->head = job;
	tb->tail = job;
	tb->nr_queued++;
	if (tb->nr_idle)
		pthread_cond_signal(&tb->not_empty);
	pthread_mutex_unlock(&tb->lock);
}

static void thread_finish(struct backend *be)
{
	struct thread_backend *tb = thread_downcast(be);

	pthread_mutex_lock(&tb->lock);
	tb->closed = true;
	pthread_cond_broadcast(&tb->not_empty);
	pthread_mutex_unlock(&tb->lock);
	for (unsigned i = 0; i < tb->nr_workers; i++)
		pthread_join(tb->workers[i].thread, NULL);
}

static void thread_destroy(struct backend *be)
{
	struct thread_backend *tb = thread_downcast(be);

	for (unsigned i = 0; i < tb->nr_workers; i++)
		worker_ctx_release(&tb->workers[i].ctx);
	pthread_mutex_destroy(&tb->lock);
	pthread_cond_destroy(&tb->not_empty);
	pthread_cond_destroy(&tb->not_full);
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
