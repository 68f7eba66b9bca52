// SPDX-License-Identifier: MIT
/*
 * Unit tests of the counting scan (src/engine/scan.c) on a real tree: the
 * totals it reports under -a, -r and -L, with --exclude, hard links,
 * symlinks, a FIFO and a directory chain deeper than its descriptor budget.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/scan.h"

#define DEPTH 30 /* deeper than SCAN_MAX_FDS */

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			putchar('\n');                                                             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void make_file(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void must(int ret, const char *what)
{
	if (ret < 0) {
		perror(what);
		exit(2);
	}
}

/*
 * top/ a(100) b(200) h1=h2(300, hard links) x.tmp(400) skip/f(500)
 *      sub/c(50) sub/only(600) link->a dlink->sub fifo
 *      d0/.../d29/, each level with f (7)
 */
static void make_tree(void)
{
	char path[4096] = "top";

	must(mkdir("top", 0755), "mkdir top");
	make_file("top/a", 100);
	make_file("top/b", 200);
	make_file("top/h1", 300);
	must(link("top/h1", "top/h2"), "link");
	make_file("top/x.tmp", 400);
	must(mkdir("top/skip", 0755), "mkdir skip");
	make_file("top/skip/f", 500);
	must(mkdir("top/sub", 0755), "mkdir sub");
	make_file("top/sub/c", 50);
	make_file("top/sub/only", 600);
	must(symlink("a", "top/link"), "symlink");
	must(symlink("sub", "top/dlink"), "symlink");
	must(mkfifo("top/fifo", 0644), "mkfifo");
	for (int i = 0; i < DEPTH; i++) {
		size_t len = strlen(path);

		snprintf(path + len, sizeof(path) - len, "/d%d", i);
		must(mkdir(path, 0755), "mkdir d");
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/f");
		make_file(path, 7);
		path[len + strlen("/d") + (i < 10 ? 1 : 2)] = '\0';
	}
}

/* links/{a,b,c}/N: 1000 inodes of N bytes, three names each. */
static void make_links(void)
{
	char x[64], y[64];

	must(mkdir("links", 0755), "mkdir links");
	must(mkdir("links/a", 0755) | mkdir("links/b", 0755) | mkdir("links/c", 0755), "mkdir");
	for (int i = 0; i < 1000; i++) {
		snprintf(x, sizeof(x), "links/a/%d", i);
		make_file(x, (size_t)i);
		snprintf(y, sizeof(y), "links/b/%d", i);
		must(link(x, y), "link");
		snprintf(y, sizeof(y), "links/c/%d", i);
		must(link(x, y), "link");
	}
}

static const char *excludes[] = { "*.tmp", "skip/", "sub/only" };
static const char *sources[] = { "top" };

static void expect(const char *what, unsigned preserve, enum deref_mode deref, bool exclude,
		   uint64_t files, uint64_t bytes)
{
	struct pcopy_opts o = { 0 };
	struct progress_snapshot snap;
	struct progress *p;
	unsigned fds;

	o.preserve = preserve; /* no display: scan_run_sync() counts all the same */
	o.deref = deref;
	o.sources = sources;
	o.nr_sources = 1;
	if (exclude) {
		o.excludes = excludes;
		o.nr_excludes = 3;
	}
	p = progress_new(&o, 1, "thread", NULL);
	fds = scan_run_sync(&o, p);
	progress_snapshot(p, &snap);
	CHECK(snap.scan_done, "%s: scan not done", what);
	CHECK(snap.scan_total[PT_FILES] == files && snap.scan_total[PT_BYTES] == bytes,
	      "%s: %llu files, %llu bytes; want %llu, %llu", what,
	      (unsigned long long)snap.scan_total[PT_FILES],
	      (unsigned long long)snap.scan_total[PT_BYTES], (unsigned long long)files,
	      (unsigned long long)bytes);
	/* The deep chain needs more: the budget was used up, and kept. */
	CHECK(fds <= SCAN_MAX_FDS && (strcmp(sources[0], "top") || fds == SCAN_MAX_FDS),
	      "%s: %u descriptors at once", what, fds);
	CHECK(snap.total[PT_FILES] == 0, "%s: the walker's totals are not the scan's", what);
	progress_finish(&p, 0);
}

int main(void)
{
	char dir[] = "/tmp/pcopy-test-scan-XXXXXX";
	const uint64_t deep = DEPTH, deep_bytes = 7 * DEPTH;
	struct pcopy_opts none = { 0 };
	struct progress *p;

	if (!mkdtemp(dir) || chdir(dir) < 0) {
		perror("mkdtemp");
		return 2;
	}
	make_tree();
	/* -a: h2 is a second name of h1 (no bytes); symlinks and FIFOs have none. */
	expect("-a", PRESERVE_ALL, DEREF_NEVER, false, 7 + deep, 2150 + deep_bytes);
	expect("-a --exclude", PRESERVE_ALL, DEREF_NEVER, true, 4 + deep, 650 + deep_bytes);
	/* -r: every name is a copy. */
	expect("-r", 0, DEREF_NEVER, false, 8 + deep, 2450 + deep_bytes);
	/* -rL: h2, link (a again, 100), dlink (sub again, 650: "dlink/only"
	 * is not "sub/only", not excluded). */
	expect("-rL --exclude", 0, DEREF_ALWAYS, true, 8 + deep, 1700 + deep_bytes);
	/* -H: the operand is followed, nothing below it. */
	sources[0] = "top/dlink";
	expect("-rH dlink", 0, DEREF_COMMAND_LINE, false, 2, 650);
	expect("-rP dlink", 0, DEREF_NEVER, false, 0, 0);
	sources[0] = "top/a";
	expect("-a file operand", PRESERVE_ALL, DEREF_NEVER, false, 1, 100);
	/* Many groups: the set grows, and retires each after its third name. */
	make_links();
	sources[0] = "links";
	expect("-a links", PRESERVE_ALL, DEREF_NEVER, false, 1000, 999 * 1000 / 2);
	expect("-r links", 0, DEREF_NEVER, false, 3000, 3 * 999 * 1000 / 2);
	sources[0] = "top";
	/* No display: no scan. */
	p = progress_new(&none, 1, "thread", NULL);
	CHECK(!scan_start(&none, p), "a scan without a progress display");
	progress_finish(&p, 0);
	if (system("rm -rf top links") != 0 || chdir("/") < 0 || rmdir(dir) < 0)
		perror("cleanup");
	if (failures)
		printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
