// SPDX-License-Identifier: MIT
/* Unit tests of --exclude matching (SPEC section 8). */
#include <stdio.h>

#include "pcopy/exclude.h"

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

int main(void)
{
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
