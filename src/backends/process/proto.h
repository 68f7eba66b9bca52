/* SPDX-License-Identifier: MIT */
/*
 * Private: the process backend's wire format. Batches of jobs go from the
 * parent to a worker over a SOCK_SEQPACKET socketpair, with the directory
 * (or file) descriptors they need attached (SCM_RIGHTS); results come back.
 * A batch spans up to PROTO_DIRS_MAX directories: the walker interleaves
 * directories, so batches of one directory averaged 6 jobs on a kernel tree.
 */
#ifndef PCOPY_PROTO_H
#define PCOPY_PROTO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define PROTO_MSG_MAX (64u << 10) /* largest message in either direction */
#define PROTO_BATCH_MAX 64	  /* jobs in one batch */
#define PROTO_DIRS_MAX 16	  /* directories one batch may span */
#define PROTO_NAME_MAX PATH_MAX	  /* bytes of one name, its NUL included */
#define PROTO_NO_DIR 0xffff	  /* proto_job.link_dir of a job that links nothing */
/* Descriptors of one batch: two per directory, then a large file's two. */
#define PROTO_FDS_MAX (2 * PROTO_DIRS_MAX + 3)

/* The first word of every message. */
enum proto_type {
	PROTO_BATCH = 0x54414250,   /* "PBAT": parent to worker */
	PROTO_RESULTS = 0x53455250, /* "PRES": worker to parent */
};

#define PROTO_BATCH_RETRY (1u << 0) /* resent after a worker died: entries may exist */
#define PROTO_BATCH_TASK                                                                           \
	(1u << 1) /* JOB_CHUNKs: the file's source and destination                                 \
		     descriptors come after the directories' */
/* With PROTO_BATCH_TASK: the file's resume journal (pcopy/resume.h) comes
 * third; the worker journals each chunk it copied. */
#define PROTO_BATCH_JOURNAL (1u << 2)

/*
 * A batch: this header, nr_dirs struct proto_dir, then nr_jobs jobs. The
 * descriptors come in the order of the directories, each one's source
 * then destination as its flags say, then the task's two (PROTO_BATCH_TASK).
 */
struct proto_batch_hdr {
	uint32_t type;	  /* PROTO_BATCH */
	uint32_t size;	  /* bytes of the whole message */
	uint32_t nr_jobs; /* 1 .. PROTO_BATCH_MAX */
	uint32_t nr_dirs; /* 1 .. PROTO_DIRS_MAX */
	uint32_t flags;	  /* PROTO_BATCH_* */
	uint32_t pad;
};

#define PROTO_DIR_SRC (1u << 0)	  /* its source descriptor comes along (else AT_FDCWD) */
#define PROTO_DIR_DST (1u << 1)	  /* its destination descriptor comes along (else -1) */
#define PROTO_DIR_FRESH (1u << 2) /* created by this run: no entry in the way */

/* A directory the jobs of a batch are in (struct dir_node's fields they read). */
struct proto_dir {
	uint32_t flags; /* PROTO_DIR_* */
	uint32_t new_file_uid;
	uint32_t new_file_gid;
	uint32_t pad;
	uint64_t dst_dev;
};

/*
 * One job. Its names follow it, NUL-terminated, then padding to 8 bytes:
 * name, dst name (absent when it equals name), link name (JOB_HARDLINK).
 */
struct proto_job {
	uint64_t id;	 /* struct job's id: the parent checks it comes back */
	uint64_t offset; /* JOB_CHUNK: the byte range */
	uint64_t length;
	struct stat st;	   /* the source's status (JOB_CHUNK: the whole file's) */
	uint32_t kind;	   /* enum job_kind */
	uint16_t dir;	   /* index of its directory in the batch */
	uint16_t link_dir; /* JOB_HARDLINK: index of the directory link_name starts
			      from, else PROTO_NO_DIR */
	uint16_t name_len; /* bytes of each name, NUL included; 0 when absent */
	uint16_t dst_len;
	uint16_t link_len;
	uint8_t follow; /* open the source following a symlink */
	uint8_t finish; /* JOB_CHUNK: PROTO_FINISH_* (its file's last step) */
};

/*
 * A JOB_CHUNK with PROTO_FINISH is not a range: it is its file's last step
 * (metadata, --verify, --fsync, publish), run by a worker so that the
 * parent's collector never waits for it. Its names are the file's; its
 * link name, if any, the temporary name of the destination.
 */
#define PROTO_FINISH (1u << 0)
#define PROTO_FINISH_MAY_EXIST (1u << 1) /* the final name may have to be replaced */
#define PROTO_FINISH_SHRUNK (1u << 2)	 /* a chunk found the source shorter */
#define PROTO_FINISH_MASKED (1u << 3)	 /* created owner-only: the mode comes after the owner */
#define PROTO_FINISH_ALL 15u

