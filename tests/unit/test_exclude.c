// SPDX-License-Identifier: MIT
/* Unit tests of --exclude matching (SPEC section 8). */
#include <stdio.h>
#include <string.h>

#include "pcopy/exclude.h"
#include "pcopy/options.h"

static int failures;

static void expect(const char *pattern, const char *rel, const char *name, int is_dir, int want)
{
	const char *pats[] = { pattern };
	struct exclude_set *set = exclude_new(pats, 1);
	int got = exclude_match(set, rel, name, is_dir);

	if (got != want) {
		fprintf(stderr, "pattern '%s' on '%s' (%s): got %d, want %d\n", pattern, rel,
			is_dir ? "dir" : "file", got, want);
		failures++;
	}
	exclude_free(&set);
}

/* The run's rules (exclude_new_opts): one entry matched against them. */
static void expect_opts(const struct pcopy_opts *o, const char *rel, int is_dir, int want)
{
	struct exclude_set *set = exclude_new_opts(o);
	const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	int got = exclude_match(set, rel, name, is_dir);

	if (got != want) {
		fprintf(stderr, "rules on '%s' (%s): got %d, want %d\n", rel,
			is_dir ? "dir" : "file", got, want);
		failures++;
	}
	exclude_free(&set);
}

/* --include / --exclude in order (first match wins), and --files-from. */
static void test_rules(void)
{
	const char *rules[] = { "keep.o", "*.o", "*.c" };
	bool include[] = { true, false, true };
	const char *list[] = { "a/b/c", "./d//", "/e/f/" };
	struct pcopy_opts o = { 0 };

	o.excludes = rules;
	o.nr_excludes = 3;
	o.rule_include = include;
	o.nr_rule_flags = 2; /* the last rule has no flag: an exclude */
	expect_opts(&o, "x/keep.o", 0, 0);
	expect_opts(&o, "x/a.o", 0, 1);
	expect_opts(&o, "x/a.c", 0, 1);
	expect_opts(&o, "x/a.h", 0, 0);
	o.nr_excludes = 0;
	o.files_from = list;
	o.nr_files_from = 3;
	expect_opts(&o, "a", 1, 0); /* on the way to a/b/c */
	expect_opts(&o, "a", 0, 1); /* a file cannot lead anywhere */
	expect_opts(&o, "a/b", 1, 0);
	expect_opts(&o, "a/b/c", 0, 0);
	expect_opts(&o, "a/b/c/x", 0, 0); /* below a listed path */
	expect_opts(&o, "a/b/cd", 0, 1);
	expect_opts(&o, "a/bb", 1, 1);
	expect_opts(&o, "d/x/y", 0, 0);
	expect_opts(&o, "e/f", 1, 0);
	expect_opts(&o, "e/g", 0, 1);
	expect_opts(&o, "z", 0, 1);
}

int main(void)
{
	test_rules();
	/* A name pattern matches at any depth. */
	expect("*.o", "a.o", "a.o", 0, 1);
	expect("*.o", "x/y/a.o", "a.o", 0, 1);
	expect("*.o", "x/y/a.c", "a.c", 0, 0);
	/* A path pattern matches from the source root only. */
	expect("sub/x", "sub/x", "x", 0, 1);
	expect("sub/x", "other/sub/x", "x", 0, 0);
	expect("/top", "top", "top", 0, 1);
	expect("/top", "a/top", "top", 0, 0);
	/* '*' does not cross '/', '**' spans zero or more directories. */
	expect("a/*/c", "a/b/c", "c", 0, 1);
	expect("a/*/c", "a/b/b2/c", "c", 0, 0);
	expect("a/**/c", "a/c", "c", 0, 1);
	expect("a/**/c", "a/b/b2/c", "c", 0, 1);
	expect("**/c", "c", "c", 0, 1);
	expect("**/c", "x/y/c", "c", 0, 1);
	expect("a/**", "a/b/c", "c", 0, 1);
	expect("a/**/c", "a/b/cc", "cc", 0, 0);
	/* A trailing '/' matches directories only. */
	expect("build/", "build", "build", 1, 1);
	expect("build/", "build", "build", 0, 0);
	expect("x/build/", "x/build", "build", 1, 1);
	/* Character classes and special bytes. */
	expect("[ab].txt", "b.txt", "b.txt", 0, 1);
	expect("new\nline", "d/new\nline", "new\nline", 0, 1);
	if (failures)
		fprintf(stderr, "%d case(s) failed\n", failures);
	return failures ? 1 : 0;
}
