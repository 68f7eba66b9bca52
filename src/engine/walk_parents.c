// SPDX-License-Identifier: MIT
/*
 * --parents: SOURCE a/b/c goes to DIR/a/b/c (and --keep-directory-symlink,
 * below). The directories on the way are
 * walked as directories of the copy (made if missing, their metadata applied
 * once everything below is done, as cp's re_protect does), so that every
 * backend copies below them as below any directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/walk_internal.h"
#include "pcopy/engine.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

/* "pcopy: failed to get attributes of 'f': Not a directory", as cp says it. */
static void walk_parents_fail(struct walker *wk, const char *path, int err)
{
	char *q = quote_name(path, true);
	size_t size = strlen(q) + 128;
	char *msg = xmalloc(size);

	snprintf(msg, size, "failed to get attributes of %s: %s", q, report_strerror(err));
	report_error_msg(wk->progress, NULL, err, msg);
	free(msg);
	free(q);
}

/*
 * The node for the directory part of @src below @root (taking @root's
 * reference), or NULL after reporting why not. *@base is where the last
 * component of @src starts.
 */
static struct dir_node *walk_parents_chain(struct walker *wk, struct dir_node *root, char *path,
					   const char **base)
{
	struct dir_node *dir = root;
	char *comp = path, *slash;

	while (*comp == '/')
		comp++;
	while ((slash = strchr(comp, '/'))) {
		struct dir_node *next;
		struct stat st;
		char *rest = slash;
		const char *name;

		while (*rest == '/')
			rest++;
		if (!*rest)
			break; /* "a/b/": b is the operand */
		*slash = '\0';
		name = dir == root ? path : comp; /* the first opens from the cwd */
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			walk_parents_fail(wk, path,
					  errno && !S_ISDIR(st.st_mode) ? -ENOTDIR : neg_errno());
			engine_dir_release(wk->engine, dir);
			return NULL;
		}
		if (wk->opts->explicit_no_preserve_mode)
			st.st_mode = S_IFDIR | (0777 & ~wk->opts->umask);
		next = walk_make_dir(wk, dir, name, comp, &st, true);
		engine_dir_release(wk->engine, dir);
		if (!next)
			return NULL;
		*slash = '/';
		dir = next;
		comp = rest;
	}
	*base = comp;
	return dir;
}

void walk_parents_operand(struct walker *wk, struct dir_node *root, const char *src)
{
	char *path = xstrdup(src), *name, *end;
	const char *base = NULL;
	struct dir_node *dir;

	atomic_fetch_add(&root->refs, 1); /* the chain's own reference */
	dir = walk_parents_chain(wk, root, path, &base);
	if (dir) {
		name = xstrdup(base);
		for (end = name + strlen(name); end > name + 1 && end[-1] == '/';)
			*--end = '\0';
		walk_operand(wk, dir, dir == root ? src : base, name, NULL, NULL);
		free(name);
		engine_dir_release(wk->engine, dir);
	}
	free(path);
}

int walk_open_dir_symlink(struct dir_node *parent, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(parent->dst_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return -PCOPY_EOVERWRITE_NONDIR;
	fd = openat(parent->dst_dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : -PCOPY_EOVERWRITE_NONDIR;
}
