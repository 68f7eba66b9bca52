// SPDX-License-Identifier: MIT
/*
 * The io_uring backend's per-file state machine: open both ends, move the
 * data in linked READ->WRITE blocks, then link the finished file into place
 * and close it, all as ring operations; only what io_uring has no opcode
 * for (metadata, FICLONE) runs in the worker between two ring waits.
 * Files above UFILE_RING_MAX_SIZE and chunks of split files are copied by
 * the worker with copy_file_range instead (ring_does()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/uring/uring.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"
#include "pcopy/copy_file.h"
#include "pcopy/dest.h"
#include "pcopy/job.h"
#include "pcopy/meta.h"
#include "pcopy/progress.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* As dest_create_tmp() opens an unnamed destination. */
#define TMPFILE_FLAGS (O_TMPFILE | O_RDWR | O_CLOEXEC)

/* user_data is a pointer to a ufile or ublk with the op in its low bits. */
_Static_assert(_Alignof(struct ufile) > UOP_MASK && _Alignof(struct ublk) > UOP_MASK,
	       "operation kinds do not fit below the pointers");
_Static_assert(NR_UOPS <= UOP_MASK + 1, "too many operation kinds");

static void sqe_tag(struct io_uring_sqe *sqe, void *obj, enum uop op)
{
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)obj | op);
}

struct io_uring_sqe *uring_get_sqe(struct uring_worker *u)
{
	struct io_uring_sqe *sqe;

	/* A full SQ is not an error (io_uring-cp asserts): flush it. */
	while (!(sqe = io_uring_get_sqe(&u->ring))) {
		int ret = io_uring_submit(&u->ring);

		/* The CQ cannot overflow (operations in flight stay below its
		 * size), so only a signal can make this fail. */
		if (ret < 0 && ret != -EINTR)
			BUG("io_uring_submit: %d", ret);
	}
	u->nr_ops++;
	return sqe;
}

/* Make room for @n SQEs in a row, so that a linked chain is never split
 * across two submissions (its link would end at the split). */
static void reserve_sqes(struct uring_worker *u, unsigned n)
{
	if (io_uring_sq_space_left(&u->ring) < n)
		io_uring_submit(&u->ring);
}

void ufile_pools_init(struct uring_worker *u)
{
	unsigned half = u->depth / 2 ? u->depth / 2 : 1;

	/* A block costs two operations in flight, a file two to three; the
	 * caps bound memory and descriptors whatever --queue-depth says. */
	u->nr_blks = half < UBLK_MAX ? half : UBLK_MAX;
	u->max_files = half < UFILE_MAX ? half : UFILE_MAX;
	/* Each file in flight holds two descriptors: under a low limit
	 * (ulimit -n 64) keep to a share of it, the walker needs some too. */
	if (u->max_files > u->fd_share)
		u->max_files = u->fd_share ? u->fd_share : 1;
	u->blks_per_file = u->nr_blks / 4 ? u->nr_blks / 4 : 1;
	u->bufs = xmalloc((size_t)u->nr_blks * UBLK_SIZE);
	u->blks = xcalloc(u->nr_blks, sizeof(*u->blks));
	for (unsigned i = u->nr_blks; i-- > 0;) {
		u->blks[i].buf = u->bufs + (size_t)i * UBLK_SIZE;
		u->blks[i].next = u->free_blks;
		u->free_blks = &u->blks[i];
	}
	u->files = xcalloc(u->max_files, sizeof(*u->files));
	for (unsigned i = u->max_files; i-- > 0;) {
		u->files[i].next = u->free_files;
		u->free_files = &u->files[i];
	}
}

void ufile_pools_release(struct uring_worker *u)
{
	free(u->bufs);
	free(u->blks);
	free(u->files);
	u->bufs = NULL;
	u->blks = NULL;
	u->files = NULL;
}

bool ufile_has_room(const struct uring_worker *u)
{
	if (!u->free_files)
		return false;
	/* Always one file, however small the queue depth. */
	return u->nr_files == 0 || u->nr_ops + 2 <= u->depth;
}

static struct ufile *file_get(struct uring_worker *u, struct job *job)
{
	struct ufile *f = u->free_files;

