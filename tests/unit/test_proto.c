// SPDX-License-Identifier: MIT
/* Unit tests for the process backend's wire format: sizes, bounds, damaged messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/process/proto.h"
#include "pcopy/job.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: ", __func__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static unsigned char buf[PROTO_MSG_MAX];
static struct proto_batch_view view;

static struct proto_job record(enum job_kind kind, uint64_t id, uint16_t dir)
{
	struct proto_job r = { .id = id, .kind = kind, .dir = dir, .link_dir = PROTO_NO_DIR };

	r.st.st_size = (off_t)(id * 1000);
	r.st.st_ino = id + 7;
	r.st.st_mode = S_IFREG | 0644;
	return r;
}

/* Overwrite the 32-bit field at @off of the message in buf. */
static void patch32(size_t off, uint32_t value)
{
	memcpy(buf + off, &value, sizeof(value));
}

/* Offset of job record 0 in a batch of @nr_dirs directories. */
static size_t job0(unsigned nr_dirs)
{
	return sizeof(struct proto_batch_hdr) + nr_dirs * sizeof(struct proto_dir);
}

/*
 * Two directories: a walked one (both descriptors, fresh) and an operand
 * root (destination only, the source is AT_FDCWD), so three descriptors;
 * dir 1 lacks its destination when @root_dst is false. Returns the length.
 */
static size_t sample_batch(bool root_dst)
{
	struct proto_dir walked = { .flags = PROTO_DIR_SRC | PROTO_DIR_DST | PROTO_DIR_FRESH,
				    .new_file_uid = 1000,
				    .new_file_gid = 100,
				    .dst_dev = 42 };
	struct proto_dir root = { .flags = root_dst ? PROTO_DIR_DST : 0, .dst_dev = 43 };
	struct proto_job link = record(JOB_HARDLINK, 3, 0);
	struct proto_writer wr;

	link.link_dir = 1;
	proto_batch_start(&wr, buf, sizeof(buf), 0);
	CHECK(!proto_batch_add_dir(&wr, &walked) && !proto_batch_add_dir(&wr, &root), "dirs");
	CHECK(!proto_batch_add(
		      &wr,
		      &(struct proto_job){ .id = 1, .kind = JOB_FILE, .link_dir = PROTO_NO_DIR },
		      "a", "a", NULL),
	      "same names");
	CHECK(!proto_batch_add(
		      &wr,
		      &(struct proto_job){
			      .id = 2, .kind = JOB_SYMLINK, .dir = 1, .link_dir = PROTO_NO_DIR },
		      "b", "renamed", NULL),
	      "two names");
	CHECK(!proto_batch_add(&wr, &link, "c", NULL, "dir/sub/first"), "link name");
	return proto_batch_end(&wr);
}

static void test_round_trip(void)
{
	size_t len = sample_batch(true);
	size_t want = job0(2) + proto_job_size(1, 0, 0) + proto_job_size(1, 7, 0) +
		      proto_job_size(1, 0, 13);

	CHECK(sizeof(struct proto_job) % 8 == 0 && sizeof(struct proto_dir) % 8 == 0 &&
		      sizeof(struct proto_batch_hdr) % 8 == 0,
	      "records not 8-byte aligned");
	CHECK(proto_job_size(1, 0, 0) % 8 == 0 && proto_job_size(5, 3, 9) % 8 == 0,
	      "record sizes not 8-byte aligned");
	CHECK(len == want, "batch is %zu bytes, expected %zu", len, want);
	CHECK(!proto_batch_parse(buf, len, 3, &view), "a good batch was rejected");
	CHECK(view.nr_jobs == 3 && view.nr_dirs == 2, "%u jobs, %u dirs", view.nr_jobs,
	      view.nr_dirs);
	CHECK(view.src_fd[0] == 0 && view.dst_fd[0] == 1 && view.src_fd[1] == -1 &&
		      view.dst_fd[1] == 2 && view.task_src_fd == -1,
	      "descriptor numbering");
	CHECK(view.dirs[0].new_file_uid == 1000 && view.dirs[0].dst_dev == 42 &&
		      view.dirs[1].dst_dev == 43,
	      "directory fields");
	CHECK(!strcmp(view.jobs[0].name, "a") && view.jobs[0].dst_name == view.jobs[0].name,
	      "equal names are sent once");
	CHECK(!strcmp(view.jobs[1].dst_name, "renamed") && view.jobs[1].rec.dir == 1, "dst name");
	CHECK(!strcmp(view.jobs[2].link_name, "dir/sub/first") && view.jobs[2].rec.id == 3 &&
		      view.jobs[2].rec.link_dir == 1,
	      "link name");
	CHECK(view.jobs[2].rec.st.st_ino == 10 && view.jobs[2].rec.st.st_size == 3000,
	      "struct stat");
}

