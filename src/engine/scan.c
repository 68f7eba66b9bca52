// SPDX-License-Identifier: MIT
/*
 * The counting scan (include/pcopy/scan.h): a depth-first walk of the
 * sources that only adds to the progress totals. It mirrors the walker's
 * decisions (walk.c, walk_operands.c) without its jobs or directory nodes:
 * a stack of frames holds what one directory level needs (descriptor,
 * where its listing resumes, its identity, its name), so memory grows with
 * depth only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pcopy/exclude.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/scan.h"
#include "pcopy/util.h"

#define SCAN_DENTS_SIZE (32u << 10)
/* Publish the running totals after this many files (and at each directory end). */
#define SCAN_FLUSH_FILES 256

/* One directory level being listed. */
struct scan_frame {
	int fd;	       /* -1 while closed to stay within SCAN_MAX_FDS */
	off_t resume;  /* d_off of the last entry handled */
	bool seek;     /* lseek to @resume before the next getdents64 */
	bool followed; /* reached through a symlink (-L, -H operand) */
	dev_t dev;     /* identity, for loops and for reopening */
	ino_t ino;
	size_t name_off; /* its name in scan->path (the operand for frame 0) */
};

/* (dev, ino) of a multiply-linked inode and how many of its names were seen. */
struct scan_link {
	dev_t dev;
	ino_t ino;
	uint32_t seen; /* 0: an empty slot */
	uint32_t nlink;
};

struct scan {
	const struct pcopy_opts *opts; /* borrowed */
	struct progress *progress;     /* borrowed */
	struct exclude_set *excludes;  /* owned; NULL without --exclude */
	char *dents;		       /* getdents64 buffer; owned */
	struct scan_frame *frames;     /* owned */
	size_t nr_frames, alloc_frames;
	char *path; /* names of the frames below the operand, '/'-joined */
	size_t path_len, path_alloc;
	unsigned open_fds, max_open_fds;
	dev_t root_dev;		 /* -x: the operand's file system */
	struct scan_link *links; /* open-addressing set; NULL unless -a links */
	size_t links_cap, nr_links;
	uint64_t files, bytes; /* not yet published */
	atomic_bool stop;
	pthread_t thread;
};

/* ---- the set of multiply-linked inodes ---- */

static size_t link_hash(const struct scan *s, dev_t dev, ino_t ino)
{
	uint64_t h =
		((uint64_t)ino * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)dev * 0xc2b2ae3d27d4eb4full);

	return (size_t)(h ^ (h >> 29)) & (s->links_cap - 1);
}

static void link_grow(struct scan *s)
{
	struct scan_link *old = s->links;
	size_t old_cap = s->links_cap;

	s->links_cap = old_cap ? old_cap * 2 : 256;
	s->links = xcalloc(s->links_cap, sizeof(*s->links));
	for (size_t i = 0; i < old_cap; i++) {
		size_t j;

		if (!old[i].seen)
			continue;
		for (j = link_hash(s, old[i].dev, old[i].ino); s->links[j].seen;)
			j = (j + 1) & (s->links_cap - 1);
		s->links[j] = old[i];
	}
	free(old);
}

/* Remove slot @i, shifting later members of its run back (no tombstones). */
static void link_remove(struct scan *s, size_t i)
{
	size_t mask = s->links_cap - 1, j = i;

	s->links[i].seen = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!s->links[j].seen)
			break;
		home = link_hash(s, s->links[j].dev, s->links[j].ino);
		/* Move j into the hole i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->links[i] = s->links[j];
			s->links[j].seen = 0;
			i = j;
		}
	}
	s->nr_links--;
}

/*
 * Is this the first name of the inode (its bytes count)? As the walker's
 * hard-link map: groups retire once st_nlink names were seen, except under
 * -L, where names reached through symlinks are not counted by st_nlink.
 */
