// SPDX-License-Identifier: MIT
/* The bounded job queue the thread and io_uring backends share. */
#include "backends/queue.h"
#include "pcopy/job.h"

void queue_init(struct job_queue *q, size_t capacity)
{
	*q = (struct job_queue){ .capacity = capacity ? capacity : 1 };
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
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
	/* Wake a worker only when one is idle: a busy one comes back by itself. */
	if (q->nr_idle)
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

struct job *queue_take(struct job_queue *q, unsigned max, bool wait)
{
	struct job *first, *last;
	unsigned n = 1;

	pthread_mutex_lock(&q->lock);
	while (wait && !q->head && !q->closed) {
		q->nr_idle++;
		pthread_cond_wait(&q->not_empty, &q->lock);
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