	u->free_files = f->next;
	memset(f, 0, sizeof(*f));
	f->job = job;
	f->src_fd = -1;
	f->dst_fd = -1;
	u->nr_files++;
	return f;
}

/* The file is over: hand its job back to the engine with @err. */
static void file_end(struct uring_worker *u, struct ufile *f, int err)
{
	struct job *job = f->job;

	f->job = NULL;
	f->next = u->free_files;
	u->free_files = f;
	u->nr_files--;
	backend_job_done(u->be, job, err);
}

static void file_fail(struct ufile *f, int err)
{
	if (!f->err)
		f->err = err;
}

/* The kinds of job the ring runs; the rest runs in the worker at once. */
static bool ring_does(const struct uring_worker *u, const struct job *job)
{
	const struct pcopy_opts *opts = u->opts;
	const struct stat *st;

	if (opts->dry_run || stop_requested())
		return false;
	/*
	 * Large files move with copy_file_range in the worker: in the kernel
	 * it copies each page once, where READ+WRITE through our buffers
	 * copies it twice (issue 18: 4 x 1 GiB on tmpfs, quiet machine, took
	 * 1.55 s and 2.8 CPU-s through the ring, 1.37 s and 2.4 CPU-s this
	 * way; cp -a 1.5 s). The ring's gain is in batching the system calls
	 * of many small files, not in moving bytes.
	 */
	if (job->kind != JOB_FILE || (uint64_t)job->st.st_size > UFILE_RING_MAX_SIZE)
		return false;
	st = &job->st;
	/* Holes (SEEK_DATA/SEEK_HOLE) and zero runs to punch, and clones
	 * that must succeed, are the shared code's business. */
	if (opts->sparse == SPARSE_ALWAYS || (opts->sparse == SPARSE_AUTO && copy_is_sparse(st)))
		return false;
	return opts->reflink != REFLINK_ALWAYS;
}

static void prep_rw(struct uring_worker *u, struct io_uring_sqe *sqe, bool write, int fd, char *buf,
		    uint32_t len, uint64_t off)
{
	if (u->fixed_bufs && write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, off, 0);
	else if (u->fixed_bufs)
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, 0);
	else if (write)
		io_uring_prep_write(sqe, fd, buf, len, off);
	else
		io_uring_prep_read(sqe, fd, buf, len, off);
}

static void blk_submit(struct uring_worker *u, struct ublk *b, enum blk_action a)
{
	struct ufile *f = b->f;
	struct io_uring_sqe *sqe;

	if (a == BLK_WRITE) {
		sqe = uring_get_sqe(u);
		prep_rw(u, sqe, true, f->dst_fd, b->buf + b->wrote, b->have - b->wrote,
			b->off + b->wrote);
		sqe_tag(sqe, b, UOP_WRITE);
		b->pending = 1;
		f->nr_ops += 1;
		return;
	}
	reserve_sqes(u, 2);
	sqe = uring_get_sqe(u);
	prep_rw(u, sqe, false, f->src_fd, b->buf, b->len, b->off);
	/* The write goes only if the read filled the block; a short read
	 * cancels it and the next round writes what came. */
	sqe->flags |= IOSQE_IO_LINK;
	sqe_tag(sqe, b, UOP_READ);
	sqe = uring_get_sqe(u);
	prep_rw(u, sqe, true, f->dst_fd, b->buf, b->len, b->off);
	sqe_tag(sqe, b, UOP_WRITE);
	b->pending = 2;
	f->nr_ops += 2;
}

/* Give @b the next range of its file and start it. */
static void blk_take_range(struct uring_worker *u, struct ublk *b)
{
	struct ufile *f = b->f;
	uint64_t len = f->end - f->next_off;

	if (len > UBLK_SIZE)
		len = UBLK_SIZE;
	blk_start(b, f->next_off, (uint32_t)len);
	f->next_off += len;
	blk_submit(u, b, BLK_READ_WRITE);
}