static void test_chunk(void)
{
	struct proto_dir dir = { .dst_dev = 5 };
	struct proto_job r = record(JOB_CHUNK, 9, 0);
	struct proto_writer wr;
	size_t len;

	r.offset = 1ull << 33; /* above 4 GiB */
	r.length = 64 << 20;
	proto_batch_start(&wr, buf, sizeof(buf), PROTO_BATCH_TASK);
	CHECK(!proto_batch_add_dir(&wr, &dir), "dir");
	CHECK(!proto_batch_add(&wr, &r, NULL, NULL, NULL), "chunk");
	len = proto_batch_end(&wr);
	CHECK(!proto_batch_parse(buf, len, 2, &view), "a chunk was rejected");
	CHECK(view.jobs[0].rec.offset == 1ull << 33 && !view.jobs[0].name, "chunk range");
	CHECK(view.task_src_fd == 0 && view.task_dst_fd == 1, "task descriptors");
	/* A chunk comes with the task's descriptors, and nothing else does. */
	patch32(offsetof(struct proto_batch_hdr, flags), 0);
	CHECK(proto_batch_parse(buf, len, 0, &view) == -EBADMSG, "chunk without its task");
	patch32(offsetof(struct proto_batch_hdr, flags), PROTO_BATCH_TASK);
	patch32(job0(1) + offsetof(struct proto_job, kind), JOB_SYMLINK);
	CHECK(proto_batch_parse(buf, len, 2, &view) == -EBADMSG, "a symlink in a task batch");
}

/* Every proper prefix of a good message is rejected, and so is any extension. */
static void test_truncated(void)
{
	size_t len = sample_batch(true);

	for (size_t n = 0; n < len; n++)
		CHECK(proto_batch_parse(buf, n, 3, &view) == -EBADMSG, "%zu of %zu bytes accepted",
		      n, len);
	CHECK(proto_batch_parse(buf, len + 8, 3, &view) == -EBADMSG, "trailing bytes accepted");
}

static void test_damaged(void)
{
	size_t len = sample_batch(true), name0 = job0(2) + sizeof(struct proto_job);

	CHECK(proto_batch_parse(buf, len, 2, &view) == -EBADMSG, "fewer fds than announced");
	patch32(offsetof(struct proto_batch_hdr, type), PROTO_RESULTS);
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "wrong type accepted");
	len = sample_batch(true);
	patch32(offsetof(struct proto_batch_hdr, nr_jobs), 0);
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "empty batch accepted");
	patch32(offsetof(struct proto_batch_hdr, nr_jobs), PROTO_BATCH_MAX + 1);
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "too many jobs accepted");
	len = sample_batch(true);
	patch32(offsetof(struct proto_batch_hdr, nr_dirs), 0);
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "no directory accepted");
	patch32(offsetof(struct proto_batch_hdr, nr_dirs), PROTO_DIRS_MAX + 1);
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "too many directories");
	len = sample_batch(true);
	buf[name0 + 1] = 'x'; /* "a" loses its NUL */
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "name without NUL accepted");
	len = sample_batch(true);
	buf[job0(2) + offsetof(struct proto_job, dir)] = 2;
	CHECK(proto_batch_parse(buf, len, 3, &view) == -EBADMSG, "directory out of range");
	len = sample_batch(false);
	CHECK(proto_batch_parse(buf, len, 2, &view) == -EBADMSG, "link dir without its fd");
}

