// SPDX-License-Identifier: MIT
/*
 * --files-from: a sorted set of normalised relative paths. A directory on
 * the way to a listed path is kept (and entered), as rsync's implied
 * directories; a listed directory is copied whole (pcopy always recurses).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/files_from.h"
#include "pcopy/util.h"

struct files_from {
	char **paths; /* sorted by strcmp, unique */
	size_t nr;
};

/* "a//./b/" and "/a/b" and "./a/b" are all "a/b"; "" and "." are nothing. */
static char *files_from_normalise(const char *in)
{
	char *out = xmalloc(strlen(in) + 1), *o = out;

	while (*in) {
		size_t len;

		while (*in == '/')
			in++;
		len = strcspn(in, "/");
		if (len == 0)
			break;
		if (!(len == 1 && in[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, in, len);
			o += len;
		}
		in += len;
	}
	*o = '\0';
	return out;
}

static int files_from_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct files_from *files_from_new(const char *const *paths, size_t nr)
{
	struct files_from *ff = xcalloc(1, sizeof(*ff));
	size_t kept = 0;

	ff->paths = xcalloc(nr ? nr : 1, sizeof(*ff->paths));
	for (size_t i = 0; i < nr; i++) {
		char *p = files_from_normalise(paths[i]);

		if (*p)
			ff->paths[ff->nr++] = p;
		else
			free(p);
	}
	qsort(ff->paths, ff->nr, sizeof(*ff->paths), files_from_cmp);
	for (size_t i = 0; i < ff->nr; i++) {
		if (kept && !strcmp(ff->paths[kept - 1], ff->paths[i]))
			free(ff->paths[i]);
		else
			ff->paths[kept++] = ff->paths[i];
	}
	ff->nr = kept;
	return ff;
}

void files_from_free(struct files_from **pff)
{
	struct files_from *ff = *pff;

	if (!ff)
		return;
	for (size_t i = 0; i < ff->nr; i++)
		free(ff->paths[i]);
	free(ff->paths);
	free(ff);
	*pff = NULL;
}

/* The first index whose path is >= @key (its first @len bytes). */
static size_t files_from_lower(const struct files_from *ff, const char *key, size_t len)
{
	size_t lo = 0, hi = ff->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(ff->paths[mid], key, len);

		if (c < 0 || (c == 0 && strlen(ff->paths[mid]) < len))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is @key[0..@len) exactly a listed path? */
static bool files_from_has(const struct files_from *ff, const char *key, size_t len)
{
	size_t i = files_from_lower(ff, key, len);

	return i < ff->nr && strlen(ff->paths[i]) == len && !strncmp(ff->paths[i], key, len);
}

bool files_from_keeps(const struct files_from *ff, const char *rel, bool is_dir)
{
	size_t len = strlen(rel);
	char *above;
	size_t i;
	bool kept;

	/* Listed, or below a listed directory. */
	for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/'))
		if (files_from_has(ff, rel, (size_t)(s - rel)))
			return true;
	if (files_from_has(ff, rel, len))
		return true;
	if (!is_dir)
		return false;
	/* On the way to a listed path: "rel/" starts one. */
	above = xasprintf("%s/", rel);
	i = files_from_lower(ff, above, len + 1);
	kept = i < ff->nr && !strncmp(ff->paths[i], above, len + 1);
	free(above);
	return kept;
}