/* Blocks while the file has range left, blocks are free and it is below its share. */
static void file_pump(struct uring_worker *u, struct ufile *f)
{
	while (f->next_off < f->end && u->free_blks &&
	       (f->nr_blks == 0 ||
		(!f->to_eof && f->nr_blks < u->blks_per_file && !u->wait_head))) {
		struct ublk *b = u->free_blks;

		u->free_blks = b->next;
		b->f = f;
		f->nr_blks++;
		blk_take_range(u, b);
	}
}

static void file_finish(struct uring_worker *u, struct ufile *f);

/* Data can start: take blocks now, or queue for the next free one. */
static void file_data(struct uring_worker *u, struct ufile *f)
{
	if (f->err || f->next_off >= f->end) {
		file_finish(u, f);
		return;
	}
	if (!u->free_blks) {
		f->next = NULL;
		if (u->wait_tail)
			u->wait_tail->next = f;
		else
			u->wait_head = f;
		u->wait_tail = f;
		return;
	}
	file_pump(u, f);
}

static void blk_release(struct uring_worker *u, struct ublk *b)
{
	struct ufile *f = b->f, *waiter = u->wait_head;

	b->f = NULL;
	b->next = u->free_blks;
	u->free_blks = b;
	f->nr_blks--;
	if (waiter) {
		u->wait_head = waiter->next;
		if (!u->wait_head)
			u->wait_tail = NULL;
		file_pump(u, waiter);
	}
	if (f->nr_blks == 0)
		file_finish(u, f);
}

/* A read said -EAGAIN: the source is O_NONBLOCK on a file system that
 * cannot read without blocking. Make it blocking (io-wq then waits). */
static void clear_nonblock(struct ufile *f)
{
	int flags = fcntl(f->src_fd, F_GETFL);

	f->nonblock_cleared = true;
	if (flags >= 0)
		(void)fcntl(f->src_fd, F_SETFL, flags & ~O_NONBLOCK);
}

/* All operations of @b are back: go on with it, or let it go. */
static void blk_settle(struct uring_worker *u, struct ublk *b)
{
	struct ufile *f = b->f;
	enum blk_action a;

	if (b->again && !f->nonblock_cleared)
		clear_nonblock(f);
	b->again = false;
	if (stop_requested())
		file_fail(f, -EINTR);
	/* Another block failed: this one stops too. */
	a = f->err ? BLK_FAILED : blk_next(b);
	switch (a) {
	case BLK_READ_WRITE:
	case BLK_WRITE:
		blk_submit(u, b, a);
		return;
	case BLK_DONE:
		if (f->next_off < f->end && !f->err && !f->shrunk) {
			blk_take_range(u, b);
			return;
		}
		break;
	case BLK_EOF:
		/* Blocks before this one still copy what they read. */
		f->shrunk = true;
		f->next_off = f->end;
		break;
	case BLK_FAILED:
		file_fail(f, b->err ? b->err : f->err);
		break;
	}
	blk_release(u, b);
}

static void on_block(struct uring_worker *u, struct ublk *b, enum uop op, int res)
{
	b->f->nr_ops--;
	b->pending--;
	if (op == UOP_READ) {
		blk_on_read(b, res);
	} else {
		uint32_t n;

		/* Messages name the side that failed: here the destination. */
		if (res < 0 && res != -EAGAIN && res != -EINTR && res != -ECANCELED && !b->f->err)
			b->f->job->err_dst = true;
		n = blk_on_write(b, res);

		if (n) {
			progress_count(u->ctx.progress, PC_BYTES, n);
			progress_throttle(u->ctx.progress, n);
		}
	}
	if (!b->pending)
		blk_settle(u, b);
}

/* Both ends are open (or failed): clone if the file systems can, else copy. */
static void file_opened(struct uring_worker *u, struct ufile *f)
{
	struct job *job = f->job;
	int r;

	f->next_off = 0;
	f->end = (uint64_t)job->st.st_size;
	if (stop_requested())
		file_fail(f, -EINTR);
	if (!f->err && f->end) {
		/* After the first refusal per file-system pair this costs nothing. */
		copy_select_pair(&u->ctx, job->st.st_dev, job->dir->dst_dev);
		u->ctx.how = 0;
		r = copy_try_reflink(&u->ctx, f->src_fd, f->dst_fd, &job->st);
		job->how = u->ctx.how | (r == 1 ? COPY_HOW_RW : 0);
		if (r <= 0) {
			file_fail(f, r);
			f->next_off = f->end;
		}
	}
	/* st_size only picks the fast path: 0 (/proc, /sys, some FUSE) is
	 * read in order until a read returns 0, in the ring like the rest. */
	if (!job->st.st_size) {
		f->to_eof = true;
		f->end = UINT64_MAX;
	}
	file_data(u, f);
}

