// SPDX-License-Identifier: MIT
/*
 * --link-dest, as rsync's: for each non-directory, the DIRs are tried in
 * order; the first whose entry of the same path (relative to the
 * destination) is unchanged (a regular file of the same size and mtime, a
 * symlink to the same target, the same device or FIFO or socket) with,
 * where preserved, the same permission bits, owner, group and xattrs (ACLs
 * included), is hard-linked to the destination name instead of copying.
 * A relative DIR is relative to the destination, opened when the first
 * file needs it (a snapshot's destination is created by this run). Runs
 * in the walker thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/linkdest.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/util.h"

#define LINKDEST_MAX 20 /* rsync's limit, checked by the command line */

struct linkdest {
	const struct pcopy_opts *opts; /* borrowed */
	struct progress *progress;     /* borrowed */
	bool into_dir;		       /* operands go into DEST (not -T style) */
	int fds[LINKDEST_MAX];	       /* O_PATH descriptors; -1 unusable */
	bool opened[LINKDEST_MAX];
	unsigned tmp_seq; /* for the temporary name of a replacement */
};

struct linkdest *linkdest_new(const struct pcopy_opts *opts, struct progress *progress)
{
	struct linkdest *ld;
	struct stat st;

	if (!opts->nr_link_dests)
		return NULL;
	ld = xcalloc(1, sizeof(*ld));
	ld->opts = opts;
	ld->progress = progress;
	/* As walk_operands() decides it. */
	ld->into_dir =
		opts->target_dir ||
		(!opts->no_target_dir &&
		 (opts->nr_sources > 1 || (stat(opts->dest, &st) == 0 && S_ISDIR(st.st_mode))));
	for (size_t i = 0; i < LINKDEST_MAX; i++)
		ld->fds[i] = -1;
	return ld;
}

void linkdest_free(struct linkdest **ldp)
{
	struct linkdest *ld = *ldp;

	if (!ld)
		return;
	for (size_t i = 0; i < LINKDEST_MAX; i++)
		close_quietly(ld->fds[i]);
	free(ld);
	*ldp = NULL;
}

static int linkdest_fd(struct linkdest *ld, size_t i)
{
	const char *dir = ld->opts->link_dests[i];
	char *path;

	if (ld->opened[i])
		return ld->fds[i];
	ld->opened[i] = true;
	path = dir[0] == '/' ? xstrdup(dir) : path_join(ld->opts->dest, dir);
	ld->fds[i] = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ld->fds[i] < 0)
		progress_message(ld->progress, path, "--link-dest arg does not exist", neg_errno());
	free(path);
	return ld->fds[i];
}

/* @job's destination path relative to DEST, or NULL (the file is DEST). */
static char *linkdest_rel(const struct linkdest *ld, const struct job *job)
{
	char *rel = xstrdup(job->dst_name), *next;

	if (job->dir->is_root && !ld->into_dir) {
		free(rel);
		return NULL;
	}
	for (const struct dir_node *d = job->dir; d && !d->is_root; d = d->parent) {
		if (!ld->into_dir && d->parent && d->parent->is_root)
			break; /* the top is DEST itself */
		next = path_join(d->dst_name, rel);
		free(rel);
		rel = next;
	}
	return rel;
}

/* The sorted, NUL-separated xattr names of @path; its length, or -1. */
static ssize_t linkdest_xattr_names(const char *path, char **out)
{
	ssize_t n = llistxattr(path, NULL, 0);

	*out = NULL;
	if (n <= 0)
		return n;
	*out = xmalloc((size_t)n);
	n = llistxattr(path, *out, (size_t)n);
	return n;
}

static bool linkdest_same_value(const char *a, const char *b, const char *name)
{
	char va[4096], vb[4096];
	ssize_t na = lgetxattr(a, name, va, sizeof(va)), nb = lgetxattr(b, name, vb, sizeof(vb));

	return na >= 0 && na == nb && !memcmp(va, vb, (size_t)na);
}

/* Do @a and @b have the same xattrs (each name of @a in @b, as many)? */
static bool linkdest_same_xattrs(const char *a, const char *b)
{
	char *na, *nb;
	ssize_t la = linkdest_xattr_names(a, &na), lb = linkdest_xattr_names(b, &nb);
	bool same = la >= 0 && la == lb;

	for (ssize_t off = 0; same && off < la; off += (ssize_t)strlen(na + off) + 1)
		same = linkdest_same_value(a, b, na + off);
	free(na);
	free(nb);
	return same;
}

