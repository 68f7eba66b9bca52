// SPDX-License-Identifier: MIT
/* The bounded job queue the thread and io_uring backends share. */
#include <time.h>

#include "backends/queue.h"
#include "pcopy/job.h"

/* Jobs queued before an idle worker is woken; it polls this often anyway. */
#define QUEUE_WAKE_BATCH 16
#define QUEUE_IDLE_POLL_NS 1000000L

void queue_init(struct job_queue *q, size_t capacity)
{
	pthread_condattr_t attr;

	*q = (struct job_queue){ .capacity = capacity ? capacity : 1 };
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_empty, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&q->not_full, NULL);
}

void queue_release(struct job_queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
}

void queue_push(struct job_queue *q, struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&q->lock);
	while (q->nr_queued >= q->capacity) {
		q->producer_waiting = true;
		pthread_cond_wait(&q->not_full, &q->lock);
	}
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	q->nr_queued++;
	/* Wake a worker only when one is idle (a busy one comes back by
	 * itself), and only once a few jobs wait: waking it for each short job
	 * (an up-to-date file under -u) costs two futex calls per file. An
	 * idle worker looks by itself every QUEUE_IDLE_POLL_NS anyway. */
	if (q->nr_idle && q->nr_queued >= QUEUE_WAKE_BATCH)
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

struct job *queue_take(struct job_queue *q, unsigned max, bool wait)
{
	struct job *first, *last;
	unsigned n = 1;

	pthread_mutex_lock(&q->lock);
	while (wait && !q->head && !q->closed) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += QUEUE_IDLE_POLL_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		q->nr_idle++;
		pthread_cond_timedwait(&q->not_empty, &q->lock, &until);
		q->nr_idle--;
	}
	first = last = q->head;
	if (first) {
		while (n < max && last->next) {
			last = last->next;
			n++;
		}
		q->head = last->next;
		if (!q->head)
			q->tail = NULL;
		last->next = NULL;
		q->nr_queued -= n;
		/* Wake the walker only once half the queue is free: waking it
		 * for every job would cost two context switches per file. */
		if (q->producer_waiting && q->nr_queued <= q->capacity / 2) {
			q->producer_waiting = false;
			pthread_cond_signal(&q->not_full);
		}
	}
	pthread_mutex_unlock(&q->lock);
	return first;
}

void queue_close(struct job_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}