/* The destination is made by the shared code: no O_TMPFILE here. */
static void open_dst_sync(struct uring_worker *u, struct ufile *f)
{
	f->dst_fd = job_create_dest(u->opts, f->job, &f->tmp_name);
	if (f->dst_fd < 0) {
		f->job->err_dst = true;
		file_fail(f, f->dst_fd);
		f->dst_fd = -1;
	}
}

static void on_open(struct uring_worker *u, struct ufile *f, enum uop op, int res)
{
	bool out_of_fds = res == -EMFILE || res == -ENFILE;

	if (op == UOP_OPEN_SRC) {
		/* The shared code waits for descriptors to come free. */
		f->src_fd = out_of_fds ? job_open_source(f->job) : res;
		if (f->src_fd < 0) {
			file_fail(f, f->src_fd == -ENOENT ? -PCOPY_EVANISHED : f->src_fd);
			f->src_fd = -1;
		}
	} else if (res >= 0) {
		f->dst_fd = res;
	} else if (out_of_fds || res == -EOPNOTSUPP || res == -EISDIR || res == -EINVAL) {
		/* dest_create_tmp() learns that O_TMPFILE is refused and uses
		 * a hidden name instead, here and for later files. */
		open_dst_sync(u, f);
	} else {
		f->job->err_dst = true;
		file_fail(f, res);
	}
	if (!f->nr_ops)
		file_opened(u, f);
}

/* JOB_FILE: queue the opens of both ends. */
static void file_open(struct uring_worker *u, struct ufile *f)
{
	struct job *job = f->job;
	struct io_uring_sqe *sqe;
	int err;

	err = job_precheck(&u->ctx, job, &f->may_exist);
	if (err) {
		job->err_dst = err < 0; /* what is in the way is in the destination */
		file_end(u, f, err > 0 ? 0 : err);
		return;
	}
	/* A FIFO or device to write into (rare): the shared code, here. */
	if (job->dst_in_place) {
		file_end(u, f, job_run_in_place(&u->ctx, job));
		return;
	}
	sqe = uring_get_sqe(u);
	io_uring_prep_openat(sqe, job->dir->src_dirfd, job->name, job_source_flags(job), 0);
	sqe_tag(sqe, f, UOP_OPEN_SRC);
	f->nr_ops++;
	if (!dest_unnamed_ok(job->dir->dst_dev)) {
		open_dst_sync(u, f);
		return;
	}
	sqe = uring_get_sqe(u);
	io_uring_prep_openat(sqe, job->dir->dst_dirfd, ".", TMPFILE_FLAGS,
			     job_dest_mode(u->opts, job));
	sqe_tag(sqe, f, UOP_OPEN_DST);
	f->nr_ops++;
}

/* JOB_CHUNK: the walker opened and sized the file; copy the range. */
static void chunk_start(struct uring_worker *u, struct ufile *f)
{
	struct job *job = f->job;
	struct file_task *task = job->task;

	f->src_fd = task->src_fd;
	f->dst_fd = task->dst_fd;
	f->next_off = job->offset;
	f->end = job->offset + job->length;
	atomic_fetch_or(&task->how, COPY_HOW_RW);
	/* Another chunk failed: the file is lost, do not copy this part. */
	if (atomic_load(&task->first_err))
		f->next_off = f->end;
	file_data(u, f);
}

static void close_async(struct uring_worker *u, struct ufile *f, int fd, enum uop op)
{
	struct io_uring_sqe *sqe = uring_get_sqe(u);

	io_uring_prep_close(sqe, fd);
	sqe_tag(sqe, f, op);
	f->nr_ops++;
}

