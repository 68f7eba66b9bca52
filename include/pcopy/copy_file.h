/* SPDX-License-Identifier: MIT */
/*
 * Data movement of one regular file or one range of it: reflink (FICLONE)
 * when --reflink allows, else copy_file_range, else read/write; holes kept
 * with SEEK_DATA/SEEK_HOLE. Shared by every backend. Metadata and naming
 * are not done here (meta.h, dest.h).
 */
#ifndef PCOPY_COPY_FILE_H
#define PCOPY_COPY_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct worker_ctx;

/* --debug: how a file's data was copied, as bits in job->how and w->how. */
#define COPY_HOW_REFLINK (1u << 0)	/* cloned with FICLONE */
#define COPY_HOW_REFLINK_FAIL (1u << 1) /* the clone was refused */
#define COPY_HOW_OFFLOAD (1u << 2)	/* copy_file_range moved the bytes */
#define COPY_HOW_OFFLOAD_FAIL (1u << 3) /* copy_file_range was refused */
#define COPY_HOW_RW (1u << 4)		/* read and write (or io_uring) */
#define COPY_HOW_SEEK_HOLE (1u << 5)	/* holes found with SEEK_DATA/SEEK_HOLE */
#define COPY_HOW_ZEROS (1u << 6)	/* zero blocks turned into holes */

/*
 * cp --debug's line for @how: "copy offload: yes, reflink: unsupported,
 * sparse detection: no". Static storage.
 */
const char *copy_how_string(unsigned how);

/*
 * Try to clone all of @src_fd into @dst_fd. Returns 0 when cloned, 1 when
 * the file system cannot clone (the caller copies instead; remembered per
 * file-system pair in @w), or a negative errno. Honors --reflink: NEVER
 * returns 1 at once; ALWAYS turns "cannot clone" into -EOPNOTSUPP.
 */
int copy_try_reflink(struct worker_ctx *w, int src_fd, int dst_fd, const struct stat *src_st);

/*
 * Tell @w which pair of file systems the next file goes between, so that
 * what one of them refused before (FICLONE, copy_file_range) is not tried
 * again for every file. Call before copy_try_reflink()/copy_range().
 */
void copy_select_pair(struct worker_ctx *w, dev_t src_dev, dev_t dst_dev);

/*
 * Copy bytes [@offset, @offset + @length) of @src_fd to the same offsets of
 * @dst_fd, keeping holes per --sparse (@src_st tells whether the source is
 * sparse at all). The destination must already be at least as long as the
 * range's holes need (callers ftruncate). Counts bytes into the progress
 * reporter as they are written. Stops early with -EINTR when the run is
 * interrupted. Returns 0 or a negative errno; *shrunk is set when the
 * source ended before the range did.
 */
int copy_range(struct worker_ctx *w, int src_fd, int dst_fd, const struct stat *src_st,
	       uint64_t offset, uint64_t length, bool *shrunk);

/*
 * Copy @src_fd to @dst_fd with read(2)/write(2) from their current offsets
 * until the source's EOF, whatever its st_size says (/proc files report 0)
 * and whatever the destination is (a FIFO or a device cannot pwrite).
 * Counts progress, stops with -EINTR when the run is interrupted.
 */
int copy_to_eof(struct worker_ctx *w, int src_fd, int dst_fd);

/* True if @st looks sparse (fewer blocks than its size needs). */
bool copy_is_sparse(const struct stat *st);

#endif /* PCOPY_COPY_FILE_H */
