// SPDX-License-Identifier: MIT
/*
 * How should the io_uring backend move a large file's bytes? Times one
 * file copied by copy_file_range (as the thread backend does), by linked
 * READ->WRITE through plain or registered buffers, or by linked SPLICEs
 * through a pipe per slot, with @depth blocks of @kib KiB in flight.
 *
 * build: cc -O2 -o /tmp/uring_datapath bench/uring_datapath.c -luring
 * usage: uring_datapath cfr|rw|fixed|splice SRC DST KIB DEPTH
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 64

struct slot {
	char *buf;
	int pipe[2];
	off_t off;
	size_t len;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int copy_cfr(int src, int dst, off_t size)
{
	loff_t in = 0, out = 0;

	while (in < size) {
		ssize_t n = copy_file_range(src, &in, dst, &out, 64 << 20, 0);

		if (n <= 0)
			return -1;
	}
	return 0;
}

/* Queue the linked pair of @s: into the slot, then out to the destination. */
static void queue_slot(struct io_uring *ring, const char *mode, struct slot *s, int src, int dst)
{
	struct io_uring_sqe *in = io_uring_get_sqe(ring), *out = io_uring_get_sqe(ring);

	if (!strcmp(mode, "splice")) {
		io_uring_prep_splice(in, src, s->off, s->pipe[1], -1, s->len, 0);
		io_uring_prep_splice(out, s->pipe[0], -1, dst, s->off, s->len, 0);
	} else if (!strcmp(mode, "fixed")) {
		io_uring_prep_read_fixed(in, src, s->buf, s->len, s->off, 0);
		io_uring_prep_write_fixed(out, dst, s->buf, s->len, s->off, 0);
	} else {
		io_uring_prep_read(in, src, s->buf, s->len, s->off);
		io_uring_prep_write(out, dst, s->buf, s->len, s->off);
	}
	in->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(in, NULL);
	io_uring_sqe_set_data(out, s);
}

static int copy_ring(const char *mode, int src, int dst, off_t size, size_t bs, int depth)
{
	struct slot slots[MAX_DEPTH], *free_slots[MAX_DEPTH];
	int nr_free = 0, inflight = 0;
	struct io_uring ring;
	struct iovec iov;
	char *area;
	off_t off = 0;

	if (io_uring_queue_init(2 * depth, &ring, 0))
		return -1;
	area = aligned_alloc(4096, bs * depth);
	iov = (struct iovec){ area, bs * depth };
	if (!strcmp(mode, "fixed") && io_uring_register_buffers(&ring, &iov, 1))
		return -1;
	for (int i = 0; i < depth; i++) {
		slots[i].buf = area + i * bs;
		if (!strcmp(mode, "splice") &&
		    (pipe(slots[i].pipe) || fcntl(slots[i].pipe[1], F_SETPIPE_SZ, (int)bs) < 0))
			return -1;
		free_slots[nr_free++] = &slots[i];
	}
	while (off < size || inflight) {
		struct io_uring_cqe *cqe;

		while (nr_free && off < size) {
			struct slot *s = free_slots[--nr_free];

			s->off = off;
			s->len = size - off < (off_t)bs ? (size_t)(size - off) : bs;
			off += s->len;
			queue_slot(&ring, mode, s, src, dst);
			inflight++;
		}
		io_uring_submit_and_wait(&ring, 1);
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			struct slot *s = io_uring_cqe_get_data(cqe);

			/* Page-cache files give full transfers; anything else
			 * would need the backend's short-I/O rounds. */
			if (cqe->res < 0 || (s && (size_t)cqe->res != s->len))
				return -1;
			if (s) {
				free_slots[nr_free++] = s;
				inflight--;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	int src, dst, depth, err;
	double t0, t;

	if (argc != 6 || (depth = atoi(argv[5])) < 1 || depth > MAX_DEPTH) {
		fprintf(stderr, "usage: uring_datapath cfr|rw|fixed|splice SRC DST KIB DEPTH\n");
		return 2;
	}
	src = open(argv[2], O_RDONLY);
	dst = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (src < 0 || dst < 0 || fstat(src, &st) < 0) {
		perror("open");
		return 1;
	}
	t0 = now();
	if (!strcmp(argv[1], "cfr"))
		err = copy_cfr(src, dst, st.st_size);
	else
		err = copy_ring(argv[1], src, dst, st.st_size, (size_t)atoi(argv[4]) << 10, depth);
	t = now() - t0;
	if (err) {
		fprintf(stderr, "%s: copy failed\n", argv[1]);
		return 1;
	}
	printf("%s %.3f s %.0f MB/s\n", argv[1], t, st.st_size / t / 1e6);
	return 0;
}
