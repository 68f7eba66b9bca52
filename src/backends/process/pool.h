/* SPDX-License-Identifier: MIT */
/*
 * Private to the process backend: the pool's state, shared by the sending
 * side (backend_process.c, the walker's thread) and the collector thread
 * (proc_collect.c).
 */
#ifndef PCOPY_PROC_POOL_H
#define PCOPY_PROC_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backends/process/proto.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"

struct dir_node;
struct file_task;
struct job;

/* Batches a worker holds at once: one running and the next ones ready, so
 * that it never waits for us, yet a slow batch delays little behind it. */
#ifndef INFLIGHT_BATCHES
#define INFLIGHT_BATCHES 3
#endif
/* A partial batch waits at most this long for more jobs while a worker idles. */
#define PENDING_MAX_NS (20 * 1000000ull)

/* A job on its way, and whether it was already resent once. */
struct proc_entry {
	struct job *job; /* owned until retired */
	bool retried;
	uint8_t dir;	  /* index of job->dir in the batch's dirs */
	uint8_t link_dir; /* JOB_HARDLINK: index of job->link_dir, else PROTO_DIRS_MAX */
};

/* Jobs of a few directories (or one chunk) that travel in one message. */
struct proc_batch {
	struct proc_batch *next;	       /* in a worker's in-flight list or the retry list */
	struct dir_node *dirs[PROTO_DIRS_MAX]; /* the jobs' directories; they hold references */
	unsigned nr_dirs;
	struct file_task *task; /* JOB_CHUNK's, or NULL */
	bool finish;		/* its one job is the task's last step */
	bool retry;		/* resent after a worker died */
	unsigned nr, nr_done;	/* entries, entries answered */
	size_t wire;		/* bytes the message takes */
	uint64_t data;		/* bytes of file data it copies */
	struct proc_entry ent[PROTO_BATCH_MAX];
};

struct proc_worker {
	pid_t pid;			/* 0 when not running */
	int fd;				/* our end of its socketpair; -1 when not running */
	struct proc_batch *head, *tail; /* sent, not all answered, oldest first; owned */
	unsigned nr_batches;
};

struct proc_backend {
	struct backend base;
	pthread_mutex_t lock;			    /* guards the fields below up to 'collector' */
	pthread_cond_t changed;			    /* a worker has room, or jobs were retired */
	struct proc_batch *pending;		    /* being filled by the walker; owned */
	uint64_t pending_ns;			    /* when its first job came */
	struct proc_batch *retry_head, *retry_tail; /* to resend first; owned */
	struct proc_worker *workers;		    /* owned, nr_workers of them */
	unsigned nr_workers;
	unsigned next_worker;	/* where the search for room starts */
	unsigned nr_respawns;	/* replacements forked so far */
	uint64_t nr_out;	/* jobs submitted and not yet retired */
	bool pool_dead;		/* no worker runs and none will: fail jobs */
	bool quit;		/* finish(): the collector shuts the pool down */
	bool stop_sent;		/* workers were told to stop (SIGTERM) */
	unsigned char *sendbuf; /* PROTO_MSG_MAX, used under lock */
	size_t msg_max;		/* largest batch the sockets take */

	pthread_t collector;
	pid_t pid;		  /* ours, that workers compare getppid() with */
	int wake_fd;		  /* eventfd: the collector re-reads 'quit' */
	unsigned char *recvbuf;	  /* collector only */
	pthread_mutex_t fin_lock; /* guards fin */
	struct worker_ctx fin;	  /* for finishing chunked files */
};

/* backend_process.c: batches, and sending what can go without waiting. */
struct proc_batch *proc_batch_new(struct job *job);
void proc_batch_add(struct proc_batch *b, struct job *job, size_t wire, bool retried);
void proc_list_append(struct proc_batch **head, struct proc_batch **tail, struct proc_batch *b);

/*
 * Collector: send the last step of @job's file (its last chunk, now
 * job->finishing) to a worker, ahead of new work. Never waits. False when
 * no worker will run it (the caller finishes the file itself).
 */
bool proc_queue_finish(struct proc_backend *pb, struct job *job);

/* Send the resent batches that workers have room for. Never waits. Lock held. */
void proc_kick_locked(struct proc_backend *pb);

/*
 * Hand the walker's partial batch to an idle worker if it has waited
 * PENDING_MAX_NS by @now_ns (the walker is busy elsewhere). Lock held.
 */
void proc_flush_stale_locked(struct proc_backend *pb, uint64_t now_ns);

/* proc_collect.c: the collector thread and the workers' lives. */

/* The collector thread's body (@arg: the struct proc_backend). */
void *proc_collector_main(void *arg);

/* Fork worker @i with a new socketpair. 0 or -errno. Lock held, or no collector yet. */
int proc_worker_spawn(struct proc_backend *pb, unsigned i);

/* Close every socket (a worker exits at end of file), then reap them all. */
void proc_workers_shutdown(struct proc_backend *pb);

/* Retire the unanswered jobs of the batches in @list with @err; frees them. */
void proc_batches_fail(struct proc_backend *pb, struct proc_batch *list, int err);

/* The error for jobs no worker will run: -EINTR once the run is stopping. */
int proc_lost_error(void);

#endif /* PCOPY_PROC_POOL_H */