static bool link_first(struct scan *s, const struct statx *stx, bool remember)
{
	dev_t dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	bool by_count = s->opts->deref != DEREF_ALWAYS;
	size_t i;

	if (!s->links_cap)
		link_grow(s);
	for (i = link_hash(s, dev, stx->stx_ino); s->links[i].seen;
	     i = (i + 1) & (s->links_cap - 1)) {
		if (s->links[i].dev != dev || s->links[i].ino != stx->stx_ino)
			continue;
		if (++s->links[i].seen >= s->links[i].nlink && by_count)
			link_remove(s, i);
		return false;
	}
	if (!remember)
		return true;
	s->links[i] = (struct scan_link){ dev, stx->stx_ino, 1, stx->stx_nlink };
	if (++s->nr_links * 2 > s->links_cap)
		link_grow(s);
	return true;
}

/* ---- counting ---- */

static void scan_flush(struct scan *s)
{
	if (s->files || s->bytes)
		progress_scan_add(s->progress, s->files, s->bytes);
	s->files = s->bytes = 0;
}

/* A regular file (status @stx; @via_link: reached through a symlink). */
static void scan_count_file(struct scan *s, const struct statx *stx, bool via_link)
{
	bool follow_all = s->opts->deref == DEREF_ALWAYS;

	if (s->links && (stx->stx_nlink > 1 || follow_all)) {
		/* Under -L every name may be a second one (the walker maps them
		 * all); remembering only the multiply-linked and the symlinked
		 * keeps memory small at the price of a rare overcount. */
		if (!link_first(s, stx, stx->stx_nlink > 1 || via_link))
			return;
	}
	s->files++;
	s->bytes += stx->stx_size;
	if (s->files >= SCAN_FLUSH_FILES)
		scan_flush(s);
}

static int scan_statx(int dirfd, const char *name, bool follow, struct statx *stx)
{
	unsigned mask = STATX_TYPE | STATX_SIZE | STATX_NLINK | STATX_INO;
	int flags = AT_STATX_DONT_SYNC | (follow ? 0 : AT_SYMLINK_NOFOLLOW);

	return statx(dirfd, name, flags, mask, stx) < 0 ? neg_errno() : 0;
}

/* ---- the frame stack and the path below the operand ---- */

static void path_set(struct scan *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len + n + 2 > s->path_alloc) {
		s->path_alloc = (len + n + 2) * 2;
		s->path = xrealloc(s->path, s->path_alloc);
	}
	if (len)
		s->path[len++] = '/';
	memcpy(s->path + len, name, n + 1);
	s->path_len = len + n;
}

/* --exclude, on the path below the operand, as the walker matches it. */
static bool scan_excluded(struct scan *s, const char *name, bool is_dir)
{
	size_t len = s->path_len;
	bool out;

	if (!s->excludes)
		return false;
	if (!exclude_needs_path(s->excludes))
		return exclude_match(s->excludes, NULL, name, is_dir);
	path_set(s, len, name);
	out = exclude_match(s->excludes, s->path, name, is_dir);
	s->path_len = len;
	s->path[len] = '\0';
	return out;
}

/* Close the oldest open frame but the operand's, to make room for one more. */
static void scan_close_one(struct scan *s)
{
	for (size_t i = 1; i + 1 < s->nr_frames; i++) {
		if (s->frames[i].fd < 0)
			continue;
		close(s->frames[i].fd);
		s->frames[i].fd = -1;
		s->open_fds--;
		return;
	}
}

static void scan_push(struct scan *s, int fd, const struct stat *st, bool followed, size_t name_off)
{
	if (s->nr_frames == s->alloc_frames) {
		s->alloc_frames = s->alloc_frames ? s->alloc_frames * 2 : 32;
		s->frames = xrealloc(s->frames, s->alloc_frames * sizeof(*s->frames));
	}
	s->frames[s->nr_frames++] = (struct scan_frame){
		.fd = fd,
		.followed = followed,
		.dev = st->st_dev,
		.ino = st->st_ino,
		.name_off = name_off,
	};
	if (++s->open_fds > s->max_open_fds)
		s->max_open_fds = s->open_fds;
}

/*
 * Going up to a parent whose descriptor was closed: ".." of the child is
 * one openat, not a walk down from the top; checked to be the directory
 * seen (it is not, for a directory reached through a symlink under -L;
 * scan_reopen() then walks down by names).
 */