static void test_bounds(void)
{
	struct proto_dir dir = { .flags = PROTO_DIR_SRC | PROTO_DIR_DST };
	struct proto_job r = record(JOB_FILE, 1, 0);
	char *name = malloc(PROTO_NAME_MAX + 1);
	struct proto_writer wr;
	unsigned nr = 0;
	size_t len;

	memset(name, 'n', PROTO_NAME_MAX);
	name[PROTO_NAME_MAX] = '\0';
	proto_batch_start(&wr, buf, sizeof(buf), 0);
	while (!proto_batch_add_dir(&wr, &dir))
		nr++;
	CHECK(nr == PROTO_DIRS_MAX, "a batch took %u directories", nr);
	CHECK(proto_batch_add(&wr, &r, name, NULL, NULL) == -ENAMETOOLONG, "name of %d bytes",
	      PROTO_NAME_MAX);
	name[PROTO_NAME_MAX - 1] = '\0'; /* the longest name: PATH_MAX with its NUL */
	CHECK(!proto_batch_add(&wr, &r, name, NULL, NULL), "longest name refused");
	CHECK(proto_batch_add_dir(&wr, &dir) == -E2BIG, "a directory after a job");
	for (nr = 1; !proto_batch_add(&wr, &r, "f", NULL, NULL); nr++)
		;
	CHECK(nr == PROTO_BATCH_MAX, "a batch took %u jobs", nr);
	len = proto_batch_end(&wr);
	CHECK(!proto_batch_parse(buf, len, 2 * PROTO_DIRS_MAX, &view) &&
		      view.nr_jobs == PROTO_BATCH_MAX &&
		      strlen(view.jobs[0].name) == PROTO_NAME_MAX - 1,
	      "full batch");
	/* A message cannot grow past the writer's capacity. */
	proto_batch_start(&wr, buf, job0(1) + proto_job_size(103, 0, 0), 0);
	CHECK(!proto_batch_add_dir(&wr, &dir), "dir");
	CHECK(proto_batch_add(&wr, &r, name + PROTO_NAME_MAX - 1 - 104, NULL, NULL) == -E2BIG,
	      "record over capacity");
	CHECK(!proto_batch_add(&wr, &r, name + PROTO_NAME_MAX - 1 - 103, NULL, NULL),
	      "record at capacity");
	free(name);
}

static void test_results(void)
{
	struct proto_result in = { .id = 77,
				   .err = -ENOSPC,
				   .published = 1,
				   .skipped = 6,
				   .err_dst = 1 },
			    out;
	struct proto_results_hdr hdr;
	struct proto_writer wr;
	size_t len;

	proto_results_start(&wr, buf, sizeof(buf));
	for (unsigned i = 0; i < PROTO_BATCH_MAX; i++)
		CHECK(!proto_results_add(&wr, &in), "result %u", i);
	CHECK(proto_results_add(&wr, &in) == -E2BIG, "more results than a batch has jobs");
	len = proto_results_end(&wr, 123456789);
	CHECK(len == sizeof(hdr) + PROTO_BATCH_MAX * sizeof(in), "results are %zu bytes", len);
	CHECK(!proto_results_parse(buf, len, &hdr) && hdr.bytes == 123456789 &&
		      hdr.nr_results == PROTO_BATCH_MAX,
	      "results rejected");
	proto_result_get(buf, PROTO_BATCH_MAX - 1, &out);
	CHECK(out.id == 77 && out.err == -ENOSPC && out.published && out.skipped == 6 &&
		      out.err_dst,
	      "result");
	for (size_t n = 0; n < len; n++)
		CHECK(proto_results_parse(buf, n, &hdr) == -EBADMSG, "%zu of %zu bytes accepted", n,
		      len);
}

/* One message with descriptors over a real socketpair; one too big for the reader. */
static void test_socket(void)
{
	int sv[2], fds[2] = { STDIN_FILENO, STDERR_FILENO }, got[PROTO_FDS_MAX];
	unsigned nr = 0;
	struct stat a, b;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		printf("FAIL socketpair: %s\n", strerror(errno));
		failures++;
		return;
	}
	CHECK(!proto_send(sv[0], "hello", 5, fds, 2), "send");
	n = proto_recv(sv[1], buf, sizeof(buf), got, &nr, 0);
	CHECK(n == 5 && nr == 2 && !memcmp(buf, "hello", 5), "recv %zd with %u fds", n, nr);
	if (nr == 2) {
		CHECK(!fstat(got[1], &a) && !fstat(STDERR_FILENO, &b) && a.st_ino == b.st_ino,
		      "not the descriptor sent");
		close(got[0]);
		close(got[1]);
	}
	CHECK(!proto_send(sv[0], "hello", 5, fds, 1), "send");
	n = proto_recv(sv[1], buf, 4, got, &nr, 0);
	CHECK(n == -EBADMSG && nr == 0, "a truncated message was accepted (%zd)", n);
	close(sv[0]);
	CHECK(proto_recv(sv[1], buf, sizeof(buf), got, &nr, 0) == 0, "no end of file");
	close(sv[1]);
}

int main(void)
{
	test_round_trip();
	test_chunk();
	test_truncated();
	test_damaged();
	test_bounds();
	test_results();
	test_socket();
	if (failures)
		printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
