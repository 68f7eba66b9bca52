// SPDX-License-Identifier: MIT
/*
 * One block of a file copied through io_uring: what its completions mean
 * and what to submit next. Pure logic (no ring), so that short reads,
 * short writes and -EAGAIN/-EINTR are unit-tested with fake completions.
 */
#include <errno.h>

#include "backends/uring/uring.h"

void blk_start(struct ublk *b, uint64_t off, uint32_t len)
{
	b->off = off;
	b->len = len;
	b->have = 0;
	b->wrote = 0;
	b->retries = 0;
	b->err = 0;
	b->pending = 0;
	b->eof = false;
	b->again = false;
}

/* Errors that only mean "try the same thing again". */
static bool is_transient(int res)
{
	return res == -EAGAIN || res == -EINTR;
}

static void blk_fail(struct ublk *b, int err)
{
	if (!b->err)
		b->err = err;
}

void blk_on_read(struct ublk *b, int res)
{
	if (res > 0) {
		b->have += (uint32_t)res;
		b->retries = 0;
	} else if (res == 0) {
		b->eof = true;
	} else if (is_transient(res)) {
		b->again |= res == -EAGAIN;
		b->retries++;
	} else {
		blk_fail(b, res);
	}
}

uint32_t blk_on_write(struct ublk *b, int res)
{
	if (res > 0) {
		b->wrote += (uint32_t)res;
		b->retries = 0;
		return (uint32_t)res;
	}
	/* -ECANCELED: the linked READ was short or failed; the READ's own
	 * completion says what to do. A write of 0 bytes would loop. */
	if (res == 0)
		blk_fail(b, -EIO);
	else if (is_transient(res))
		b->retries++;
	else if (res != -ECANCELED)
		blk_fail(b, res);
	return 0;
}

enum blk_action blk_next(struct ublk *b)
{
	/* A file system that keeps saying "again" must not spin forever. */
	if (!b->err && b->retries > UBLK_MAX_RETRIES)
		blk_fail(b, -EAGAIN);
	if (b->err)
		return BLK_FAILED;
	if (b->wrote < b->have)
		return BLK_WRITE;
	if (b->eof)
		return BLK_EOF;
	if (b->have == b->len)
		return BLK_DONE;
	/* Everything read so far is written: read the rest of the block. */
	b->off += b->have;
	b->len -= b->have;
	b->have = 0;
	b->wrote = 0;
	return BLK_READ_WRITE;
}
