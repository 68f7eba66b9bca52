/* SPDX-License-Identifier: MIT */
/*
 * Private to the backends: the bounded job queue between the walker (one
 * producer) and a pool of workers. A full queue blocks the walker, which
 * bounds memory whatever the size of the tree.
 */
#ifndef PCOPY_BACKENDS_QUEUE_H
#define PCOPY_BACKENDS_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct job;

struct job_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty; /* a job was queued, or the queue closed */
	pthread_cond_t not_full;  /* room in the queue */
	struct job *head, *tail;  /* queued jobs, owned, through job->next */
	size_t nr_queued, capacity;
	unsigned nr_idle;      /* workers waiting for a job */
	bool producer_waiting; /* the walker waits for room */
	bool closed;	       /* no more jobs will come */
};

/* Set up @q for at most @capacity queued jobs / release it (empty). */
void queue_init(struct job_queue *q, size_t capacity);
void queue_release(struct job_queue *q);

/* Append @job (taking ownership); blocks while the queue is full. */
void queue_push(struct job_queue *q, struct job *job);

/*
 * Take up to @max jobs (a list through job->next). Waits only when @wait;
 * returns NULL when there is nothing now (without @wait) or once the queue
 * is closed and empty.
 */
struct job *queue_take(struct job_queue *q, unsigned max, bool wait);

/* No more pushes: wake every waiting worker. */
void queue_close(struct job_queue *q);

#endif /* PCOPY_BACKENDS_QUEUE_H */
