// SPDX-License-Identifier: MIT
/* Copy data from one file to another: clone, in-kernel copy, or read/write. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pcopy/copy.h"
#include "pcopy/copy_file.h"
#include "pcopy/progress.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* One copy_file_range call moves at most this much, so that an interrupt
 * is noticed soon and progress moves on huge files. */
#define COPY_RANGE_STEP (64ull << 20)

/* Forget what we learned when the pair of file systems changes. */
void copy_select_pair(struct worker_ctx *w, dev_t src_dev, dev_t dst_dev)
{
	if (w->caps_known && w->caps_src_dev == src_dev && w->caps_dst_dev == dst_dev)
		return;
	w->caps_known = true;
	w->caps_src_dev = src_dev;
	w->caps_dst_dev = dst_dev;
	w->no_reflink = false;
	w->no_copy_range = false;
}

bool copy_is_sparse(const struct stat *st)
{
	return (uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size;
}

static bool is_clone_unsupported(int err)
{
	return err == -EOPNOTSUPP || err == -ENOTTY || err == -EXDEV || err == -EINVAL ||
	       err == -ENOSYS || err == -EBADF || err == -EPERM;
}

int copy_try_reflink(struct worker_ctx *w, int src_fd, int dst_fd, const struct stat *src_st)
{
	const struct pcopy_opts *opts = w->opts;
	int err;

	if (opts->reflink == REFLINK_NEVER)
		return 1;
	if (w->no_reflink) {
		w->how |= COPY_HOW_REFLINK_FAIL;
		return opts->reflink == REFLINK_ALWAYS ? -EOPNOTSUPP : 1;
	}
	if (ioctl(dst_fd, FICLONE, src_fd) == 0) {
		w->how |= COPY_HOW_REFLINK;
		progress_count(w->progress, PC_BYTES, (uint64_t)src_st->st_size);
		return 0;
	}
	err = neg_errno();
	if (!is_clone_unsupported(err))
		return err;
	w->how |= COPY_HOW_REFLINK_FAIL;
	w->no_reflink = true;
	return opts->reflink == REFLINK_ALWAYS ? -EOPNOTSUPP : 1;
}

static bool is_copy_range_unsupported(int err)
{
	return err == -EXDEV || err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS ||
	       err == -EBADF || err == -EPERM || err == -ETXTBSY;
}

static bool all_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* pwrite all of @buf[0..@n) at @off. */
static int pwrite_all(struct worker_ctx *w, int dst_fd, const char *buf, size_t n, uint64_t off)
{
	for (size_t done = 0; done < n;) {
		ssize_t m = pwrite(dst_fd, buf + done, n - done, (off_t)(off + done));

		if (m < 0) {
			if (errno == EINTR)
				continue;
			w->err_on_dst = true;
			return neg_errno();
		}
		done += (size_t)m;
	}
	return 0;
}

/* The granularity of --sparse=always: cp looks for zeros block by block. */
#define HOLE_BLOCK 4096

/*
 * --sparse=always: write @buf[0..@n) at @off but leave out every all-zero
 * block, so that those become holes (the caller sized the file).
 */
static int write_sparse(struct worker_ctx *w, int dst_fd, const char *buf, size_t n, uint64_t off)
{
	size_t pos = 0;

	while (pos < n) {
		size_t start, len;
		int err;

		/* Align on the file offset, so that the holes are whole blocks. */
		len = HOLE_BLOCK - (size_t)((off + pos) % HOLE_BLOCK);
		if (len > n - pos)
			len = n - pos;
		if (all_zero(buf + pos, len)) {
			pos += len;
			continue;
		}
		start = pos;
		pos += len;
		while (pos < n) {
			len = n - pos < HOLE_BLOCK ? n - pos : HOLE_BLOCK;
			if (all_zero(buf + pos, len))
				break;
			pos += len;
		}
		err = pwrite_all(w, dst_fd, buf + start, pos - start, off + start);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Copy with pread/pwrite through the worker's buffer. With --sparse=always
 * zero blocks are skipped so that they become holes (the caller sized the
 * file, so skipped tails read back as zeros).
 */
static int copy_rw(struct worker_ctx *w, int src_fd, int dst_fd, uint64_t off, uint64_t end,
		   bool make_holes, bool *shrunk)
{
	struct progress *p = w->progress;

	w->how |= COPY_HOW_RW | (make_holes ? COPY_HOW_ZEROS : 0);
	while (off < end) {
		size_t want = end - off < WORKER_BUF_SIZE ? end - off : WORKER_BUF_SIZE;
		ssize_t n = pread(src_fd, w->buf, want, (off_t)off);
		int err;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0) {
			*shrunk = true;
			return 0;
		}
		err = make_holes ? write_sparse(w, dst_fd, w->buf, (size_t)n, off)
				 : pwrite_all(w, dst_fd, w->buf, (size_t)n, off);
		if (err)
			return err;
		off += (uint64_t)n;
		progress_count(p, PC_BYTES, (uint64_t)n);
		progress_throttle(p, (uint64_t)n);
		if (stop_requested())
			return -EINTR;
	}
	return 0;
}

/* Write all @n bytes of @buf to @fd at its offset. */
static int write_all(int fd, const char *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t m = write(fd, buf + done, n - done);

		if (m < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		done += (size_t)m;
	}
	return 0;
}

int copy_to_eof(struct worker_ctx *w, int src_fd, int dst_fd)
{
	struct progress *p = w->progress;

	w->err_on_dst = false;
	for (;;) {
		ssize_t n = read(src_fd, w->buf, WORKER_BUF_SIZE);
		int err;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			return 0;
		err = write_all(dst_fd, w->buf, (size_t)n);
		if (err) {
			w->err_on_dst = true;
			return err;
		}
		progress_count(p, PC_BYTES, (uint64_t)n);
		if (stop_requested())
			return -EINTR;
	}
}

/* Copy one data region with copy_file_range, falling back to read/write. */
static int copy_region(struct worker_ctx *w, int src_fd, int dst_fd, uint64_t off, uint64_t end,
		       bool *shrunk)
{
	const struct pcopy_opts *opts = w->opts;
	struct progress *p = w->progress;

	if (opts->sparse == SPARSE_ALWAYS)
		return copy_rw(w, src_fd, dst_fd, off, end, true, shrunk);
	/* copy_file_range may share extents; --sparse=never and
	 * --reflink=never ask for real bytes, as coreutils 9.4 decided. */
	if (opts->sparse == SPARSE_NEVER || opts->reflink == REFLINK_NEVER || w->no_copy_range)
		return copy_rw(w, src_fd, dst_fd, off, end, false, shrunk);
	while (off < end) {
		/* --bwlimit: steps of a buffer, so that the rate stays smooth. */
		uint64_t max = opts->bwlimit ? WORKER_BUF_SIZE : COPY_RANGE_STEP;
		uint64_t step = end - off < max ? end - off : max;
		loff_t in = (loff_t)off, out = (loff_t)off;
		ssize_t n = copy_file_range(src_fd, &in, dst_fd, &out, step, 0);

		if (n < 0) {
			int err = neg_errno();

			if (err == -EINTR)
				continue;
			if (is_copy_range_unsupported(err)) {
				w->no_copy_range = true;
				w->how |= COPY_HOW_OFFLOAD_FAIL;
			}
			/* Either way read/write goes on from here: it works where
			 * the in-kernel copy is refused, and when it fails too it
			 * tells whether reading or writing failed. */
			return copy_rw(w, src_fd, dst_fd, off, end, false, shrunk);
		}
		if (n == 0) {
			*shrunk = true;
			return 0;
		}
		w->how |= COPY_HOW_OFFLOAD;
		off += (uint64_t)n;
		progress_count(p, PC_BYTES, (uint64_t)n);
		progress_throttle(p, (uint64_t)n);
		if (stop_requested())
			return -EINTR;
	}
	return 0;
}

/*
 * Walk the data regions of a sparse source with SEEK_DATA/SEEK_HOLE and
 * copy only those; holes stay holes. Every step must move forward, else
 * (a file system that lies, as in coreutils 9.9's loop) copy the rest whole.
 */
static int copy_sparse(struct worker_ctx *w, int src_fd, int dst_fd, uint64_t off, uint64_t end,
		       bool *shrunk)
{
	struct progress *p = w->progress;

	/* Holes count as copied: progress is in logical bytes. */
	while (off < end) {
		off_t data = lseek(src_fd, (off_t)off, SEEK_DATA);
		off_t hole;
		int err;

		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole until EOF */
			return copy_region(w, src_fd, dst_fd, off, end, shrunk);
		}
		if ((uint64_t)data < off)
			return copy_region(w, src_fd, dst_fd, off, end, shrunk);
		if ((uint64_t)data >= end)
			break;
		hole = lseek(src_fd, data, SEEK_HOLE);
		if (hole < 0 || hole <= data)
			return copy_region(w, src_fd, dst_fd, off, end, shrunk);
		progress_count(p, PC_BYTES, (uint64_t)data - off);
		if ((uint64_t)hole > end)
			hole = (off_t)end;
		err = copy_region(w, src_fd, dst_fd, (uint64_t)data, (uint64_t)hole, shrunk);
		if (err || *shrunk)
			return err;
		off = (uint64_t)hole;
	}
	progress_count(p, PC_BYTES, end > off ? end - off : 0);
	return 0;
}

int copy_range(struct worker_ctx *w, int src_fd, int dst_fd, const struct stat *src_st,
	       uint64_t offset, uint64_t length, bool *shrunk)
{
	const struct pcopy_opts *opts = w->opts;
	uint64_t end = offset + length;

	*shrunk = false;
	w->err_on_dst = false;
	if (length == 0)
		return 0;
	if (opts->sparse == SPARSE_AUTO && copy_is_sparse(src_st)) {
		w->how |= COPY_HOW_SEEK_HOLE;
		return copy_sparse(w, src_fd, dst_fd, offset, end, shrunk);
	}
	return copy_region(w, src_fd, dst_fd, offset, end, shrunk);
}

/* coreutils' copy_debug_string() words. */
static const char *copy_how_offload(unsigned how)
{
	if (how & COPY_HOW_OFFLOAD)
		return "yes";
	if (how & COPY_HOW_OFFLOAD_FAIL)
		return "unsupported";
	return how & COPY_HOW_RW ? "avoided" : "unknown";
}

const char *copy_how_string(unsigned how)
{
	static const char *const sparse[] = { "no", "SEEK_HOLE", "zeros", "SEEK_HOLE + zeros" };
	static __thread char line[96];
	const char *reflink = how & COPY_HOW_REFLINK	    ? "yes"
			      : how & COPY_HOW_REFLINK_FAIL ? "unsupported"
							    : "avoided";

	snprintf(line, sizeof(line), "copy offload: %s, reflink: %s, sparse detection: %s",
		 copy_how_offload(how), reflink,
		 sparse[(how & COPY_HOW_SEEK_HOLE ? 1 : 0) | (how & COPY_HOW_ZEROS ? 2 : 0)]);
	return line;
}
