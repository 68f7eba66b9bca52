// SPDX-License-Identifier: MIT
/*
 * The operands: cp's rules for SOURCE... DEST, -t and -T, and the checks
 * made once per operand (same file, into itself, DEST/ for directories).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/walk_internal.h"
#include "pcopy/engine.h"
#include "pcopy/exclude.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"
#include "pcopy/walk.h"

/* Is @st (a source directory) @dirfd itself or one of its ancestors? */
static bool contains_dir(int dirfd, const struct stat *st)
{
	struct stat cur, up_st;
	int fd = dup(dirfd);
	bool found = false;

	while (fd >= 0 && fstat(fd, &cur) == 0) {
		int up;

		if (cur.st_dev == st->st_dev && cur.st_ino == st->st_ino) {
			found = true;
			break;
		}
		up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = up;
		/* At "/", ".." is the directory itself. */
		if (fd < 0 || fstat(fd, &up_st) < 0 ||
		    (up_st.st_dev == cur.st_dev && up_st.st_ino == cur.st_ino))
			break;
	}
	close_quietly(fd);
	return found;
}

/* @path without its last component and trailing slashes; caller frees. */
static char *dir_name(const char *path)
{
	char *copy = xstrdup(path), *out;
	size_t len = strlen(copy);

	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	out = xstrdup(dirname(copy));
	free(copy);
	return out;
}

/*
 * The pseudo-directory that holds the operands: its destination is the
 * directory the copies go into. @display is how messages name it (NULL
 * when the destination operand had no directory part).
 */
static struct dir_node *make_root(struct walker *wk, const char *path, const char *display)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dir_node *root;

	if (fd < 0) {
		report_error(wk->progress, display ? display : path, neg_errno());
		return NULL;
	}
	root = walk_dir_new(wk, NULL);
	root->is_root = true;
	root->src_dirfd = AT_FDCWD;
	root->dst_dirfd = fd;
	root->dst_name = display ? xstrdup(display) : NULL;
	walk_note_dst_dir(wk, root);
	return root;
}

/*
 * cp's rule for several sources into one directory: a name an earlier
 * operand made is not replaced by a later operand of the same name
 * ("will not overwrite just-created 'c/1' with 'b/1'"). Only operands
 * count (as in cp), so this holds one entry per non-directory operand.
 */
struct made_name {
	char *name;	       /* destination name in the root; owned */
	mode_t mode;	       /* the earlier operand's type */
	struct timespec mtime; /* and mtime (-u) */
};

struct made_set {
	struct made_name *slots; /* open addressing; name NULL when free */
	size_t cap, nr;		 /* cap a power of two, nr < cap / 2 */
};

static size_t made_hash(const char *name)
{
	size_t h = 1469598103934665603u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211u;
	return h;
}

static struct made_name *made_slot(const struct made_set *set, const char *name)
{
	size_t i = made_hash(name) & (set->cap - 1);

	while (set->slots[i].name && strcmp(set->slots[i].name, name))
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

static void made_add(struct made_set *set, const char *name, const struct stat *st)
{
	struct made_name *m;

	if (2 * (set->nr + 1) >= set->cap) {
		struct made_set big = { xcalloc(set->cap * 2, sizeof(*big.slots)), set->cap * 2,
					0 };

		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i].name)
				*made_slot(&big, set->slots[i].name) = set->slots[i];
		big.nr = set->nr;
		free(set->slots);
		*set = big;
	}
	m = made_slot(set, name);
	if (m->name)
		return; /* the first one made it */
	*m = (struct made_name){ xstrdup(name), st->st_mode, st->st_mtim };
	set->nr++;
}

static void made_free(struct made_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].name);
	free(set->slots);
}

/* Is @a later than @b? */
static bool time_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

/*
 * Non-directory operand @src (@st) goes to @dst_name, which an earlier
 * operand made: skip it (-n, -u as cp would) or refuse it with cp's words.
 * Returns true when @src is taken care of.
 */
