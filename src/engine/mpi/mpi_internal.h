/* SPDX-License-Identifier: MIT */
/*
 * Private to the mpi backend (mpi_*.c). One rank's state: its engine and
 * walker, the communicators, the operand roots, and what it holds for the
 * phases after the walk.
 *
 * The run, on every rank (mpi_run.c):
 *  1. rank 0 walks the operands and makes each top directory (a "root");
 *     the roots are broadcast and every rank opens them;
 *  2. the walk (mpi_walk.c): directories are work items, handed out by a
 *     pull queue on rank 0; the rank that lists a directory creates its
 *     subdirectories before it hands them on, and copies small files,
 *     symlinks and specials at once with the single-node atomic path;
 *  3. after the walk (mpi_plan.c): hard-link groups go to a home rank by
 *     (dev, inode); files above --chunk-size are spread over the ranks as
 *     contiguous runs of chunks (or whole files, where the file system is
 *     not safe for several writers);
 *  4. directory metadata, deepest first, once every rank's data is in;
 *     --delete first in each directory, by the rank that listed it (off
 *     everywhere when any rank could not read the source whole);
 *  5. one status for all: rank 0 sums the counters and broadcasts it.
 * Only the main thread of a rank calls MPI (MPI_THREAD_FUNNELED).
 */
#ifndef PCOPY_MPI_INTERNAL_H
#define PCOPY_MPI_INTERNAL_H

#include <mpi.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "engine/walk_internal.h"
#include "pcopy/progress.h"

/* Message tags: on the work communicator (walk) and the control one. */
enum mpi_tag {
	TAG_ITEMS = 1, /* rank -> 0: directories found (wire items) */
	TAG_REQUEST,   /* rank -> 0: idle, send work */
	TAG_WORK,      /* 0 -> rank: directories to list */
	TAG_DONE,      /* 0 -> rank: the walk is over */
	TAG_PROGRESS,  /* rank -> 0 (control): counters */
	TAG_MESSAGE,   /* rank -> 0 (control): an error or warning line */
	TAG_FINAL,     /* rank -> 0 (control): last counters; no more messages */
};

/* A growable byte buffer for what goes over the wire (mpi_wire.c). */
struct wire {
	char *buf;
	size_t len, alloc;
	size_t pos; /* read position */
	bool bad;   /* a read ran past the end */
};

void wire_put(struct wire *w, const void *data, size_t len);
void wire_put_u32(struct wire *w, uint32_t v);
void wire_put_str(struct wire *w, const char *s);
void wire_get(struct wire *w, void *data, size_t len);
uint32_t wire_get_u32(struct wire *w);
/* A pointer into the buffer (NUL-terminated there), or "" when bad. */
const char *wire_get_str(struct wire *w);
void wire_reset(struct wire *w);
/* Receive the message that MPI_Probe/Iprobe described in @st into @w. */
void wire_recv(struct wire *w, const MPI_Status *st, MPI_Comm comm);
void wire_release(struct wire *w);

/* Counters as shipped to rank 0: every counter, then every total. */
#define MPI_NR_COUNTS (NR_PROGRESS_COUNTERS + NR_PROGRESS_TOTALS)

/* A directory to list: a work item of the walk. */
struct mpi_item {
	uint32_t root;	/* index in mpi_ctx.roots */
	uint32_t flags; /* ITEM_* */
	char rel[];	/* path below the root's top, "" for the top itself */
};

#define ITEM_FRESH 1u /* its destination was just created: nothing to check */
#define ITEM_EMPTY 2u /* -x: a mount point, copied empty (not listed) */
/* --itemize-changes: an existing directory's bits (itemize.h), found by
 * the rank that met it, printed by the rank that lists it when done. */
#define ITEM_ITEMIZE_SHIFT 16

/* One source operand's top directory, as every rank opens it. */
struct mpi_root {
	char *src_path;	  /* the operand as given (relative to the cwd) */
	char *dst_parent; /* the directory the copy goes into */
	char *dst_name;	  /* the copy's name in it */
	uint64_t src_ino; /* to check that every rank opened the same ones */
	uint64_t dst_ino;
	uint64_t dev;		 /* -x: the operand's file system (rank 0's view) */
	bool follow;		 /* the operand was reached through a symlink (-H) */
	bool fresh;		 /* rank 0 created the destination */
	bool multi_writer;	 /* several ranks may write one file (see mpi_plan.c) */
	struct dir_node *top;	 /* this rank's node for it, or NULL */
	struct dir_node *parent; /* the pseudo-directory holding it here */
	bool failed;		 /* could not be opened on this rank */
	bool parent_named;	 /* messages name the parent (the DEST had a directory part) */
};