/*
 * Publish: LINKAT of the unnamed file, and the source's CLOSE. The
 * destination is closed only once LINKAT is back: a failed LINKAT does
 * not break an IOSQE_IO_LINK chain (only reads, writes and opens do), and
 * the fallback needs the descriptor.
 */
static void file_publish(struct uring_worker *u, struct ufile *f)
{
	struct dir_node *dir = f->job->dir;
	struct io_uring_sqe *sqe;

	close_async(u, f, f->src_fd, UOP_CLOSE_SRC);
	if (f->tmp_name) {
		/* Rare (no O_TMPFILE): rename by the shared code. */
		f->err = dest_publish(f->dst_fd, &f->tmp_name, dir->dst_dirfd, f->job->dst_name,
				      f->may_exist);
		f->published = !f->err;
		close_async(u, f, f->dst_fd, UOP_CLOSE_DST);
		return;
	}
	sqe = uring_get_sqe(u);
	io_uring_prep_linkat(sqe, f->dst_fd, "", dir->dst_dirfd, f->job->dst_name, AT_EMPTY_PATH);
	sqe_tag(sqe, f, UOP_LINK);
	f->nr_ops++;
}

/* The data is done (or failed): metadata, then publish or abandon. */
static void file_finish(struct uring_worker *u, struct ufile *f)
{
	struct job *job = f->job;

	if (job->kind == JOB_CHUNK) {
		file_end(u, f, job_chunk_done(&u->ctx, job, f->err, f->shrunk));
		return;
	}
	/* Metadata has no opcodes: it runs here, between two ring waits,
	 * while the other files' operations go on in the kernel. */
	if (!f->err)
		f->err = job_file_prepare(&u->ctx, job, f->src_fd, f->dst_fd, f->shrunk, &f->soft);
	if (!f->err) {
		file_publish(u, f);
		return;
	}
	dest_abort(job->dir->dst_dirfd, &f->tmp_name);
	close_quietly(f->dst_fd);
	close_quietly(f->src_fd);
	file_end(u, f, f->err);
}

static void on_publish(struct uring_worker *u, struct ufile *f, enum uop op, int res)
{
	struct dir_node *dir = f->job->dir;

	if (op == UOP_LINK) {
		f->published = res == 0;
		/* A name in the way, no AT_EMPTY_PATH...: the shared code
		 * knows every way round. */
		if (res) {
			f->err = dest_publish(f->dst_fd, &f->tmp_name, dir->dst_dirfd,
					      f->job->dst_name, f->may_exist);
			f->published = !f->err;
			if (f->err)
				f->job->err_dst = true;
		}
		close_async(u, f, f->dst_fd, UOP_CLOSE_DST);
		return;
	}
	/* Errors of close itself are ignored, as close_quietly() does. */
	if (f->nr_ops)
		return;
	f->job->published = f->published;
	file_end(u, f, f->err ? f->err : f->soft);
}

void ufile_complete(struct uring_worker *u, uint64_t user_data, int res)
{
	enum uop op = (enum uop)(user_data & UOP_MASK);
	void *obj = (void *)(uintptr_t)(user_data & ~(uint64_t)UOP_MASK);
	struct ufile *f = obj;

	u->nr_ops--;
	switch (op) {
	case UOP_READ:
	case UOP_WRITE:
		on_block(u, obj, op, res);
		return;
	case UOP_OPEN_SRC:
	case UOP_OPEN_DST:
		f->nr_ops--;
		on_open(u, f, op, res);
		return;
	case UOP_LINK:
	case UOP_CLOSE_DST:
	case UOP_CLOSE_SRC:
		f->nr_ops--;
		on_publish(u, f, op, res);
		return;
	case NR_UOPS:
		break;
	}
	BUG("bad io_uring user_data %#llx", (unsigned long long)user_data);
}

void ufile_start(struct uring_worker *u, struct job *job)
{
	struct ufile *f;

	if (!ring_does(u, job)) {
		backend_job_done(u->be, job, job_run(&u->ctx, job));
		return;
	}
	f = file_get(u, job);
	if (job->kind == JOB_CHUNK)
		chunk_start(u, f);
	else
		file_open(u, f);
}
