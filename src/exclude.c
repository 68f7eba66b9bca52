// SPDX-License-Identifier: MIT
/* Matching of --exclude globs against paths relative to the source root. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "pcopy/exclude.h"
#include "pcopy/util.h"

struct pattern {
	char *glob;     /* without the trailing '/' or a leading '/' */
	bool dirs_only; /* the pattern ended with '/' */
	bool anchored;  /* has a '/': matches the whole relative path */
};

struct exclude_set {
	struct pattern *patterns;
	size_t nr;
	bool needs_path;
};

struct exclude_set *exclude_new(const char *const *patterns, size_t nr)
{
	struct exclude_set *set = xcalloc(1, sizeof(*set));

	set->patterns = xcalloc(nr, sizeof(*set->patterns));
	for (size_t i = 0; i < nr; i++) {
		struct pattern *p = &set->patterns[set->nr];
		const char *text = patterns[i];
		size_t len = strlen(text);

		p->dirs_only = len > 1 && text[len - 1] == '/';
		while (len > 1 && text[len - 1] == '/')
			len--;
		while (len > 1 && text[0] == '/') {
			/* "/x" is "x from the source root". */
			text++;
			len--;
			p->anchored = true;
		}
		if (len == 0)
			continue;
		p->glob = xmalloc(len + 1);
		memcpy(p->glob, text, len);
		p->glob[len] = '\0';
		p->anchored = p->anchored || strchr(p->glob, '/') != NULL;
		set->needs_path = set->needs_path || p->anchored;
		set->nr++;
	}
	return set;
}

void exclude_free(struct exclude_set **pset)
{
	struct exclude_set *set = *pset;

	if (!set)
		return;
	for (size_t i = 0; i < set->nr; i++)
		free(set->patterns[i].glob);
	free(set->patterns);
	free(set);
	*pset = NULL;
}

bool exclude_needs_path(const struct exclude_set *set)
{
	return set && set->needs_path;
}

/* Match one path component against one pattern component ("**" aside). */
static bool match_segment(const char *pat, size_t pat_len, const char *seg, size_t seg_len)
{
	char *p = strndup(pat, pat_len), *s = strndup(seg, seg_len);
	bool match;

	if (!p || !s)
		die("out of memory");
	match = fnmatch(p, s, 0) == 0;
	free(p);
	free(s);
	return match;
}

/*
 * Match @path against @pat component by component, where a "**"
 * component matches zero or more path components. Recursion depth is
 * bounded by the number of pattern components.
 */
static bool match_path(const char *pat, const char *path)
{
	const char *pat_end = strchrnul(pat, '/');
	const char *path_end = strchrnul(path, '/');

	if (pat_end - pat == 2 && pat[0] == '*' && pat[1] == '*') {
		const char *rest = *pat_end ? pat_end + 1 : pat_end;

		if (!*rest)
			return true; /* trailing "**" matches everything below */
		for (const char *p = path;; p = strchrnul(p, '/') + 1) {
			if (match_path(rest, p))
				return true;
			if (!*strchrnul(p, '/'))
				return false;
		}
	}
	if (!match_segment(pat, (size_t)(pat_end - pat), path, (size_t)(path_end - path)))
		return false;
	if (!*pat_end || !*path_end)
		return !*pat_end && !*path_end;
	return match_path(pat_end + 1, path_end + 1);
}

bool exclude_match(const struct exclude_set *set, const char *rel_path, const char *name,
		   bool is_dir)
{
	if (!set)
		return false;
	for (size_t i = 0; i < set->nr; i++) {
		const struct pattern *p = &set->patterns[i];

		if (p->dirs_only && !is_dir)
			continue;
		if (p->anchored ? (rel_path && match_path(p->glob, rel_path))
				: fnmatch(p->glob, name, 0) == 0)
			return true;
	}
	return false;
}
