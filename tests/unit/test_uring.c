// SPDX-License-Identifier: MIT
/*
 * Unit tests of the io_uring backend: one block's state machine fed fake
 * completions (short reads and writes, -EAGAIN, -EINTR, errors), the same
 * machine driven by a real ring over a file that gives short reads, and
 * the opcode probe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/uring/uring.h"

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* A fresh block over [off, off + len), as the first round submits it. */
static struct ublk block(uint64_t off, uint32_t len)
{
	struct ublk b;

	memset(&b, 0, sizeof(b));
	blk_start(&b, off, len);
	return b;
}

static void test_full_round(void)
{
	struct ublk b = block(8192, 4096);

	blk_on_read(&b, 4096);
	CHECK(blk_on_write(&b, 4096) == 4096);
	CHECK(blk_next(&b) == BLK_DONE);
}

/* A short read cancels the linked write: write what came, read the rest. */
static void test_short_read(void)
{
	struct ublk b = block(0, 4096);

	blk_on_read(&b, 1000);
	CHECK(blk_on_write(&b, -ECANCELED) == 0);
	CHECK(blk_next(&b) == BLK_WRITE);
	CHECK(b.off == 0 && b.wrote == 0 && b.have == 1000);
	CHECK(blk_on_write(&b, 1000) == 1000);
	CHECK(blk_next(&b) == BLK_READ_WRITE);
	CHECK(b.off == 1000 && b.len == 3096 && b.have == 0 && b.wrote == 0);
	blk_on_read(&b, 3096);
	blk_on_write(&b, 3096);
	CHECK(blk_next(&b) == BLK_DONE);
}

static void test_short_write(void)
{
	struct ublk b = block(0, 4096);

	blk_on_read(&b, 4096);
	CHECK(blk_on_write(&b, 100) == 100);
	CHECK(blk_next(&b) == BLK_WRITE);
	CHECK(b.wrote == 100 && b.have == 4096);
	CHECK(blk_on_write(&b, 3996) == 3996);
	CHECK(blk_next(&b) == BLK_DONE);
}

/* -EAGAIN and -EINTR change nothing: the same round again. */
static void test_transient(void)
{
	struct ublk b = block(4096, 4096);

	blk_on_read(&b, -EAGAIN);
	blk_on_write(&b, -ECANCELED);
	CHECK(b.again);
	CHECK(blk_next(&b) == BLK_READ_WRITE);
	CHECK(b.off == 4096 && b.len == 4096);
	blk_on_read(&b, -EINTR);
	blk_on_write(&b, -ECANCELED);
	CHECK(blk_next(&b) == BLK_READ_WRITE);
	blk_on_read(&b, 4096);
	blk_on_write(&b, -EAGAIN);
	CHECK(blk_next(&b) == BLK_WRITE);
	blk_on_write(&b, -EINTR);
	CHECK(blk_next(&b) == BLK_WRITE);
	blk_on_write(&b, 4096);
	CHECK(blk_next(&b) == BLK_DONE);
	CHECK(b.err == 0);
}

/* A file system that never stops saying -EAGAIN is an error, not a hang. */
static void test_endless_again(void)
{
	struct ublk b = block(0, 512);
	int rounds = 0;

	for (;;) {
		enum blk_action a = blk_next(&b);

		if (a != BLK_READ_WRITE)
			break;
		blk_on_read(&b, -EAGAIN);
		blk_on_write(&b, -ECANCELED);
		rounds++;
	}
	CHECK(b.err == -EAGAIN);
	CHECK(rounds == UBLK_MAX_RETRIES + 1);
}

static void test_eof(void)
{
	struct ublk b = block(0, 4096);

	/* The source shrank to 10 bytes: write them, then stop. */
	blk_on_read(&b, 10);
	blk_on_write(&b, -ECANCELED);
	CHECK(blk_next(&b) == BLK_WRITE);
	blk_on_write(&b, 10);
	CHECK(blk_next(&b) == BLK_READ_WRITE);
	blk_on_read(&b, 0);
	blk_on_write(&b, -ECANCELED);
	CHECK(blk_next(&b) == BLK_EOF);
}

