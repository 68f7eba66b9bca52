/* SPDX-License-Identifier: MIT */
/*
 * Units of work. The walker turns the source tree into jobs, a backend runs
 * them, and engine_job_done() retires them. Directories are not jobs: the
 * walker creates them and the engine applies their metadata once their last
 * child is done (struct dir_node counts the children still pending).
 */
#ifndef PCOPY_JOB_H
#define PCOPY_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct file_task;
struct resume;

/*
 * One directory being copied: its source and destination descriptors and
 * the count of references that keep it open (the walker while it lists,
 * one per pending child job, one per child directory). When the count
 * drops to zero its metadata is applied and the descriptors are closed.
 */
struct dir_node {
	struct dir_node *parent; /* reference held; NULL for an operand root */
	int src_dirfd;		 /* source directory (AT_FDCWD for operand roots) */
	int dst_dirfd;		 /* destination directory, opened O_NOFOLLOW */
	char *src_name;		 /* name in the parent (path for roots); owned */
	char *dst_name;		 /* destination name in the parent (or path); owned */
	struct stat st;		 /* the source directory's status */
	atomic_uint refs;	 /* see above */
	unsigned depth;		 /* 0 for an operand root's parent */
	bool is_root;		 /* pseudo-directory holding an operand: no metadata */
	bool dst_fresh;		 /* created by us: holds no entries we did not make */
	bool meta_pending;	 /* metadata must be applied when refs reaches 0 */
	uid_t new_file_uid;	 /* owner a new file gets here (our euid) */
	gid_t new_file_gid;	 /* group a new file gets here (setgid dirs) */
	dev_t dst_dev;		 /* file system of the destination directory */
	ino_t dst_ino;		 /* its inode, to check it when it is reopened */
	bool followed;		 /* opened following a symlink (-L, -H operand) */
	unsigned root_index;	 /* the source operand it belongs to (MPI work items name it) */
	uint16_t itemize;	 /* --itemize-changes: ITEMIZE_* bits seen by the walker */
};

/* What a job does. */
enum job_kind {
	JOB_FILE,     /* copy one regular file whole */
	JOB_CHUNK,    /* copy one range of a large file (struct file_task) */
	JOB_SYMLINK,  /* recreate a symbolic link */
	JOB_SPECIAL,  /* recreate a FIFO, socket or device node */
	JOB_HARDLINK, /* link to a file already copied in this run */
};

struct job {
	enum job_kind kind;
	struct dir_node *dir; /* parent directory; one reference held by the job */
	char *name;	      /* source name relative to dir->src_dirfd; owned */
	char *dst_name;	      /* destination name relative to dir->dst_dirfd;
				 owned, or == name when the two are the same */
	struct stat st;	      /* the source's status when the walker saw it */
	uint64_t id;	      /* unique per run, for backends that ship jobs */

	/* JOB_HARDLINK: the already-copied file to link to. */
	struct dir_node *link_dir; /* reference held */
	char *link_name;	   /* owned */

	/* JOB_CHUNK: the shared file and the byte range of this job. */
	struct file_task *task; /* reference held */
	uint64_t offset;
	uint64_t length;

	struct hardlink_group *group; /* JOB_FILE with nlink > 1: its group, or NULL */
	bool follow;		      /* open the source following a symlink (-L, -H) */
	bool finalized;		      /* JOB_CHUNK: this chunk finished its file_task */
	bool finishing;		      /* JOB_CHUNK: now carries its file's last step to a
					 worker (process backend; struct file_task) */
	bool published;		      /* the destination name now holds this entry */
	bool err_dst;		      /* the error was on the destination side: name it */
	bool dst_in_place;	      /* JOB_FILE onto an existing FIFO or device: written into */
	bool dst_masked;	      /* created without group/other bits until the owner is set */
	unsigned char skipped;	      /* set by the run: PC_SKIPPED_* counter, or 0 */
	char *backup;		      /* -v: the backup made of the destination, or NULL; owned */
	unsigned char how;	      /* --debug: COPY_HOW_* bits, how the data was copied */
	bool keep_dst_mode;	      /* replacing a regular file without -p: keep its mode, */
	mode_t dst_mode;	      /* these bits, as cp (which writes into it) does */
	uint16_t itemize;	      /* --itemize-changes: ITEMIZE_* bits seen by the walker */
	struct job *next;	      /* free for the current owner's queue */
};

/*
 * A large file copied as several JOB_CHUNKs at once. The walker opens both
 * ends and sizes the destination; the last chunk to finish publishes it.
 */
struct file_task {
	struct job *file_job;	      /* the JOB_FILE this stands for; owned */
	int src_fd;		      /* source, read with explicit offsets */
	int dst_fd;		      /* unnamed destination (O_TMPFILE or temp name) */
	char *tmp_name;		      /* temporary name when O_TMPFILE was refused, or NULL */
	bool may_exist;		      /* the final name may have to be replaced */
	_Atomic uint64_t chunks_left; /* 64 bits: 2^32 chunks of 64 KiB are 256 TiB */
	atomic_int first_err;	      /* first error of any chunk, 0 if none */
	atomic_bool shrunk;	      /* a chunk found the source shorter than seen */
	atomic_bool err_dst;	      /* the first error was the destination's */
	atomic_uchar how;	      /* --debug: COPY_HOW_* of every chunk */
	int final_err;		      /* the file's result, set by the last chunk */
	struct resume *resume;	      /* its journal (pcopy/resume.h), or NULL */
	/* Set by a driver that publishes the file itself (other processes
	 * write other parts of it): the last chunk here calls it instead of
	 * publishing, and the driver takes the task. NULL for the usual case. */
	void (*on_parts_done)(struct file_task *task);
};

/*
 * Set @task's count of chunks for @length bytes in chunks of @chunk bytes
 * (the last one shorter) and return it.
 */
uint64_t file_task_init_chunks(struct file_task *task, uint64_t length, uint64_t chunk);

/* Allocate a job of @kind in @dir (taking a reference on it). */
struct job *job_new(enum job_kind kind, struct dir_node *dir, const char *name,
		    const char *dst_name, const struct stat *st);

/* Free @job and drop the references it holds (not its dir's: see engine). */
void job_free(struct job *job);

/* The display path of the job's source / destination; caller frees. */
char *job_src_path(const struct job *job);
char *job_dst_path(const struct job *job);

/* Display paths of a directory (src or dst side); caller frees. */
char *dir_src_path(const struct dir_node *dir, const char *name);
char *dir_dst_path(const struct dir_node *dir, const char *name);

#endif /* PCOPY_JOB_H */