static void scan_open_parent(struct scan *s, int child_fd, struct scan_frame *parent)
{
	struct stat st;
	int fd = openat(child_fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_dev != parent->dev || st.st_ino != parent->ino) {
		close(fd);
		return;
	}
	parent->fd = fd;
	s->open_fds++;
}

static void scan_pop(struct scan *s)
{
	struct scan_frame *f = &s->frames[--s->nr_frames];

	if (f->fd >= 0) {
		if (s->nr_frames && s->frames[s->nr_frames - 1].fd < 0)
			scan_open_parent(s, f->fd, &s->frames[s->nr_frames - 1]);
		close(f->fd);
		s->open_fds--;
	}
	/* Back to the parent's path: cut at this frame's name. */
	s->path_len = f->name_off ? f->name_off - 1 : 0;
	if (s->path)
		s->path[s->path_len] = '\0';
	scan_flush(s);
}

/*
 * Reopen frame @top, closed to save descriptors, by its names from the
 * nearest open ancestor (O_NOFOLLOW unless it was reached through a
 * symlink), checking each level is the directory seen before.
 */
static int scan_reopen(struct scan *s, size_t top)
{
	size_t j = top;
	int fd;

	while (s->frames[j - 1].fd < 0)
		j--;
	fd = s->frames[j - 1].fd;
	for (size_t i = j; i <= top; i++) {
		struct scan_frame *f = &s->frames[i];
		size_t end = i + 1 < s->nr_frames ? s->frames[i + 1].name_off - 1 : s->path_len;
		char *name = strndup(s->path + f->name_off, end - f->name_off);
		int next = name ? openat(fd, name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC |
						 (f->followed ? 0 : O_NOFOLLOW))
				: -ENOMEM;
		struct stat st;

		free(name);
		if (fd != s->frames[j - 1].fd)
			close(fd);
		if (next < 0)
			return -1;
		if (fstat(next, &st) < 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
			close(next);
			return -1;
		}
		fd = next;
	}
	s->frames[top].fd = fd;
	s->open_fds++;
	return 0;
}

/* Is (dev, ino) a directory on the stack (a loop through -L or a bind mount)? */
static bool scan_on_stack(const struct scan *s, const struct stat *st)
{
	for (size_t i = 0; i < s->nr_frames; i++)
		if (s->frames[i].dev == st->st_dev && s->frames[i].ino == st->st_ino)
			return true;
	return false;
}

/* Enter subdirectory @name of the top frame. Returns true if pushed. */
static bool scan_enter(struct scan *s, const char *name, bool follow)
{
	struct scan_frame *f = &s->frames[s->nr_frames - 1];
	struct stat st;
	size_t off;
	int fd;

	if (s->open_fds >= SCAN_MAX_FDS)
		scan_close_one(s);
	fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return false;
	/* -x: the mount point is copied, empty, as cp -x does. */
	if (fstat(fd, &st) < 0 || scan_on_stack(s, &st) ||
	    (s->opts->one_file_system && st.st_dev != s->root_dev)) {
		close(fd);
		return false;
	}
	off = s->path_len ? s->path_len + 1 : 0;
	path_set(s, s->path_len, name);
	scan_push(s, fd, &st, follow, off);
	return true;
}

/*
 * One entry of the top frame. Returns true when a subdirectory was pushed.
 * Only what d_type leaves open is stat'ed: directories and symlinks need
 * no statx unless -L follows them.
 */
static bool scan_entry(struct scan *s, const char *name, unsigned char type)
{
	bool follow = s->opts->deref == DEREF_ALWAYS;
	int fd = s->frames[s->nr_frames - 1].fd;
	struct statx stx;

	if (type == DT_DIR && !follow)
		return !scan_excluded(s, name, true) && scan_enter(s, name, false);
	if (type != DT_REG && type != DT_DIR && type != DT_UNKNOWN && !(type == DT_LNK && follow))
		return false; /* no data to copy */
	if (scan_statx(fd, name, follow, &stx))
		return false;
	if (S_ISDIR(stx.stx_mode))
		return !scan_excluded(s, name, true) && scan_enter(s, name, follow);
	if (S_ISREG(stx.stx_mode) && !scan_excluded(s, name, false))
		scan_count_file(s, &stx, type == DT_LNK);
	return false;
}