/* A directory whose metadata this rank applies once all data is written. */
struct mpi_dir {
	uint32_t root;
	uint32_t depth; /* components below the root's top */
	bool fresh;
	uint16_t itemize; /* --itemize-changes: printed once it is done */
	uid_t new_uid;
	gid_t new_gid;
	struct stat st;
	char *rel; /* path below the top ("" for the top) */
};

struct mpi_ctx {
	int rank, size;
	MPI_Comm work; /* the walk's pull queue */
	MPI_Comm ctrl; /* counters and messages to rank 0 */
	MPI_Comm coll; /* collectives */
	const struct pcopy_opts *opts;
	struct engine *engine;
	struct progress *progress;
	struct walker wk;

	struct mpi_root *roots;
	uint32_t nr_roots;
	bool one_node;	 /* every rank runs on this machine (one kernel, one cache) */
	bool delete_off; /* --delete: another rank could not read the source whole */
	char run_id[20]; /* hex, the same on every rank: named temporaries */

	/* The walk (mpi_walk.c). */
	struct wire outbox;	 /* items found here, not yet sent to rank 0 */
	struct mpi_item **stack; /* rank 0: the directories to hand out */
	size_t nr_stack, alloc_stack;
	bool *waiting; /* rank 0: ranks waiting for work */
	int nr_waiting;

	/* Entries kept for after the walk (mpi_plan.c). */
	struct wire links; /* nlink > 1: to their home rank */
	struct wire large; /* above --chunk-size */

	/* Directories whose metadata waits (engine hook; any thread). */
	pthread_mutex_t dirs_lock;
	struct mpi_dir *dirs;
	size_t nr_dirs, alloc_dirs;

	/* Forwarding to rank 0 (mpi_comm.c). */
	pthread_mutex_t msg_lock;
	struct wire msgs; /* ranks > 0: lines waiting to be sent */
	uint64_t last_progress_ns;
	MPI_Request progress_req;
	uint64_t progress_buf[MPI_NR_COUNTS];
	uint64_t *remote; /* rank 0: size x MPI_NR_COUNTS, the latest of each */
	bool final_sent;  /* ranks > 0: no counters after TAG_FINAL */
	bool *final_seen; /* rank 0: who sent TAG_FINAL */
	int nr_final;

	/* Named temporaries this rank created for files written by several
	 * ranks: removed on SIGINT/SIGTERM (mpi_plan.c). */
	pthread_mutex_t temps_lock;
	struct mpi_temp {
		int dirfd;
		char *name;
	} * temps;
	size_t nr_temps, alloc_temps;
};

/* comm.c: waiting without blocking the forwarding, counters, messages. */
void mpi_service(struct mpi_ctx *m);
/* Wait for @req while serving; -EINTR if SIGINT/SIGTERM came first. */
int mpi_wait(struct mpi_ctx *m, MPI_Request *req);
/* Collectives that keep serving while they wait; -EINTR when stopped. */
int mpi_barrier(struct mpi_ctx *m);
int mpi_allreduce(struct mpi_ctx *m, const void *in, void *out, int count, MPI_Datatype type,
		  MPI_Op op);
int mpi_bcast(struct mpi_ctx *m, void *buf, int count, MPI_Datatype type);
/* A rank's message hook (progress.h): queue the line for rank 0. */
void mpi_forward_message(void *ctx, const char *path, const char *message, int err);
/* Ranks > 0: send the last counters; rank 0: wait for everyone's. */
int mpi_final_counts(struct mpi_ctx *m);
void mpi_comm_init(struct mpi_ctx *m);
void mpi_comm_release(struct mpi_ctx *m);

/* mpi_walk.c */
extern const struct walk_hooks mpi_walk_hooks;
/* Rank 0: walk the operands (registering the roots). All: share them. */
int mpi_share_roots(struct mpi_ctx *m);
/* The distributed walk; returns when every rank is out of directories. */
int mpi_walk(struct mpi_ctx *m);
/* A node for directory @rel below root @root (its top for ""), or NULL
 * after reporting why. The caller holds the returned reference. */
struct dir_node *mpi_open_dir(struct mpi_ctx *m, uint32_t root, const char *rel);
/* Open directory @rel below @dirfd, never through a symlink nor out of it;
 * a descriptor or -errno. */
int mpi_open_beneath(int dirfd, const char *rel);
/* The engine's directory-metadata hook: keep @dir for the last phase. */
void mpi_keep_dir(void *ctx, struct dir_node *dir);
/* @dir's path below its root's top; caller frees. */
char *mpi_rel_of(const struct dir_node *dir);
/* Release every rank's roots. */
void mpi_close_roots(struct mpi_ctx *m);

/* mpi_plan.c: after the walk. */
int mpi_copy_links(struct mpi_ctx *m);
int mpi_copy_large(struct mpi_ctx *m);
int mpi_apply_dir_meta(struct mpi_ctx *m);
void mpi_remove_temps(struct mpi_ctx *m);

#endif /* PCOPY_MPI_INTERNAL_H */