struct proto_results_hdr {
	uint32_t type;	     /* PROTO_RESULTS */
	uint32_t size;	     /* bytes of the whole message */
	uint32_t nr_results; /* 0 .. PROTO_BATCH_MAX records follow */
	uint32_t pad;
	uint64_t bytes; /* data bytes written since the previous message */
};

/* The outcome of one job, in the order the worker received them. */
struct proto_result {
	uint64_t id;
	int32_t err;	   /* 0 or negative (errno or -PCOPY_E*) */
	uint8_t published; /* the destination name now holds the entry */
	uint8_t skipped;   /* PC_SKIPPED_* or 0 */
	uint8_t err_dst;   /* @err happened on the destination side */
	uint8_t how;	   /* --debug: COPY_HOW_* bits */
};

/* A message being built in a caller's buffer. */
struct proto_writer {
	unsigned char *buf; /* borrowed; at least the header's size */
	size_t cap, len;
	uint32_t nr;	  /* records (jobs or results) */
	uint32_t nr_dirs; /* batch: directory records */
};

/* A received batch, checked; names point into the message buffer. */
struct proto_job_view {
	struct proto_job rec;
	const char *name;      /* NULL when absent (JOB_CHUNK) */
	const char *dst_name;  /* == name when the record had none */
	const char *link_name; /* NULL unless JOB_HARDLINK */
};

struct proto_batch_view {
	struct proto_batch_hdr hdr;
	unsigned nr_jobs, nr_dirs;
	struct proto_dir dirs[PROTO_DIRS_MAX];
	/* Index in the received descriptors of each directory's source and
	 * destination (-1: absent), and of the task's (PROTO_BATCH_TASK). */
	int src_fd[PROTO_DIRS_MAX], dst_fd[PROTO_DIRS_MAX];
	int task_src_fd, task_dst_fd, task_journal_fd;
	struct proto_job_view jobs[PROTO_BATCH_MAX];
};

/* Bytes a job record takes on the wire with names of these lengths (no NUL). */
size_t proto_job_size(size_t name_len, size_t dst_len, size_t link_len);

/* Start a batch with PROTO_BATCH_* @flags in @buf (@cap bytes). */
void proto_batch_start(struct proto_writer *wr, void *buf, size_t cap, uint32_t flags);

/* Append a directory record (all of them before the first job). 0 or -E2BIG. */
int proto_batch_add_dir(struct proto_writer *wr, const struct proto_dir *dir);

/*
 * Append job @rec with its names (@dst_name NULL or equal to @name: not
 * sent; @name and @link_name may be NULL). Returns 0, -ENAMETOOLONG when a
 * name is longer than PROTO_NAME_MAX allows, or -E2BIG when the batch is full.
 */
int proto_batch_add(struct proto_writer *wr, const struct proto_job *rec, const char *name,
		    const char *dst_name, const char *link_name);

/* Close the batch; returns the message's length. */
size_t proto_batch_end(struct proto_writer *wr);

/*
 * Check the batch in @buf (@len bytes, as received, with @nr_fds
 * descriptors) and describe it in @view. Returns 0 or -EBADMSG: wrong
 * type or size, a truncated record or name, a name without its NUL, a
 * directory index out of range, a kind that lacks its descriptors.
 */
int proto_batch_parse(const void *buf, size_t len, unsigned nr_fds, struct proto_batch_view *view);

/* Start / extend / close a results message. add: 0 or -E2BIG. */
void proto_results_start(struct proto_writer *wr, void *buf, size_t cap);
int proto_results_add(struct proto_writer *wr, const struct proto_result *res);
size_t proto_results_end(struct proto_writer *wr, uint64_t bytes);

/*
 * Check the results in @buf (@len bytes): header into @hdr. Returns 0 or
 * -EBADMSG. Record @i is then read with proto_result_get().
 */
int proto_results_parse(const void *buf, size_t len, struct proto_results_hdr *hdr);
void proto_result_get(const void *buf, unsigned i, struct proto_result *res);

/*
 * Send @len bytes from @buf as one message with @nr_fds descriptors
 * attached. Never raises SIGPIPE. Returns 0 or a negative errno.
 */
int proto_send(int sock, const void *buf, size_t len, const int *fds, unsigned nr_fds);

/*
 * Receive one message into @buf (@cap bytes) and its descriptors into
 * @fds (room for PROTO_FDS_MAX; *nr_fds set). Returns the length, 0 at end
 * of file, -EBADMSG for a message or descriptor list that did not fit
 * (descriptors then closed), or another negative errno. @flags as recvmsg.
 */
ssize_t proto_recv(int sock, void *buf, size_t cap, int *fds, unsigned *nr_fds, int flags);

#endif /* PCOPY_PROTO_H */
