// SPDX-License-Identifier: MIT
/* Unit tests of the engine's building blocks: display paths, temporaries. */
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcopy/dest.h"
#include "pcopy/job.h"
#include "pcopy/report.h"

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void check_str(const char *got, const char *want, int line)
{
	if (strcmp(got, want)) {
		fprintf(stderr, "line %d: got '%s', want '%s'\n", line, got, want);
		failures++;
	}
}

static void test_display_paths(void)
{
	struct dir_node root = { .is_root = true, .src_name = NULL, .dst_name = "dst" };
	struct dir_node top = { .parent = &root, .src_name = "a/src", .dst_name = "copy" };
	struct dir_node sub = { .parent = &top, .src_name = "sub", .dst_name = "sub" };
	struct dir_node slash = { .is_root = true, .dst_name = "/" };
	char *p;

	p = dir_src_path(&sub, "f");
	check_str(p, "a/src/sub/f", __LINE__);
	free(p);
	p = dir_dst_path(&sub, "f");
	check_str(p, "dst/copy/sub/f", __LINE__);
	free(p);
	p = dir_src_path(&root, "file");
	check_str(p, "file", __LINE__);
	free(p);
	p = dir_dst_path(&slash, "x");
	check_str(p, "/x", __LINE__);
	free(p);
}

static void test_tmp_names_fit(void)
{
	char longname[256], buf[NAME_MAX + 1], other[NAME_MAX + 1];

	memset(longname, 'x', 255);
	longname[255] = '\0';
	dest_tmp_name(longname, buf);
	CHECK(strlen(buf) <= NAME_MAX);
	CHECK(!strncmp(buf, ".pcopy.", 7));
	dest_tmp_name(longname, other);
	CHECK(strcmp(buf, other) != 0);
}

/* The temporary-name path publishes atomically and leaves nothing behind. */
static void test_publish_without_tmpfile(void)
{
	char dir[] = "/tmp/pcopy-test-XXXXXX";
	char *tmp = NULL;
	int dirfd, fd;
	struct stat st;

	if (!mkdtemp(dir)) {
		failures++;
		return;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	dest_disable_tmpfile(true);
	fd = dest_create_tmp(dirfd, "f", 0640, &tmp);
	CHECK(fd >= 0);
	CHECK(tmp != NULL);
	CHECK(fstatat(dirfd, "f", &st, 0) < 0);
	CHECK(write(fd, "hi", 2) == 2);
	CHECK(dest_publish(fd, &tmp, dirfd, "f", false) == 0);
	CHECK(tmp == NULL);
	CHECK(fstatat(dirfd, "f", &st, 0) == 0 && st.st_size == 2);
	close(fd);
	/* A directory in the way is refused, and the temporary removed. */
	CHECK(mkdirat(dirfd, "d", 0700) == 0);
	fd = dest_create_tmp(dirfd, "d", 0640, &tmp);
	CHECK(dest_publish(fd, &tmp, dirfd, "d", true) == -PCOPY_EOVERWRITE_DIR);
	close(fd);
	dest_disable_tmpfile(false);
	unlinkat(dirfd, "f", 0);
	unlinkat(dirfd, "d", AT_REMOVEDIR);
	CHECK(unlinkat(dirfd, ".", AT_REMOVEDIR) < 0); /* sanity: still a dir */
	close(dirfd);
	CHECK(rmdir(dir) == 0); /* fails if a temporary was left behind */
}

/*
 * A file of 2^32 chunks or more (300 TiB at --chunk-size=64K): the count
 * of chunks left must not wrap, or the file is published (and its
 * descriptors closed) while chunks are still being copied.
 */
static void test_chunk_count_64bit(void)
{
	const uint64_t k64 = 64 * 1024, big = (UINT64_C(1) << 32) * k64;
	struct file_task task = { 0 };
	struct {
		uint64_t length, chunk, want;
	} cases[] = {
		{ 1, k64, 1 },
		{ k64, k64, 1 },
		{ k64 + 1, k64, 2 },
		{ big, k64, UINT64_C(1) << 32 },
		{ big + 1, k64, (UINT64_C(1) << 32) + 1 },
		{ UINT64_C(300) << 40, k64, UINT64_C(300) << 24 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t n = file_task_init_chunks(&task, cases[i].length, cases[i].chunk);
		uint64_t left = atomic_load(&task.chunks_left);

		if (n != cases[i].want || left != cases[i].want) {
			fprintf(stderr, "chunks of %llu bytes: got %llu (left %llu), want %llu\n",
				(unsigned long long)cases[i].length, (unsigned long long)n,
				(unsigned long long)left, (unsigned long long)cases[i].want);
			failures++;
		}
	}
	/* The last of 2^32 + 1 chunks is the one that finishes the file. */
	file_task_init_chunks(&task, big + 1, k64);
	CHECK(atomic_fetch_sub(&task.chunks_left, 1) != 1);
}

int main(void)
{
	test_chunk_count_64bit();
	test_display_paths();
	test_tmp_names_fit();
	test_publish_without_tmpfile();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