/* Same symlink target? */
static bool linkdest_same_target(int dfd, const char *rel, const struct job *job)
{
	size_t size = (size_t)job->st.st_size + 1;
	char *a = xmalloc(size), *b = xmalloc(size);
	ssize_t na = readlinkat(dfd, rel, a, size);
	ssize_t nb = readlinkat(job->dir->src_dirfd, job->name, b, size);
	bool same = na >= 0 && na == nb && na < (ssize_t)size && !memcmp(a, b, (size_t)na);

	free(a);
	free(b);
	return same;
}

/* rsync's quick check: a regular file by size and mtime, a symlink by its
 * target, a device by its number, a FIFO or socket by its type. */
static bool linkdest_same_kind(int dfd, const char *rel, const struct job *job, struct stat *st)
{
	const struct stat *s = &job->st;

	if (fstatat(dfd, rel, st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (st->st_mode & S_IFMT) != (s->st_mode & S_IFMT))
		return false;
	switch (s->st_mode & S_IFMT) {
	case S_IFREG:
		return st->st_size == s->st_size && st->st_mtim.tv_sec == s->st_mtim.tv_sec &&
		       st->st_mtim.tv_nsec == s->st_mtim.tv_nsec;
	case S_IFLNK:
		return st->st_size == s->st_size && linkdest_same_target(dfd, rel, job);
	case S_IFCHR:
	case S_IFBLK:
		return st->st_rdev == s->st_rdev;
	default:
		return true;
	}
}

/* The quick check, then rsync's unchanged_attrs() for hard-linking. */
static bool linkdest_unchanged(const struct linkdest *ld, int dfd, const char *rel,
			       const struct job *job)
{
	const struct stat *s = &job->st;
	unsigned keep = ld->opts->preserve;
	char *a, *b;
	struct stat st;
	bool same;

	if (!linkdest_same_kind(dfd, rel, job, &st))
		return false;
	if ((keep & PRESERVE_MODE) && !S_ISLNK(s->st_mode) &&
	    (st.st_mode & 07777) != (s->st_mode & 07777))
		return false;
	if ((keep & PRESERVE_OWNERSHIP) && (st.st_uid != s->st_uid || st.st_gid != s->st_gid))
		return false;
	if (!(keep & (PRESERVE_XATTR | PRESERVE_MODE)))
		return true;
	/* Path calls through /proc: the descriptors are O_PATH ones. */
	a = xasprintf("/proc/self/fd/%d/%s", dfd, rel);
	b = job->dir->src_dirfd == AT_FDCWD
		    ? xstrdup(job->name)
		    : xasprintf("/proc/self/fd/%d/%s", job->dir->src_dirfd, job->name);
	same = linkdest_same_xattrs(b, a);
	free(a);
	free(b);
	return same;
}

/* Link DIR's @rel to the job's destination, replacing what is there. */
static bool linkdest_link(struct linkdest *ld, int dfd, const char *rel, struct job *job)
{
	int dst = job->dir->dst_dirfd;
	char tmp[64];

	if (linkat(dfd, rel, dst, job->dst_name, 0) == 0)
		return true;
	/* -n and -u decide themselves about an existing file. */
	if (errno != EEXIST || ld->opts->no_clobber || ld->opts->update)
		return false;
	snprintf(tmp, sizeof(tmp), ".pcopy.ld.%d.%u", (int)getpid(), ++ld->tmp_seq);
	if (linkat(dfd, rel, dst, tmp, 0) < 0)
		return false;
	if (renameat(dst, tmp, dst, job->dst_name) == 0)
		return true;
	unlinkat(dst, tmp, 0);
	return false;
}

bool linkdest_try(struct linkdest *ld, struct job *job)
{
	bool linked = false;
	char *rel;

	if (!ld || ld->opts->dry_run || job->dir->dst_dirfd < 0 || job->follow ||
	    S_ISDIR(job->st.st_mode))
		return false;
	rel = linkdest_rel(ld, job);
	for (size_t i = 0; rel && i < ld->opts->nr_link_dests && !linked; i++) {
		int dfd = linkdest_fd(ld, i);

		if (dfd >= 0 && linkdest_unchanged(ld, dfd, rel, job))
			linked = linkdest_link(ld, dfd, rel, job);
	}
	free(rel);
	if (linked) {
		job->published = true;
		job->skipped = PC_LINKED;
	}
	return linked;
}