/* List the top frame until a subdirectory is pushed or the listing ends. */
static void scan_top(struct scan *s)
{
	struct scan_frame *f = &s->frames[s->nr_frames - 1];
	ssize_t n;

	if (f->fd < 0 && scan_reopen(s, s->nr_frames - 1) < 0) {
		scan_pop(s); /* gone or swapped: the walker will say so */
		return;
	}
	if (f->seek && lseek(f->fd, f->resume, SEEK_SET) < 0)
		n = -1;
	else
		n = getdents64(f->fd, s->dents, SCAN_DENTS_SIZE);
	f->seek = false;
	if (n <= 0 || atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		scan_pop(s);
		return;
	}
	for (ssize_t pos = 0; pos < n;) {
		struct dirent64 *d = (struct dirent64 *)(s->dents + pos);

		pos += d->d_reclen;
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (scan_entry(s, d->d_name, d->d_type)) {
			/* Resume after this entry once the child is counted
			 * (the push may have moved the frames). */
			f = &s->frames[s->nr_frames - 2];
			f->resume = d->d_off;
			f->seek = true;
			return;
		}
	}
}

/* One source operand, with cp's -H/-L rule for it (walk_operand()). */
static void scan_operand(struct scan *s, const char *src)
{
	bool follow = s->opts->deref != DEREF_NEVER;
	struct statx stx;
	struct stat st;
	int fd;

	if (scan_statx(AT_FDCWD, src, follow, &stx))
		return;
	if (!S_ISDIR(stx.stx_mode)) {
		char *base = path_base(src);

		if (S_ISREG(stx.stx_mode) && !scan_excluded(s, base, false))
			scan_count_file(s, &stx, false);
		free(base);
		return;
	}
	if (s->opts->omit_dirs) /* cp without -r: the walk omits it too */
		return;
	fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	s->root_dev = st.st_dev;
	s->path_len = 0;
	scan_push(s, fd, &st, follow, 0);
	while (s->nr_frames && !atomic_load_explicit(&s->stop, memory_order_relaxed))
		scan_top(s);
	while (s->nr_frames)
		scan_pop(s);
}

static void scan_init(struct scan *s, const struct pcopy_opts *opts, struct progress *p)
{
	memset(s, 0, sizeof(*s));
	s->opts = opts;
	s->progress = p;
	s->dents = xmalloc(SCAN_DENTS_SIZE);
	if (opts->nr_excludes)
		s->excludes = exclude_new(opts->excludes, opts->nr_excludes);
	if (opts->preserve & PRESERVE_LINKS)
		link_grow(s);
	atomic_init(&s->stop, false);
}

static void scan_release(struct scan *s)
{
	exclude_free(&s->excludes);
	free(s->links);
	free(s->frames);
	free(s->path);
	free(s->dents);
}

/* Scan every operand; the totals are final if nothing stopped us. */
static void scan_all(struct scan *s)
{
	for (size_t i = 0; i < s->opts->nr_sources; i++) {
		if (atomic_load_explicit(&s->stop, memory_order_relaxed))
			break;
		scan_operand(s, s->opts->sources[i]);
	}
	scan_flush(s);
	if (!atomic_load_explicit(&s->stop, memory_order_relaxed))
		progress_scan_done(s->progress);
}

unsigned scan_run_sync(const struct pcopy_opts *opts, struct progress *p)
{
	struct scan s;

	scan_init(&s, opts, p);
	scan_all(&s);
	scan_release(&s);
	return s.max_open_fds;
}

static void *scan_thread(void *arg)
{
	scan_all(arg);
	return NULL;
}

struct scan *scan_start(const struct pcopy_opts *opts, struct progress *p)
{
	struct scan *s;
	sigset_t all, old;
	int err;

	if (!progress_shown(p))
		return NULL;
	s = xmalloc(sizeof(*s));
	scan_init(s, opts, p);
	/* Signals belong to the threads that handle them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, scan_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		scan_release(s);
		free(s);
		return NULL;
	}
	return s;
}

void scan_stop(struct scan **sp)
{
	struct scan *s = *sp;

	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	scan_release(s);
	free(s);
	*sp = NULL;
}