static void test_errors(void)
{
	struct ublk b = block(0, 4096);

	blk_on_read(&b, -EIO);
	blk_on_write(&b, -ECANCELED);
	CHECK(blk_next(&b) == BLK_FAILED && b.err == -EIO);

	b = block(0, 4096);
	blk_on_read(&b, 4096);
	blk_on_write(&b, -ENOSPC);
	CHECK(blk_next(&b) == BLK_FAILED && b.err == -ENOSPC);

	/* A write that moves nothing would loop forever. */
	b = block(0, 4096);
	blk_on_read(&b, 4096);
	blk_on_write(&b, 0);
	CHECK(blk_next(&b) == BLK_FAILED && b.err == -EIO);
}

/* Run one block through a real ring the way uring_file.c submits it. */
static int ring_copy_block(struct io_uring *ring, struct ublk *b, int src, int dst)
{
	enum blk_action a;

	while ((a = blk_next(b)) == BLK_READ_WRITE || a == BLK_WRITE) {
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;

		if (a == BLK_READ_WRITE) {
			sqe = io_uring_get_sqe(ring);
			io_uring_prep_read(sqe, src, b->buf, b->len, b->off);
			sqe->flags |= IOSQE_IO_LINK;
			sqe->user_data = UOP_READ;
			sqe = io_uring_get_sqe(ring);
			io_uring_prep_write(sqe, dst, b->buf, b->len, b->off);
		} else {
			sqe = io_uring_get_sqe(ring);
			io_uring_prep_write(sqe, dst, b->buf + b->wrote, b->have - b->wrote,
					    b->off + b->wrote);
		}
		sqe->user_data = UOP_WRITE;
		b->pending = a == BLK_READ_WRITE ? 2 : 1;
		io_uring_submit(ring);
		while (b->pending) {
			if (io_uring_wait_cqe(ring, &cqe))
				return -1;
			if (cqe->user_data == UOP_READ)
				blk_on_read(b, cqe->res);
			else
				blk_on_write(b, cqe->res);
			b->pending--;
			io_uring_cqe_seen(ring, cqe);
		}
	}
	return a;
}

/*
 * The kernel's side of the contract: a read past the end of a file is
 * short and cancels the linked write with -ECANCELED; the block then
 * writes what came and ends at EOF with the bytes copied exactly.
 */
static void test_real_short_read(void)
{
	char path[] = "/tmp/pcopy-test-uring-XXXXXX", out[sizeof(path) + 4];
	char data[3000], back[4096] = { 0 }, buf[8192];
	struct io_uring ring;
	struct ublk b = block(0, sizeof(buf));
	int src, dst;

	if (io_uring_queue_init(8, &ring, 0)) {
		fprintf(stderr, "no io_uring here: real-ring case skipped\n");
		return;
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 1);
	src = mkstemp(path);
	snprintf(out, sizeof(out), "%s.out", path);
	dst = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(src >= 0 && dst >= 0);
	CHECK(write(src, data, sizeof(data)) == (ssize_t)sizeof(data));
	b.buf = buf;
	/* The walker saw 8 KiB; only 3000 bytes are left. */
	CHECK(ring_copy_block(&ring, &b, src, dst) == BLK_EOF);
	CHECK(b.err == 0);
	CHECK(pread(dst, back, sizeof(back), 0) == (ssize_t)sizeof(data));
	CHECK(!memcmp(back, data, sizeof(data)));
	io_uring_queue_exit(&ring);
	close(src);
	close(dst);
	unlink(path);
	unlink(out);
}

static void test_probe(void)
{
	size_t size = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, size);

	p->last_op = IORING_OP_LAST - 1;
	for (int op = 0; op < IORING_OP_LAST; op++)
		p->ops[op].flags = IO_URING_OP_SUPPORTED;
	CHECK(uring_check_probe(p) == 0);
	/* A kernel before 5.15 has no LINKAT. */
	p->ops[IORING_OP_LINKAT].flags = 0;
	CHECK(uring_check_probe(p) == -ENOSYS);
	p->ops[IORING_OP_LINKAT].flags = IO_URING_OP_SUPPORTED;
	p->last_op = IORING_OP_CLOSE;
	CHECK(uring_check_probe(p) == -ENOSYS);
	CHECK(uring_check_probe(NULL) == -ENOSYS);
	free(p);
}

int main(void)
{
	test_full_round();
	test_short_read();
	test_short_write();
	test_transient();
	test_endless_again();
	test_eof();
	test_errors();
	test_real_short_read();
	test_probe();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