static bool just_created(struct walker *wk, struct dir_node *root, struct made_set *made,
			 const char *src, const char *dst_name, const struct stat *st)
{
	const struct made_name *m = made->cap ? made_slot(made, dst_name) : NULL;
	char *dst, *qs, *qd, *msg;

	if (!m || !m->name)
		return false;
	if (wk->opts->no_clobber) {
		progress_count(wk->progress, PC_SKIPPED_NO_CLOBBER, 1);
		return true;
	}
	/* -u: what was just made has the earlier mtime (-p) or now. */
	if (wk->opts->update &&
	    (!(wk->opts->preserve & PRESERVE_TIMESTAMPS) || !time_after(&st->st_mtim, &m->mtime))) {
		progress_count(wk->progress, PC_SKIPPED_UNCHANGED, 1);
		return true;
	}
	dst = dir_dst_path(root, dst_name);
	qs = quote_name(src, true);
	qd = quote_name(dst, true);
	/* cp would write through a symlink: it says so. */
	if (S_ISLNK(m->mode) && !S_ISLNK(st->st_mode))
		msg = xasprintf("will not copy %s through just-created symlink %s", qs, qd);
	else
		msg = xasprintf("will not overwrite just-created %s with %s", qd, qs);
	report_error_msg(wk->progress, NULL, -EEXIST, msg);
	free(msg);
	free(qs);
	free(qd);
	free(dst);
	return true;
}

/*
 * Would copying @src (stat @st) onto @dst_name destroy what it copies?
 * Either both are one file, or @src is a symlink (not followed) to the
 * file @dst_name is: copied over it, the link would point at itself and the
 * data would be gone. cp calls both "the same file".
 */
