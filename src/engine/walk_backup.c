// SPDX-License-Identifier: MIT
/*
 * --backup and --remove-destination: an existing destination entry is
 * renamed aside or removed by the walker, before the job is scheduled, so
 * that every backend sees the same destination and no two workers race for
 * a backup number.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup_dir.h"
#include "engine/walk_internal.h"
#include "pcopy/backup.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

/* -u would keep this destination: the same test as the copy's own. */
static bool walk_backup_up_to_date(const struct stat *src, const struct stat *dst)
{
	if (dst->st_mtim.tv_sec != src->st_mtim.tv_sec)
		return dst->st_mtim.tv_sec > src->st_mtim.tv_sec;
	if (dst->st_mtim.tv_nsec != src->st_mtim.tv_nsec)
		return dst->st_mtim.tv_nsec > src->st_mtim.tv_nsec;
	return !S_ISREG(src->st_mode) || dst->st_size == src->st_size;
}

/* "pcopy: WHAT 'PATH': strerror", as cp words "cannot backup" and "cannot remove". */
static void walk_backup_fail(struct walker *wk, const char *what, const char *path, int err)
{
	char *q = quote_name(path, true);
	size_t size = strlen(what) + strlen(q) + 128;
	char *msg = xmalloc(size);

	snprintf(msg, size, "%s %s: %s", what, q, report_strerror(err));
	report_error_msg(wk->progress, NULL, err, msg);
	free(msg);
	free(q);
}

/* cp's source_is_dst_backup(): would the simple backup of the destination replace @name? */
static bool walk_backup_is_src(struct walker *wk, struct dir_node *dir, const char *name,
			       const char *dst_name, const struct stat *st)
{
	size_t size = strlen(dst_name) + strlen(wk->opts->backup_suffix) + 1;
	char *copy = xstrdup(name), *back = xmalloc(size);
	struct stat b;
	bool is_src;

	snprintf(back, size, "%s%s", dst_name, wk->opts->backup_suffix);
	is_src = !strcmp(basename(copy), back) && fstatat(dir->dst_dirfd, back, &b, 0) == 0 &&
		 b.st_dev == st->st_dev && b.st_ino == st->st_ino;
	free(back);
	free(copy);
	return is_src;
}

/* --backup-dir: move @dst_name there; its path under -v. */
static int walk_backup_to_dir(struct walker *wk, struct dir_node *dir, const char *dst_name,
			      const struct stat *st)
{
	struct backup_dir *bd = engine_backup_dir(wk->engine);
	char *made = NULL;
	int err = backup_dir_move(bd, dir, "", dir->dst_dirfd, dst_name, st, &made);

	if (!err && wk->opts->verbose)
		wk->backup_made = made;
	else
		free(made);
	return err == BACKUP_DIR_GONE ? 0 : err;
}

/* Back up @dst_name, or refuse as cp does when the backup would be the source. */
static bool walk_backup_one(struct walker *wk, struct dir_node *dir, const char *name,
			    const char *dst_name, const struct stat *st)
{
	bool to_dir = engine_backup_dir(wk->engine) != NULL;
	char *path, *src, *made = NULL;
	int err = to_dir ? walk_backup_to_dir(wk, dir, dst_name, st) : 0;

	if (to_dir ? err == BACKUP_DIR_IS_SOURCE
		   : walk_backup_is_src(wk, dir, name, dst_name, st)) {
		char *qd, *qs, *msg;
		size_t size;

		path = dir_dst_path(dir, dst_name);
		src = dir_src_path(dir, name);
		qd = quote_name(path, true);
		qs = quote_name(src, true);
		size = strlen(qd) + strlen(qs) + 64;
		msg = xmalloc(size);
		snprintf(msg, size, "backing up %s might destroy source;  %s not copied", qd, qs);
		report_error_msg(wk->progress, NULL, -EEXIST, msg);
		free(msg);
		free(qs);
		free(qd);
		free(src);
		free(path);
		return false;
	}
	if (!to_dir)
		err = backup_make(dir->dst_dirfd, dst_name, wk->opts->backup,
				  wk->opts->backup_suffix, &made);
	if (!to_dir && !err && wk->opts->verbose)
		wk->backup_made = dir_dst_path(dir, made);
	free(made);
	if (!err || (err == -ENOENT && !to_dir))
		return true;
	path = dir_dst_path(dir, dst_name);
	walk_backup_fail(wk, "cannot backup", path, err);
	free(path);
	return false;
}

