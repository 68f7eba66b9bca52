/* SPDX-License-Identifier: MIT */
/*
 * Private to the io_uring backend: a worker's ring, the per-file state
 * machine that drives it (uring_file.c), and the pure logic of one data
 * block (uring_block.c), kept apart so that unit tests can feed it fake
 * completions.
 */
#ifndef PCOPY_URING_H
#define PCOPY_URING_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcopy/copy.h"

struct job;
struct uring_backend;
struct ufile;

/*
 * One buffer's worth of a file: read [off, off + len) into buf, then write
 * it out, in rounds until done. A READ linked to a WRITE of the whole block
 * is the common round; a short read breaks the link (the WRITE comes back
 * -ECANCELED) and the next round writes what arrived and reads the rest.
 */
struct ublk {
	struct ufile *f;   /* the file this block belongs to; NULL when free */
	char *buf;	   /* UBLK_SIZE bytes inside the worker's buffer area */
	uint64_t off;	   /* file offset of buf[0] in the current round */
	uint32_t len;	   /* bytes of the block still to copy from off */
	uint32_t have;	   /* bytes of buf read from the source */
	uint32_t wrote;	   /* bytes of buf written to the destination */
	uint32_t retries;  /* rounds in a row that moved no byte */
	int err;	   /* first hard error of the block, or 0 */
	uint8_t pending;   /* operations of this block in the ring */
	bool eof;	   /* the source ended before the block did */
	bool again;	   /* a read came back -EAGAIN (O_NONBLOCK source) */
	struct ublk *next; /* free list */
};

/* What a block needs once all its operations have completed. */
enum blk_action {
	BLK_READ_WRITE, /* READ len bytes at off, linked to a WRITE of them */
	BLK_WRITE,	/* WRITE buf[wrote, have) at off + wrote */
	BLK_DONE,	/* every byte of the block was copied */
	BLK_EOF,	/* the source is shorter than expected: stop */
	BLK_FAILED,	/* b->err says why */
};

/* Rounds without progress (-EAGAIN, -EINTR) before a block gives up. */
#define UBLK_MAX_RETRIES 1000

void blk_start(struct ublk *b, uint64_t off, uint32_t len);
/* Account a READ / WRITE completion with result @res (cqe->res). */
void blk_on_read(struct ublk *b, int res);
/* Returns the bytes the completion wrote (for progress), else 0. */
uint32_t blk_on_write(struct ublk *b, int res);
/* Decide the next round (b->pending must be 0); moves the window on. */
enum blk_action blk_next(struct ublk *b);

/* Kinds of operation, kept in the low bits of user_data. */
enum uop {
	UOP_OPEN_SRC,
	UOP_OPEN_DST,
	UOP_READ,
	UOP_WRITE,
	UOP_LINK,
	UOP_CLOSE_DST,
	UOP_CLOSE_SRC,
	NR_UOPS
};
#define UOP_MASK 7u

/* One JOB_FILE or JOB_CHUNK in flight in a worker. */
struct ufile {
	struct job *job;	/* owned until backend_job_done() */
	int src_fd, dst_fd;	/* normal descriptors: -a needs fchown, futimens... */
	char *tmp_name;		/* hidden temporary name, or NULL for O_TMPFILE */
	bool may_exist;		/* the final name may have to be replaced */
	bool shrunk;		/* the source ended early */
	bool nonblock_cleared;	/* O_NONBLOCK was taken off the source */
	bool published;		/* LINKAT gave the file its name */
	bool to_eof;		/* st_size 0 (/proc): one block at a time until EOF */
	uint64_t next_off, end; /* the part of the range no block has taken yet */
	unsigned nr_ops;	/* this file's operations in the ring */
	unsigned nr_blks;	/* blocks this file holds */
	int err;		/* first hard error; stops the file */
	int soft;		/* reported after a successful publish */
	struct ufile *next;	/* free list or wait list */
};

/* One worker thread and its ring. */
struct uring_worker {
	struct uring_backend *ub; /* borrowed */
	struct backend *be;	  /* borrowed: ub's base, where jobs go back */
	struct io_uring ring;
	bool ring_ok; /* ring set up (for destroy) */
	pthread_t thread;
	struct worker_ctx ctx; /* for the shared sync code (meta, reflink...) */
	const struct pcopy_opts *opts;
	unsigned depth;	   /* operations allowed in flight */
	unsigned nr_ops;   /* SQEs prepared or submitted, CQEs not yet seen */
	unsigned nr_files; /* files in flight */
	unsigned max_files;
	unsigned fd_share;	/* files in flight the descriptor limit allows */
	unsigned blks_per_file; /* a large file takes at most this many blocks */
	bool fixed_bufs;	/* bufs are registered: READ_FIXED/WRITE_FIXED */
	char *bufs;		/* nr_blks * UBLK_SIZE bytes; owned */
	struct ublk *blks;	/* owned */
	unsigned nr_blks;
	struct ublk *free_blks;
	struct ufile *files; /* max_files entries; owned */
	struct ufile *free_files;
	struct ufile *wait_head, *wait_tail; /* files waiting for a block */
	unsigned long fail_cqe_at;	     /* test hook: fail this completion (1-based) */
	unsigned long nr_cqes;		     /* completions reaped, for the hook */
	int fail_cqe_errno;
};

/* Bytes per block: the largest read or write one operation does. */
#define UBLK_SIZE (256u << 10)
/* Per worker: blocks (UBLK_MAX * UBLK_SIZE bytes of buffers) and files in flight. */
#define UBLK_MAX 64
#define UFILE_MAX 256
/* Files larger than this (and chunks) are copied with copy_file_range (file.c). */
#ifndef UFILE_RING_MAX_SIZE
#define UFILE_RING_MAX_SIZE (4ull << 20)
#endif

/* Set up / release the pools of @u (not its ring). */
void ufile_pools_init(struct uring_worker *u);
void ufile_pools_release(struct uring_worker *u);

/* Can the worker take one more file now (a slot and room in the ring)? */
bool ufile_has_room(const struct uring_worker *u);

/* Start @job: either run it at once (kinds the ring does not do) or queue its first operations. */
void ufile_start(struct uring_worker *u, struct job *job);

/* Handle one completion. */
void ufile_complete(struct uring_worker *u, uint64_t user_data, int res);

/* 0 if @probe shows every opcode the backend issues, else -ENOSYS. */
int uring_check_probe(const struct io_uring_probe *probe);

/* A free SQE (flushing the SQ when it is full), counted in u->nr_ops. */
struct io_uring_sqe *uring_get_sqe(struct uring_worker *u);

#endif /* PCOPY_URING_H */