static bool same_as_dest(struct dir_node *root, const char *src, const char *dst_name,
			 const struct stat *st, bool follow)
{
	struct stat dst, target;

	if (fstatat(root->dst_dirfd, dst_name, &dst, 0) < 0)
		return false;
	if (dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
		return true;
	if (follow || !S_ISLNK(st->st_mode) || fstatat(root->src_dirfd, src, &target, 0) < 0)
		return false;
	if (target.st_dev != dst.st_dev || target.st_ino != dst.st_ino)
		return false;
	/* A symlink in the destination is replaced, not written through. */
	return fstatat(root->dst_dirfd, dst_name, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
	       !S_ISLNK(dst.st_mode);
}

/*
 * Copy source operand @src to @dst_name inside @root. @dst_display is the
 * destination operand when it ended with '/', which only a directory may
 * be copied to (as cp: "cannot create regular file 'x/': Not a directory").
 */
void walk_operand(struct walker *wk, struct dir_node *root, const char *src, const char *dst_name,
		  const char *dst_slashed, struct made_set *made)
{
	bool follow = wk->opts->deref != DEREF_NEVER;
	struct stat st;
	struct dir_node *top;

	if (fstatat(root->src_dirfd, src, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
		/* cp's words for an operand it cannot stat (GNU link-deref.sh). */
		int err = neg_errno();
		char *q = quote_name(src, true);
		char *msg = xasprintf("cannot stat %s: %s", q, report_strerror(err));

		report_error_worded(wk->progress, src, err, msg);
		free(msg);
		free(q);
		return;
	}
	if (!S_ISDIR(st.st_mode) && dst_slashed) {
		report_error(wk->progress, dst_slashed, -ENOTDIR);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		char *base = path_base(src);
		bool excluded = wk->excludes && walk_is_excluded(wk, root, base, false);

		free(base);
		if (excluded)
			return;
		/* -n: the existing name is kept, whatever it is (the job skips it). */
		if (!wk->opts->no_clobber && same_as_dest(root, src, dst_name, &st, follow)) {
			char *backup_src;
			int go = walk_backup_same_file(wk, root, src, dst_name, &st, &backup_src);

			if (!go)
				walk_report_same_file(wk, root, src, dst_name);
			if (go > 0)
				walk_submit_entry(wk, root, backup_src ? backup_src : src, dst_name,
						  &st, follow);
			free(backup_src);
			return;
		}
		if (made && just_created(wk, root, made, src, dst_name, &st))
			return;
		if (made)
			made_add(made, dst_name, &st);
		walk_submit_entry(wk, root, src, dst_name, &st, follow);
		return;
	}
	/* A file just made there by an earlier operand may not be published yet. */
	if (made && made->cap && made_slot(made, dst_name)->name) {
		char *path = dir_dst_path(root, dst_name);

		report_error(wk->progress, path, -PCOPY_EOVERWRITE_NONDIR);
		free(path);
		return;
	}
	if (contains_dir(root->dst_dirfd, &st)) {
		walk_report_into_self(wk, root, src, dst_name);
		return;
	}
	wk->root_dev = st.st_dev;
	top = walk_make_dir(wk, root, src, dst_name, &st, follow);
	if (top && wk->hooks && wk->hooks->top)
		wk->hooks->top(wk, top);
	else if (top)
		walk_tree(wk, top);
}

/* Is @path an existing directory (following symlinks, as cp does for DEST)? */
static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void walker_init(struct walker *wk, struct engine *engine, struct backend *backend,
		 struct hardlink_map *links)
{
	const struct pcopy_opts *opts = engine_opts(engine);

	*wk = (struct walker){
		.engine = engine,
		.opts = opts,
		.progress = engine_progress(engine),
		.backend = backend,
		.links = links,
		.dents = xmalloc(DENTS_BUF_SIZE),
		.euid = geteuid(),
		.egid = getegid(),
	};
	worker_ctx_init(&wk->w, opts, engine_progress(engine), opts->jobs);
	wk->dir_budget = walk_dir_budget(opts);
	wk->excludes = exclude_new_opts(opts);
}

void walker_release(struct walker *wk)
{
	worker_ctx_release(&wk->w);
	exclude_free(&wk->excludes);
	free(wk->frames);
	free(wk->dents);
}

void walk_operands(struct walker *wk)
{
	const struct pcopy_opts *opts = wk->opts;
	bool into_dir = opts->target_dir ||
			(!opts->no_target_dir && (opts->nr_sources > 1 || is_dir(opts->dest)));
	struct dir_node *root;

	if (into_dir) {
		/* "dst/" and "dst" both display as "dst/name". */
		char *display = xstrdup(opts->dest);

		for (size_t len = strlen(display); len > 1 && display[len - 1] == '/';)
			display[--len] = '\0';
		/* cp checks for just-made names with two or more sources. */
		struct made_set made = { 0 };

		if (opts->nr_sources > 1) {
			made.cap = 16;
			made.slots = xcalloc(made.cap, sizeof(*made.slots));
		}
		root = make_root(wk, opts->dest, display);
		free(display);
		for (size_t i = 0; root && i < opts->nr_sources && !stop_requested(); i++) {
			char *name = path_base(opts->sources[i]);

			if (opts->parents)
				walk_parents_operand(wk, root, opts->sources[i]);
			else
				walk_operand(wk, root, opts->sources[i], name, NULL,
					     opts->nr_sources > 1 ? &made : NULL);
			free(name);
		}
		made_free(&made);
	} else {
		char *parent = dir_name(opts->dest), *name = path_base(opts->dest);
		bool has_dir = strchr(opts->dest, '/') != NULL;

		root = make_root(wk, parent, has_dir ? parent : NULL);
		size_t len = strlen(opts->dest);
		bool slashed = len > 1 && opts->dest[len - 1] == '/';

		if (root)
			walk_operand(wk, root, opts->sources[0], name, slashed ? opts->dest : NULL,
				     NULL);
		free(parent);
		free(name);
	}
	if (root)
		engine_dir_release(wk->engine, root);
}

void walk_run(struct engine *engine, struct backend *backend, struct hardlink_map *links)
{
	struct walker wk;

	walker_init(&wk, engine, backend, links);
	walk_operands(&wk);
	progress_walk_done(wk.progress);
	walker_release(&wk);
}
