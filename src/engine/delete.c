// SPDX-License-Identifier: MIT
/*
 * --delete, as rsync's --delete-during: when a directory is complete (its
 * children are all copied, so no job is writing a temporary name in it),
 * each destination entry whose name the source directory lacks is
 * removed: files and symlinks with unlinkat, directories depth first.
 * Everything is relative to the destination directory's descriptor, one
 * name at a time, opened O_NOFOLLOW: a symlink in the destination is
 * removed, never followed, and nothing outside DEST is reached.
 * Excluded names are kept (also inside a removed directory, which then
 * stays, as rsync's "cannot delete non-empty directory") unless
 * --delete-excluded. After any error reading the source, nothing more is
 * deleted: the source may not have been seen whole. With --backup-dir a
 * non-directory is moved there instead of unlinked (rsync's make_backup()
 * in delete_item()), and DIR itself, when it is inside the destination, is
 * never deleted nor backed up into itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup_dir.h"
#include "engine/delete.h"
#include "pcopy/exclude.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* Where an entry being deleted is: for messages, --exclude and --backup-dir. */
struct delete_names {
	const char *path;	    /* display path */
	const char *rel;	    /* path below the operand (--exclude) */
	const struct dir_node *dir; /* the finished directory it is in or below */
	const char *below;	    /* the entry's directory below @dir ("" in it) */
};

/* The names of one destination directory, read before any is removed. */
struct delete_list {
	char **names;
	unsigned char *types; /* DT_* (DT_UNKNOWN resolved with fstatat) */
	size_t nr, alloc;
};

void delete_init(struct delete_ctx *d, const struct pcopy_opts *opts, struct progress *progress)
{
	*d = (struct delete_ctx){ .opts = opts, .progress = progress };
	atomic_init(&d->src_error, false);
	atomic_init(&d->warned, false);
	d->excludes = exclude_new_opts(opts);
}

void delete_release(struct delete_ctx *d)
{
	if (d->excludes)
		exclude_free(&d->excludes);
}

void delete_note_source_error(struct delete_ctx *d)
{
	atomic_store(&d->src_error, true);
}

bool delete_source_incomplete(struct delete_ctx *d)
{
	return atomic_load(&d->src_error);
}

static void delete_list_free(struct delete_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->names[i]);
	free(l->names);
	free(l->types);
}

/* getdents64's buffer: a directory of a few hundred names in one call. */
#define DELETE_DENTS_SIZE (32u << 10)

static void delete_list_add(struct delete_list *l, const char *name, unsigned char type)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 32;
		l->names = xrealloc(l->names, l->alloc * sizeof(*l->names));
		l->types = xrealloc(l->types, l->alloc);
	}
	l->types[l->nr] = type;
	l->names[l->nr++] = xstrdup(name);
}

/*
 * Read every name of the directory open at @fd (not . and ..) into @l,
 * from its start: getdents64 on the descriptor in hand, with no second
 * open or DIR stream (the walker is done with a finished directory's
 * descriptors, and nothing else reads them in order). Returns 0 or -errno.
 */
static int delete_list_read(int fd, struct delete_list *l)
{
	char *buf;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return neg_errno();
	buf = xmalloc(DELETE_DENTS_SIZE);
	while ((n = getdents64(fd, buf, DELETE_DENTS_SIZE)) > 0) {
		for (ssize_t pos = 0; pos < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + pos);

			pos += e->d_reclen;
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				delete_list_add(l, e->d_name, e->d_type);
		}
	}
	free(buf);
	return n < 0 ? neg_errno() : 0;
}

static int delete_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is @name one of the source's names in @src (sorted)? */
static bool delete_in_source(const struct delete_list *src, const char *name)
{
	/* (an empty source directory has no array at all) */
	return src->nr &&
	       bsearch(&name, src->names, src->nr, sizeof(*src->names), delete_name_cmp) != NULL;
}

static bool delete_is_dir(int dfd, const char *name, unsigned char type)
{
	struct stat st;

	if (type != DT_UNKNOWN)
		return type == DT_DIR;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Is @rel (path below the operand, last component @name) kept as excluded? */
static bool delete_protected(const struct delete_ctx *d, const char *rel, const char *name,
			     bool is_dir)
{
	return d->excludes && !d->opts->delete_excluded &&
	       exclude_match(d->excludes, rel, name, is_dir);
}

static int delete_entry(struct delete_ctx *d, int dfd, const char *name, bool is_dir,
			const struct delete_names *n);

/*
 * Empty the directory @name of @dfd (@n: its names), keeping protected
 * names. Returns 0 or -errno (reported).
 */
static int delete_contents(struct delete_ctx *d, int dfd, const char *name,
			   const struct delete_names *n)
{
	struct delete_list l = { 0 };
	char *below = path_join(n->below, name);
	int fd, err;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = neg_errno();
		report_error(d->progress, n->path, err);
		free(below);
		return err;
	}
	err = delete_list_read(fd, &l);
	if (err)
		report_error(d->progress, n->path, err);
	for (size_t i = 0; i < l.nr && !err && !stop_requested(); i++) {
		bool sub_dir = delete_is_dir(fd, l.names[i], l.types[i]);
		char *sub_path = path_join(n->path, l.names[i]);
		char *sub_rel = path_join(n->rel, l.names[i]);
		struct delete_names sub = { sub_path, sub_rel, n->dir, below };

		if (!delete_protected(d, sub_rel, l.names[i], sub_dir))
			delete_entry(d, fd, l.names[i], sub_dir, &sub);
		free(sub_rel);
		free(sub_path);
	}
	close(fd);
	delete_list_free(&l);
	free(below);
	return err;
}

