// SPDX-License-Identifier: MIT
/* Unit tests of the hard-link map: who copies, who waits, when groups retire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcopy/hardlink.h"
#include "pcopy/job.h"

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* A root and one directory below it; an extra reference keeps both alive
 * (the map releases through the engine, which these tests do not have). */
static struct dir_node root = { .is_root = true, .refs = 100, .dst_dev = 1, .dst_ino = 10 };
static struct dir_node sub = {
	.parent = &root, .dst_name = "sub", .refs = 100, .dst_dev = 1, .dst_ino = 11, .depth = 1
};

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

	CHECK(hardlink_claim(map, a, true, false) == HARDLINK_COPY);
	CHECK(hardlink_claim(map, b, true, false) == HARDLINK_PARKED);
	parked = hardlink_complete(map, a, HARDLINK_COPIED, &recopy);
	CHECK(parked == b && !b->next && !recopy);
	/* In the copy's directory by name, elsewhere by the path below the root. */
	CHECK(b->kind == JOB_HARDLINK && b->link_dir == &sub && !strcmp(b->link_name, "a"));
	CHECK(hardlink_claim(map, c, true, false) == HARDLINK_LINK);
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

	CHECK(hardlink_claim(map, a, true, false) == HARDLINK_COPY);
	CHECK(hardlink_claim(map, b, true, false) == HARDLINK_PARKED);
	CHECK(hardlink_claim(map, c, true, false) == HARDLINK_PARKED);
	parked = hardlink_complete(map, a, HARDLINK_NO_COPY, &recopy);
	CHECK(!parked && recopy == b && b->kind == JOB_FILE && b->group);
	parked = hardlink_complete(map, b, HARDLINK_COPIED, &recopy);
	CHECK(parked == c && !recopy && !strcmp(c->link_name, "b"));
	CHECK(hardlink_map_size(map) == 0);
	drop(a);
	drop(b);
	drop(c);
}

/* -L: every file is remembered, as cp does, until the budget is spent. */
static void test_deref(void)
{
	struct hardlink_map *map = hardlink_map_new(NULL, 4096);
	struct job *p, *q, *recopy;
	size_t kept;

	for (ino_t i = 100; i < 10100; i++) {
		struct job *j = file(&sub, "f", i, 1);

		if (hardlink_claim(map, j, true, true) == HARDLINK_COPY && j->group)
			CHECK(!hardlink_complete(map, j, HARDLINK_COPIED, &recopy));
		drop(j);
	}
	kept = hardlink_map_size(map);
	CHECK(kept > 10 && kept < 100);
	/* Within the budget a second name (a symlink's) became a link. */
	p = file(&sub, "s", 100, 1);
	CHECK(hardlink_claim(map, p, false, true) == HARDLINK_LINK);
	drop(p);
	/* Beyond it, a file with two names is a group until both came. */
	p = file(&sub, "p", 7, 2);
	q = file(&sub, "q", 7, 2);
	CHECK(hardlink_claim(map, p, true, true) == HARDLINK_COPY && p->group);
	CHECK(!hardlink_complete(map, p, HARDLINK_COPIED, &recopy));
	CHECK(hardlink_map_size(map) == kept + 1);
	CHECK(hardlink_claim(map, q, true, true) == HARDLINK_LINK);
	CHECK(hardlink_map_size(map) == kept);
	drop(p);
	drop(q);
	hardlink_map_free(&map);
}

int main(void)
{
	struct hardlink_map *map = hardlink_map_new(NULL, 0);

	test_by_count(map);
	test_no_copy(map);
	hardlink_map_free(&map);
	test_deref();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
