// SPDX-License-Identifier: MIT
/* Matching of --exclude globs against paths relative to the source root. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "engine/files_from.h"
#include "pcopy/exclude.h"
#include "pcopy/options.h"
#include "pcopy/util.h"

struct pattern {
	char *glob;	/* without the trailing '/' or a leading '/' */
	bool dirs_only; /* the pattern ended with '/' */
	bool anchored;	/* has a '/': matches the whole relative path */
	bool include;	/* --include: a match keeps the entry */
};

struct exclude_set {
	struct pattern *patterns;
	size_t nr;
	bool needs_path;
	struct files_from *files_from; /* --files-from; owned, or NULL */
};

/* Compile @nr patterns; @include[i] (i < @nr_flags) marks include rules. */
static struct exclude_set *exclude_new_rules(const char *const *patterns, const bool *include,
					     size_t nr_flags, size_t nr)
{
	struct exclude_set *set = xcalloc(1, sizeof(*set));

	set->patterns = xcalloc(nr, sizeof(*set->patterns));
	for (size_t i = 0; i < nr; i++) {
		struct pattern *p = &set->patterns[set->nr];
		const char *text = patterns[i];
		size_t len = strlen(text);

		p->include = i < nr_flags && include[i];
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

struct exclude_set *exclude_new(const char *const *patterns, size_t nr)
{
	return exclude_new_rules(patterns, NULL, 0, nr);
}

struct exclude_set *exclude_new_opts(const struct pcopy_opts *opts)
{
	struct exclude_set *set;

	if (!opts->nr_excludes && !opts->nr_files_from)
		return NULL;
	set = exclude_new_rules(opts->excludes, opts->rule_include, opts->nr_rule_flags,
				opts->nr_excludes);
	if (opts->nr_files_from) {
		set->files_from = files_from_new(opts->files_from, opts->nr_files_from);
		set->needs_path = true;
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
	files_from_free(&set->files_from);
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

/* Split @s at '/' into *nr segments (pointers into @s, with lengths). */
static const char **split_segments(const char *s, size_t **lens, size_t *nr)
{
	size_t n = 1, i = 0;
	const char **segs;

	for (const char *p = s; *p; p++)
		n += *p == '/';
	segs = xcalloc(n, sizeof(*segs));
	*lens = xcalloc(n, sizeof(**lens));
	for (const char *p = s;; p++) {
		const char *end = strchrnul(p, '/');

		segs[i] = p;
		(*lens)[i++] = (size_t)(end - p);
		if (!*end)
			break;
		p = end;
	}
	*nr = i;
	return segs;
}

/*
 * Match @path against @pat component by component, where a "**" component
 * matches zero or more path components. Dynamic programming over (pattern
 * components, path components): linear in their product, so patterns
 * full of "**" cannot make it exponential (found by the fuzzer).
 */
static bool match_path(const char *pat, const char *path)
{
	size_t nr_pat, nr_seg, *pat_len, *seg_len;
	const char **pats = split_segments(pat, &pat_len, &nr_pat);
	const char **segs = split_segments(path, &seg_len, &nr_seg);
	bool *row = xcalloc(nr_seg + 1, sizeof(*row)), *next = xcalloc(nr_seg + 1, sizeof(*next));
	bool match;

	row[0] = true; /* no pattern component matches no path component */
	for (size_t i = 0; i < nr_pat; i++) {
		bool any = false;

		for (size_t j = 0; j <= nr_seg; j++) {
			if (pat_len[i] == 2 && pats[i][0] == '*' && pats[i][1] == '*') {
				any = any || row[j];
				next[j] = any;
			} else {
				next[j] = j > 0 && row[j - 1] &&
					  match_segment(pats[i], pat_len[i], segs[j - 1],
							seg_len[j - 1]);
			}
		}
		memcpy(row, next, (nr_seg + 1) * sizeof(*row));
	}
	match = row[nr_seg];
	free(row);
	free(next);
	free(pats);
	free(segs);
	free(pat_len);
	free(seg_len);
	return match;
}

bool exclude_match(const struct exclude_set *set, const char *rel_path, const char *name,
		   bool is_dir)
{
	if (!set)
		return false;
	if (set->files_from && rel_path && !files_from_keeps(set->files_from, rel_path, is_dir))
		return true;
	for (size_t i = 0; i < set->nr; i++) {
		const struct pattern *p = &set->patterns[i];

		if (p->dirs_only && !is_dir)
			continue;
		if (p->anchored ? (rel_path && match_path(p->glob, rel_path))
				: fnmatch(p->glob, name, 0) == 0)
			return !p->include; /* the first match decides */
	}
	return false;
}
