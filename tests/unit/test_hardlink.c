// SPDX-License-Identifier: MIT
/* Unit tests of the hard-link map: who copies, who waits, when groups retire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcopy/hardlink.h"
#include "pcopy/job.h"

static int failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			failures++;                                              \
		}                                                                \
	} while (0)

/* A root and one directory below it; an extra reference keeps both alive
 * (the map releases through the engine, which these tests do not have). */
static struct dir_node root = { .is_root = true, .refs = 100, .dst_dev = 1, .dst_ino = 10 };
static struct dir_node sub = { .parent = &root, .dst_name = "sub", .refs = 100,
			       .dst_dev = 1, .dst_ino = 11, .depth = 1 };

static struct job *file(struct dir_node *dir, const char *name, ino_t ino, nlink_t nlink)
{
	struct stat st = { .st_dev = 5, .st_ino = ino, .st_nlink = nlink, .st_mode = S_IFREG };

	return job_new(JOB_FILE, dir, name, name, &st);
}

static void drop(struct job *job)
{
	atomic_fetch_sub(&job->dir->refs, 1);
	if (job->link_dir)
		atomic_fetch_sub(&job->link_dir->refs, 1);
	job_free(job);
}

/* Three names: the first copies, one waits, one comes after the copy. */
static void test_by_count(struct hardlink_map *map)
{
	struct job *a = file(&sub, "a", 1, 3), *b = file(&sub, "b", 1, 3);
	struct job *c = file(&root, "c", 1, 3), *recopy, *parked;

	CHECK(hardlink_claim(map, a, true) == HARDLINK_COPY);
	CHECK(hardlink_claim(map, b, true) == HARDLINK_PARKED);
	parked = hardlink_complete(map, a, HARDLINK_COPIED, &recopy);
	CHECK(parked == b && !b->next && !recopy);
	/* In the copy's directory by name, elsewhere by the path below the root. */
	CHECK(b->kind == JOB_HARDLINK && b->link_dir == &sub && !strcmp(b->link_name, "a"));
	CHECK(hardlink_claim(map, c, true) == HARDLINK_LINK);
	CHECK(c->link_dir == &root && !strcmp(c->link_name, "sub/a"));
	CHECK(hardlink_map_size(map) == 0);
	drop(a);
	drop(b);
	drop(c);
}

/* -n left the first name alone: the next one in walk order copies. */
static void test_no_copy(struct hardlink_map *map)
{
	struct job *a = file(&sub, "a", 2, 3), *b = file(&sub, "b", 2, 3);
	struct job *c = file(&sub, "c", 2, 3), *recopy, *parked;

	CHECK(hardlink_claim(map, a, true) == HARDLINK_COPY);
	CHECK(hardlink_claim(map, b, true) == HARDLINK_PARKED);
	CHECK(hardlink_claim(map, c, true) == HARDLINK_PARKED);
	parked = hardlink_complete(map, a, HARDLINK_NO_COPY, &recopy);
	CHECK(!parked && recopy == b && b->kind == JOB_FILE && b->group);
	parked = hardlink_complete(map, b, HARDLINK_COPIED, &recopy);
	CHECK(parked == c && !recopy && !strcmp(c->link_name, "b"));
	CHECK(hardlink_map_size(map) == 0);
	drop(a);
	drop(b);
	drop(c);
}

/* -L: files with one name leave nothing behind; a symlink's does until the name. */
static void test_deref(struct hardlink_map *map)
{
	struct job *s, *f, *recopy;

	for (ino_t i = 100; i < 10100; i++) {
		struct job *j = file(&sub, "f", i, 1);

		CHECK(hardlink_claim(map, j, true) == HARDLINK_COPY && !j->group);
		drop(j);
	}
	CHECK(hardlink_map_size(map) == 0);
	s = file(&sub, "s", 3, 1);
	f = file(&sub, "f", 3, 1);
	CHECK(hardlink_claim(map, s, false) == HARDLINK_COPY);
	CHECK(!hardlink_complete(map, s, HARDLINK_COPIED, &recopy));
	CHECK(hardlink_map_size(map) == 1);
	CHECK(hardlink_claim(map, f, true) == HARDLINK_LINK);
	CHECK(hardlink_map_size(map) == 0);
	drop(s);
	drop(f);
}

int main(void)
{
	struct hardlink_map *map = hardlink_map_new(NULL);

	test_by_count(map);
	test_no_copy(map);
	test_deref(map);
	hardlink_map_free(&map);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