bool walk_prepare_dest(struct walker *wk, struct dir_node *dir, const char *name,
		       const char *dst_name, const struct stat *st)
{
	const struct pcopy_opts *o = wk->opts;
	struct stat dst;
	char *path;

	if ((o->backup == BACKUP_NONE && !o->remove_destination) || o->dry_run || dir->dst_fresh ||
	    dir->dst_dirfd < 0 || o->no_clobber)
		return true;
	if (fstatat(dir->dst_dirfd, dst_name, &dst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    S_ISDIR(dst.st_mode))
		return true; /* nothing to keep, or the copy's own error */
	if (o->update && walk_backup_up_to_date(st, &dst))
		return true;
	/* cp -l onto the very file: nothing to replace, so nothing to back up. */
	if (o->hard_link && dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
		return true;
	if (o->backup != BACKUP_NONE)
		return walk_backup_one(wk, dir, name, dst_name, st);
	if (dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
		return true; /* "are the same file", from the copy */
	if (unlinkat(dir->dst_dirfd, dst_name, 0) == 0 || errno == ENOENT)
		return true;
	path = dir_dst_path(dir, dst_name);
	walk_backup_fail(wk, "cannot remove", path, neg_errno());
	free(path);
	return false;
}

/* Is the destination @dst_name of @root the very directory entry @src names? */
static bool walk_backup_same_entry(struct dir_node *root, const char *src, const char *dst_name)
{
	char *copy = xstrdup(src), *base = xstrdup(basename(copy));
	struct stat a, b;
	bool same;

	free(copy);
	copy = xstrdup(src);
	same = !strcmp(base, dst_name) && stat(dirname(copy), &a) == 0 &&
	       fstat(root->dst_dirfd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	free(copy);
	free(base);
	return same;
}

/* "pcopy: @before'SRC'@middle'DST'@after", as cp words its two-name errors. */
static void walk_report_pair(struct walker *wk, struct dir_node *root, const char *src,
			     const char *dst_name, const char *before, const char *middle,
			     const char *after, int err)
{
	char *dst = dir_dst_path(root, dst_name);
	char *qs = quote_name(src, true), *qd = quote_name(dst, true);
	size_t size = strlen(before) + strlen(qs) + strlen(middle) + strlen(qd) + strlen(after) + 1;
	char *msg = xmalloc(size);

	snprintf(msg, size, "%s%s%s%s%s", before, qs, middle, qd, after);
	report_error_msg(wk->progress, NULL, err, msg);
	free(msg);
	free(qd);
	free(qs);
	free(dst);
}

void walk_report_same_file(struct walker *wk, struct dir_node *root, const char *src,
			   const char *dst_name)
{
	walk_report_pair(wk, root, src, dst_name, "", " and ", " are the same file",
			 -PCOPY_ESAME_FILE);
}

void walk_report_into_self(struct walker *wk, struct dir_node *root, const char *src,
			   const char *dst_name)
{
	walk_report_pair(wk, root, src, dst_name, "cannot copy a directory, ", ", into itself, ",
			 "", -PCOPY_EINTO_SELF);
}

int walk_backup_same_file(struct walker *wk, struct dir_node *root, const char *src,
			  const char *dst_name, const struct stat *st, char **backup_src)
{
	const struct pcopy_opts *o = wk->opts;
	size_t len = strlen(src), dlen = strlen(dst_name);
	char *dst_path, *made = NULL;
	struct stat lst;
	bool same_name;
	int err;

	*backup_src = NULL;
	if (o->hard_link)
		return 1; /* cp -l: already linked, nothing to do */
	/* A symlink to the source is removed or replaced, not followed (as cp). */
	if ((o->remove_destination || o->symbolic_link) &&
	    fstatat(root->dst_dirfd, dst_name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(lst.st_mode))
		return 1;
	if (o->backup == BACKUP_NONE)
		return 0;
	/* The backup would leave a copy of it elsewhere, not beside it. */
	if (engine_backup_dir(wk->engine))
		return walk_backup_same_entry(root, src, dst_name) ? 0 : 1;
	if (!walk_backup_same_entry(root, src, dst_name))
		return 1; /* another link to the same inode: backed up, then replaced */
	dst_path = dir_dst_path(root, dst_name);
	same_name = !strcmp(src, dst_path) && len >= dlen && !strcmp(src + len - dlen, dst_name);
	free(dst_path);
	/* cp's special case: "cp --force --backup F F" backs F up and copies it back. */
	if (!same_name || !o->force || !S_ISREG(st->st_mode))
		return 0;
	err = backup_make(root->dst_dirfd, dst_name, o->backup, o->backup_suffix, &made);
	if (err) {
		walk_backup_fail(wk, "cannot backup", src, err);
		return -1;
	}
	/* The source is now the backup, in the same directory. */
	*backup_src = xmalloc(len - dlen + strlen(made) + 1);
	memcpy(*backup_src, src, len - dlen);
	strcpy(*backup_src + len - dlen, made);
	free(made);
	return 1;
}
