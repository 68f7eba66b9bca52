// SPDX-License-Identifier: MIT
/*
 * The operands: cp's rules for SOURCE... DEST, -t and -T, and the checks
 * made once per operand (same file, into itself, DEST/ for directories).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
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
static struct dir_node *make_root_at(struct walker *wk, int dirfd, const char *path,
				     const char *display, int src_dirfd)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dir_node *root;

	if (fd < 0) {
		report_error(wk->progress, display ? display : path, neg_errno());
		return NULL;
	}
	root = walk_dir_new(wk, NULL);
	root->is_root = true;
	root->src_dirfd = src_dirfd;
	root->dst_dirfd = fd;
	root->dst_name = display ? xstrdup(display) : NULL;
	walk_note_dst_dir(wk, root);
	return root;
}

static struct dir_node *make_root(struct walker *wk, const char *path, const char *display)
{
	return make_root_at(wk, AT_FDCWD, path, display, AT_FDCWD);
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

/* The target of symlink @name in @dirfd, or NULL (errno set); caller frees. */
static char *read_link(int dirfd, const char *name)
{
	char *buf = xmalloc(PATH_MAX);
	ssize_t n = readlinkat(dirfd, name, buf, PATH_MAX);

	if (n < 0 || n >= PATH_MAX) {
		if (n >= PATH_MAX)
			errno = ENAMETOOLONG;
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * POSIXLY_CORRECT: cp opens a dangling DEST symlink without O_EXCL and so
 * creates its target. Here the target's directory becomes the root that
 * @src is copied into, under the target's name (walk_operand() again: a
 * chain of links is followed one link at a time, the kernel's ELOOP
 * bounds it).
 */
static void dangling_target(struct walker *wk, struct dir_node *root, const char *src,
			    const char *dst_name)
{
	char *target = read_link(root->dst_dirfd, dst_name), *dir, *name, *display;
	struct dir_node *at;
	int src_dirfd = root->src_dirfd;

	if (!target) {
		char *path = dir_dst_path(root, dst_name);

		report_error(wk->progress, path, neg_errno());
		free(path);
		return;
	}
	dir = dir_name(target);
	name = path_base(target);
	display = target[0] == '/' ? xstrdup(dir) : dir_dst_path(root, dir);
	if (src_dirfd != AT_FDCWD)
		src_dirfd = fcntl(src_dirfd, F_DUPFD_CLOEXEC, 0);
	at = make_root_at(wk, root->dst_dirfd, dir, display, src_dirfd);
	if (at) {
		walk_operand(wk, at, src, name, NULL, NULL);
		engine_dir_release(wk->engine, at);
	} else if (src_dirfd >= 0) {
		close(src_dirfd);
	}
	free(display);
	free(name);
	free(dir);
	free(target);
}

/*
 * cp writes a regular file (or, with --copy-contents, a special file)
 * through an existing DEST symlink, so it follows the link first: it fails
 * when it cannot ("cannot stat 'd': Permission denied", a loop unless -f)
 * and refuses a dangling one (resolving it is racy) unless POSIXLY_CORRECT
 * is set. Other sources and -l, -s, -b, --remove-destination look at the
 * link itself (and replace it). In cp's order, a link that cannot be
 * followed fails before the same-file and just-created checks, a dangling
 * one after them: @dangling says which of the two this call is for.
 * Returns true when @src is taken care of.
 */
static bool dest_symlink(struct walker *wk, struct dir_node *root, const char *src,
			 const char *dst_name, const struct stat *st, bool dangling)
{
	const struct pcopy_opts *o = wk->opts;
	struct stat dst;
	char *path, *q, *msg;
	int err;

	if ((!S_ISREG(st->st_mode) && !o->copy_contents) || S_ISLNK(st->st_mode) || o->hard_link ||
	    o->symbolic_link || o->backup != BACKUP_NONE || o->remove_destination)
		return false;
	if (fstatat(root->dst_dirfd, dst_name, &dst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISLNK(dst.st_mode) || fstatat(root->dst_dirfd, dst_name, &dst, 0) == 0)
		return false;
	err = neg_errno();
	if ((err == -ENOENT) != dangling || (err == -ELOOP && o->force))
		return false; /* -f: cp unlinks what it cannot open */
	if (err == -ENOENT && getenv("POSIXLY_CORRECT")) {
		dangling_target(wk, root, src, dst_name);
		return true;
	}
	path = dir_dst_path(root, dst_name);
	q = quote_name(path, true);
	if (err == -ENOENT)
		msg = xasprintf("not writing through dangling symlink %s", q);
	else
		msg = xasprintf("cannot stat %s: %s", q, report_strerror(err));
	report_error_worded(wk->progress, path, err, msg);
	free(msg);
	free(q);
	free(path);
	return true;
}

/* cp without -r: "-r not specified; omitting directory 'd'" (cli_cp.c). */
static void omit_dir(struct walker *wk, struct dir_node *root, const char *src)
{
	char *path = dir_src_path(root, src); /* all of it under --parents */
	char *q = quote_name(path, true);
	char *msg = xasprintf("-r not specified; omitting directory %s", q);

	report_error_worded(wk->progress, path, -EISDIR, msg);
	free(msg);
	free(q);
	free(path);
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
	if (S_ISDIR(st.st_mode) && wk->opts->omit_dirs) {
		omit_dir(wk, root, src);
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
		if (excluded || dest_symlink(wk, root, src, dst_name, &st, false))
			return;
		/* cp's same-file rules; -n keeps the existing name, whatever it is. */
		char *backup_src;
		int same = walk_same_check(wk, root, src, dst_name, &st, &backup_src);

		if (same || backup_src) {
			if (backup_src)
				walk_submit_entry(wk, root, backup_src, dst_name, &st, follow);
			free(backup_src);
			return;
		}
		if ((made && just_created(wk, root, made, src, dst_name, &st)) ||
		    dest_symlink(wk, root, src, dst_name, &st, true))
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