/* Remove a non-directory, or with --backup-dir move it there. */
static int delete_file(struct delete_ctx *d, int dfd, const char *name,
		       const struct delete_names *n)
{
	char *q, *msg;
	int err;

	if (!d->backup_dir)
		return unlinkat(dfd, name, 0) < 0 ? neg_errno() : 0;
	err = backup_dir_move(d->backup_dir, n->dir, n->below, dfd, name, NULL, NULL);
	if (err == BACKUP_DIR_GONE)
		return -ENOENT;
	if (!err)
		return 0;
	q = quote_name(n->path, true);
	msg = xasprintf("cannot backup %s: %s", q, report_strerror(err));
	report_error_msg(d->progress, n->path, err, msg);
	free(msg);
	free(q);
	return 1; /* reported */
}

/* Remove one entry (a directory with what it holds); say so under -v. */
static int delete_entry(struct delete_ctx *d, int dfd, const char *name, bool is_dir,
			const struct delete_names *n)
{
	bool dry = d->opts->dry_run;
	int err = 0;

	if (is_dir) {
		/* DIR inside the destination: kept whole (and so is its parent). */
		if (backup_dir_is(d->backup_dir, dfd, name))
			return -ENOTEMPTY;
		err = delete_contents(d, dfd, name, n);
		if (err)
			return err;
		if (!dry && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
			err = neg_errno();
	} else if (!dry) {
		err = delete_file(d, dfd, name, n);
		if (err == 1)
			return -EIO;
	}
	if (err) {
		if (err == -ENOENT)
			return 0; /* gone already */
		if (is_dir && (err == -ENOTEMPTY || err == -EEXIST))
			progress_message(d->progress, n->path, "cannot delete non-empty directory",
					 err);
		else
			report_error(d->progress, n->path, err);
		return err;
	}
	char *shown = is_dir ? xasprintf("%s/", n->path) : xstrdup(n->path);

	if (d->opts->itemize)
		progress_itemize(d->progress, "*deleting  ", shown, ""); /* rsync's %-11s */
	else
		progress_verbose_action(d->progress, "deleting", shown);
	free(shown);
	progress_count(d->progress, PC_DELETED, 1);
	return 0;
}

/* @dir's path below the source operand ("" for the operand itself). */
static char *delete_rel_dir(const struct dir_node *dir)
{
	char *rel = xstrdup(""), *next;

	for (const struct dir_node *x = dir; x->parent && !x->parent->is_root; x = x->parent) {
		next = path_join(x->dst_name, rel);
		free(rel);
		rel = next;
	}
	return rel;
}

/* Say once that the source was not read whole; true when deleting is off. */
static bool delete_blocked(struct delete_ctx *d)
{
	if (!atomic_load(&d->src_error))
		return false;
	if (!atomic_exchange(&d->warned, true))
		progress_message(d->progress, NULL,
				 "IO error encountered -- skipping file deletion", 0);
	return true;
}

/*
 * Remove the entries of @l (names in @dir's destination) that the source
 * lacks; @src: the source directory's names, sorted (one listing instead
 * of a stat per name).
 */
static void delete_missing(struct delete_ctx *d, struct dir_node *dir, int dfd,
			   const struct delete_list *l, const struct delete_list *src)
{
	char *dir_path = dir_dst_path(dir->parent, dir->dst_name);
	char *rel_dir = delete_rel_dir(dir);

	for (size_t i = 0; i < l->nr && !stop_requested() && !delete_blocked(d); i++) {
		const char *name = l->names[i];
		bool in_source = delete_in_source(src, name);
		/* In the source and no --exclude to ask: kept, with no stat. */
		bool is_dir = (!in_source || d->excludes) && delete_is_dir(dfd, name, l->types[i]);
		char *rel = d->excludes ? path_join(rel_dir, name) : NULL;
		bool excluded = rel && exclude_match(d->excludes, rel, name, is_dir);

		/* Kept: excluded (unless --delete-excluded), or in the source. */
		if (excluded ? !d->opts->delete_excluded : in_source) {
			free(rel);
			continue;
		}
		if (!rel)
			rel = path_join(rel_dir, name);
		char *path = path_join(dir_path, name);
		struct delete_names n = { path, rel, dir, "" };

		delete_entry(d, dfd, name, is_dir, &n);
		free(path);
		free(rel);
	}
	free(rel_dir);
	free(dir_path);
}

void delete_extraneous(struct delete_ctx *d, struct dir_node *dir)
{
	struct delete_list l = { 0 }, src = { 0 };
	bool src_failed = false;
	int err;

	/* A directory we created holds only what we copied into it. */
	if (dir->dst_fresh || dir->dst_dirfd < 0 || dir->src_dirfd < 0 || delete_blocked(d))
		return;
	err = delete_list_read(dir->src_dirfd, &src);
	if (err) {
		/* Not seen whole now: nothing is deleted on a partial view. */
		delete_note_source_error(d);
		src_failed = true;
	} else {
		err = delete_list_read(dir->dst_dirfd, &l);
	}
	if (!err) {
		/* (only the names are sorted: the source's types go unused) */
		if (src.nr)
			qsort(src.names, src.nr, sizeof(*src.names), delete_name_cmp);
		delete_missing(d, dir, dir->dst_dirfd, &l, &src);
	}
	delete_list_free(&l);
	delete_list_free(&src);
	if (!err)
		return;
	char *path = src_failed ? dir_src_path(dir->parent, dir->src_name)
				: dir_dst_path(dir->parent, dir->dst_name);

	report_error(d->progress, path, err);
	free(path);
}
