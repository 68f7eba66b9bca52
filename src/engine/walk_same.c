// SPDX-License-Identifier: MIT
/*
 * A non-directory operand onto an existing destination that may be the
 * same file: GNU cp 9.1's same_file_ok() (copy.c) and cp.c's "cp --force
 * --backup F F", decision for decision, so that every cp option combination
 * of coreutils' same-file.sh gives cp's result.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/backup_dir.h"
#include "engine/walk_internal.h"
#include "pcopy/backup.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* gnulib's same_nameat(): are @src and @dst_name in @root one directory entry? */
static bool same_name(struct dir_node *root, const char *src, const char *dst_name)
{
	char *copy = xstrdup(src), *base = path_base(src);
	struct stat a, b;
	bool same = !strcmp(base, dst_name) &&
		    fstatat(root->src_dirfd, dirname(copy), &a, 0) == 0 &&
		    fstat(root->dst_dirfd, &b) == 0 && same_inode(&a, &b);

	free(copy);
	free(base);
	return same;
}

/* The part of same_file_ok() for DEREF_NEVER with two symlinks; -1 when it does not decide. */
static int same_links(const struct pcopy_opts *o, bool same, bool sn, bool *return_now)
{
	if (!sn) {
		if (o->backup != BACKUP_NONE)
			return 1;
		if (same) {
			*return_now = true;
			return 1;
		}
	}
	return !sn;
}

/* same_file_ok()'s last test (DEREF_NEVER): do both ends resolve to one file? */
static bool same_resolved(struct dir_node *root, const char *src, const char *dst_name,
			  const struct stat *src_l, const struct stat *dst_l, bool hard_link,
			  bool *return_now)
{
	struct stat s = *src_l, d = *dst_l;

	if (S_ISLNK(s.st_mode) && fstatat(root->src_dirfd, src, &s, 0) != 0)
		return true;
	if (S_ISLNK(d.st_mode) && fstatat(root->dst_dirfd, dst_name, &d, 0) != 0)
		return true;
	if (!same_inode(&s, &d))
		return true;
	if (hard_link) {
		*return_now = !S_ISLNK(dst_l->st_mode);
		return true;
	}
	return false;
}

/* copy.c's same_file_ok(), without mv's cases. */
static bool same_file_ok(struct dir_node *root, const struct pcopy_opts *o, const char *src,
			 const struct stat *src_sb, const char *dst_name, const struct stat *dst_sb,
			 bool *return_now)
{
	struct stat src_tmp, dst_tmp;
	const struct stat *src_l = src_sb, *dst_l = dst_sb;
	bool same = same_inode(src_sb, dst_sb), same_link;

	*return_now = false;
	if (same && o->hard_link) {
		*return_now = true;
		return true;
	}
	if (o->deref == DEREF_NEVER) {
		same_link = same;
		if (S_ISLNK(src_sb->st_mode) && S_ISLNK(dst_sb->st_mode))
			return same_links(o, same, same_name(root, src, dst_name), return_now);
	} else {
		if (!same)
			return true;
		if (fstatat(root->dst_dirfd, dst_name, &dst_tmp, AT_SYMLINK_NOFOLLOW) != 0 ||
		    fstatat(root->src_dirfd, src, &src_tmp, AT_SYMLINK_NOFOLLOW) != 0)
			return true;
		src_l = &src_tmp;
		dst_l = &dst_tmp;
		same_link = same_inode(src_l, dst_l);
		if (S_ISLNK(src_l->st_mode) && S_ISLNK(dst_l->st_mode) && o->remove_destination)
			return true;
	}
	if (o->backup != BACKUP_NONE) {
		if (!same_link)
			/* Backing up the target of a followed link would leave it dangling. */
			return !(o->deref != DEREF_NEVER && S_ISLNK(src_l->st_mode) &&
				 !S_ISLNK(dst_l->st_mode));
		return !same_name(root, src, dst_name);
	}
	if (o->remove_destination) {
		if (S_ISLNK(dst_l->st_mode))
			return true;
		if (same_link && dst_l->st_nlink > 1 && !same_name(root, src, dst_name))
			return true;
	}
	if (!S_ISLNK(src_l->st_mode) && !S_ISLNK(dst_l->st_mode)) {
		if (!same_inode(src_l, dst_l))
			return true;
		if (o->hard_link) {
			*return_now = true;
			return true;
		}
	}
	if (o->symbolic_link && S_ISLNK(dst_l->st_mode))
		return true;
	if (o->deref == DEREF_NEVER)
		return same_resolved(root, src, dst_name, src_l, dst_l, o->hard_link, return_now);
	return false;
}

/*
 * cp.c: "cp --force --backup F F" (the same name twice, a regular file)
 * backs F up and copies the backup to F. Returns 1 with *@backup_src set,
 * 0 when this is not that case, -1 when the backup failed.
 */
static int force_backup_self(struct walker *wk, struct dir_node *root, const char *src,
			     const char *dst_name, char **backup_src)
{
	const struct pcopy_opts *o = wk->opts;
	size_t len = strlen(src), dlen = strlen(dst_name);
	char *dst_path, *made = NULL;
	struct stat st;
	bool same;
	int err;

	if (!o->force || o->backup == BACKUP_NONE)
		return 0;
	dst_path = dir_dst_path(root, dst_name);
	same = !strcmp(src, dst_path) && len >= dlen && !strcmp(src + len - dlen, dst_name) &&
	       fstatat(root->dst_dirfd, dst_name, &st, 0) == 0 && S_ISREG(st.st_mode);
	free(dst_path);
	if (!same)
		return 0;
	err = backup_make(root->dst_dirfd, dst_name, o->backup, o->backup_suffix, &made);
	if (err) {
		char *q = quote_name(src, true);
		char *msg = xasprintf("cannot backup %s: %s", q, report_strerror(err));

		report_error_msg(wk->progress, NULL, err, msg);
		free(msg);
		free(q);
		return -1;
	}
	/* The source is now the backup, in the same directory. */
	*backup_src = xmalloc(len - dlen + strlen(made) + 1);
	memcpy(*backup_src, src, len - dlen);
	strcpy(*backup_src + len - dlen, made);
	free(made);
	return 1;
}

int walk_same_check(struct walker *wk, struct dir_node *root, const char *src, const char *dst_name,
		    const struct stat *st, char **backup_src)
{
	const struct pcopy_opts *o = wk->opts;
	bool use_lstat = (!S_ISREG(st->st_mode) && (!o->copy_contents || S_ISLNK(st->st_mode))) ||
			 o->symbolic_link || o->hard_link || o->backup != BACKUP_NONE ||
			 o->remove_destination;
	struct stat dst;
	bool return_now;
	int err;

	*backup_src = NULL;
	if (o->no_clobber) /* cp -n: no same-file check, the name is kept */
		return 0;
	err = force_backup_self(wk, root, src, dst_name, backup_src);
	if (err)
		return err < 0 ? -1 : 0;
	if (fstatat(root->dst_dirfd, dst_name, &dst, use_lstat ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		return 0;
	/* --backup-dir (rsync's): the backup keeps a copy elsewhere, so only the
	 * very same entry is the same file. */
	if (o->backup != BACKUP_NONE && engine_backup_dir(wk->engine) && same_inode(st, &dst)) {
		if (!same_name(root, src, dst_name))
			return 0;
		walk_report_same_file(wk, root, src, dst_name);
		return -1;
	}
	if (!same_file_ok(root, o, src, st, dst_name, &dst, &return_now)) {
		walk_report_same_file(wk, root, src, dst_name);
		return -1;
	}
	return return_now ? 1 : 0;
}
