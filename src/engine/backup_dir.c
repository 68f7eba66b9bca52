// SPDX-License-Identifier: MIT
/*
 * --backup-dir, as rsync's: the entry a copy replaces, or --delete removes,
 * is moved to DIR/REL (REL: its path relative to the destination) with the
 * backup suffix (empty unless -S) or, for numbered backups, the next number
 * among what DIR/REL's directory holds. A relative DIR is relative to the
 * destination. DIR itself is made as mkdir -p would (its existing leading
 * components are the user's path and may be symlinks); the directories of
 * REL inside it are made one at a time relative to their parent's
 * descriptor and opened O_NOFOLLOW, taking the modes (and owners, when
 * kept) that the destination's directories have or will have; a
 * non-directory in their way is removed, never followed, as rsync removes
 * it. Across file systems (EXDEV) the entry is copied, then unlinked, as
 * rsync does. One lock: the walker and the threads finishing directories
 * (--delete) both back up, and numbered names must not be raced for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup_dir.h"
#include "pcopy/backup.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

struct backup_dir {
	const struct pcopy_opts *opts; /* borrowed */
	struct progress *progress;     /* borrowed */
	bool into_dir;		       /* operands go into DEST (not -T style) */
	char *base;		       /* DIR as a path (joined to DEST if relative); owned */
	pthread_mutex_t lock;
	int fd;	      /* DIR, once made; -1 before */
	int open_err; /* why DIR could not be made (said once), or 0 */
	bool known;   /* DIR exists: @dev, @ino are its identity */
	dev_t dev;
	ino_t ino;
};

/* A directory of REL: its name and what it is made with in DIR. */
struct backup_comp {
	const char *name;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	bool chown;
};

/* rsync: a relative DIR is relative to the destination directory. */
static char *backup_dir_base(const struct pcopy_opts *o, bool into_dir)
{
	const char *dir = o->backup_dir;
	struct stat st;
	char *copy, *out;

	if (dir[0] == '/')
		return xstrdup(dir);
	/* A directory operand is DEST itself (-T); a file's is DEST's parent. */
	if (into_dir || (o->nr_sources && stat(o->sources[0], &st) == 0 && S_ISDIR(st.st_mode)))
		return path_join(o->dest, dir);
	copy = xstrdup(o->dest);
	out = path_join(dirname(copy), dir);
	free(copy);
	return out;
}

struct backup_dir *backup_dir_new(const struct pcopy_opts *opts, struct progress *progress)
{
	struct backup_dir *bd;
	struct stat st;

	if (!opts->backup_dir || opts->backup == BACKUP_NONE)
		return NULL;
	bd = xcalloc(1, sizeof(*bd));
	bd->opts = opts;
	bd->progress = progress;
	bd->fd = -1;
	/* As walk_operands() decides it. */
	bd->into_dir =
		opts->target_dir ||
		(!opts->no_target_dir &&
		 (opts->nr_sources > 1 || (stat(opts->dest, &st) == 0 && S_ISDIR(st.st_mode))));
	bd->base = backup_dir_base(opts, bd->into_dir);
	pthread_mutex_init(&bd->lock, NULL);
	/* Known from the start, so that --delete and the walk leave it alone. */
	if (stat(bd->base, &st) == 0 && S_ISDIR(st.st_mode)) {
		bd->known = true;
		bd->dev = st.st_dev;
		bd->ino = st.st_ino;
	}
	return bd;
}

void backup_dir_free(struct backup_dir **bdp)
{
	struct backup_dir *bd = *bdp;

	if (!bd)
		return;
	close_quietly(bd->fd);
	pthread_mutex_destroy(&bd->lock);
	free(bd->base);
	free(bd);
	*bdp = NULL;
}

/* mkdir -p DIR: each component opened relative to the one before. */
static int backup_dir_make_base(const struct backup_dir *bd)
{
	char *copy = xstrdup(bd->base), *save = NULL;
	int fd = open(bd->base[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mode_t mode = 0777 & ~bd->opts->umask;

	if (fd < 0)
		fd = neg_errno();
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		/* What we make ourselves we do not follow. */
		if (next < 0 && errno == ENOENT && (mkdirat(fd, c, mode) == 0 || errno == EEXIST))
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			next = neg_errno();
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

/* DIR's descriptor, made on first use; its failure is said once. */
static int backup_dir_base_fd(struct backup_dir *bd)
{
	struct stat st;
	int fd;

	if (bd->fd >= 0 || bd->open_err)
		return bd->fd >= 0 ? bd->fd : bd->open_err;
	fd = backup_dir_make_base(bd);
	if (fd < 0) {
		char *q = quote_name(bd->base, true);
		char *msg = xasprintf("cannot make the backup directory %s: %s", q,
				      report_strerror(fd));

		report_error_msg(bd->progress, bd->base, fd, msg);
		free(msg);
		free(q);
		bd->open_err = fd;
		return fd;
	}
	bd->fd = fd;
	if (fstat(fd, &st) == 0) {
		bd->known = true;
		bd->dev = st.st_dev;
		bd->ino = st.st_ino;
	}
	return fd;
}

/* The mode (and owner) DIR's copy of a directory gets, from @st. */
static void backup_dir_comp_from(const struct backup_dir *bd, struct backup_comp *c,
				 const struct stat *st)
{
	unsigned keep = bd->opts->preserve;

	c->mode = st && (keep & PRESERVE_MODE) ? st->st_mode & 07777 : 0777 & ~bd->opts->umask;
	c->chown = st && (keep & PRESERVE_OWNERSHIP);
	c->uid = st ? st->st_uid : 0;
	c->gid = st ? st->st_gid : 0;
}

/* MPI names a node "a/b": the source's "a", @len bytes of it, in @st. */
static const struct stat *backup_dir_inner(const struct dir_node *node, size_t len, struct stat *st)
{
	char *part = xstrdup(node->src_name);
	bool ok;

	part[len < strlen(part) ? len : strlen(part)] = '\0';
	ok = node->parent && fstatat(node->parent->src_dirfd, part, st, AT_SYMLINK_NOFOLLOW) == 0;
	free(part);
	return ok ? st : NULL;
}

/*
 * The directories of REL for an entry of @dir's destination @below, in
 * @names (a copy split in place; malloc'd), into *comps (malloc'd): a
 * directory of the walk gets its source's status (what the destination
 * will have), one @below (or one a node's name spans, as the MPI walk
 * names them "a/b") the destination's own, as rsync takes it. Returns how
 * many.
 */
static size_t backup_dir_comps(const struct backup_dir *bd, const struct dir_node *dir,
			       const char *below, struct backup_comp **comps, char **names)
{
	size_t depth = 0, nr = 0, n = 0, start;
	const struct dir_node *d;
	char *path = xstrdup(""), *next, *save = NULL;

	for (d = dir; d; d = d->parent)
		depth++;
	const struct dir_node *nodes[depth];
	size_t ends[depth];

	for (d = dir; d && !d->is_root; d = d->parent) {
		if (!bd->into_dir && d->parent && d->parent->is_root)
			break; /* the top is DEST itself */
		nodes[nr++] = d;
	}
	for (size_t i = nr; i-- > 0;) {
		next = path_join(path, nodes[i]->dst_name);
		free(path);
		path = next;
		ends[i] = strlen(path);
	}
	start = *path ? strlen(path) + 1 : 0; /* where @below starts */
	next = path_join(path, below);
	free(path);
	*names = next;
	*comps = xcalloc(strlen(next) / 2 + 2, sizeof(**comps));
	for (char *c = strtok_r(next, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		size_t end = (size_t)(c - next) + strlen(c);
		const struct stat *st = NULL;
		struct stat own;

		for (size_t i = 0; i < nr && !st; i++)
			if (ends[i] == end)
				st = &nodes[i]->st;
			else if (end < ends[i] && end > ends[i] - strlen(nodes[i]->dst_name))
				st = backup_dir_inner(nodes[i],
						      end - (ends[i] - strlen(nodes[i]->dst_name)),
						      &own);
		if (!st && (size_t)(c - next) >= start) {
			/* @below's prefix, relative to @dir (open: it is in hand). */
			char *upto = xstrdup(below);

			upto[end - start] = '\0';
			if (fstatat(dir->dst_dirfd, upto, &own, AT_SYMLINK_NOFOLLOW) == 0)
				st = &own;
			free(upto);
		}
		(*comps)[n].name = c;
		backup_dir_comp_from(bd, &(*comps)[n++], st);
	}
	return n;
}

/* Remove @name of @dfd, a whole tree if it is a directory, following nothing. */
static int backup_dir_remove(int dfd, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : neg_errno();
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? neg_errno() : 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int err = neg_errno();

		close_quietly(fd);
		return err;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			backup_dir_remove(dirfd(d), e->d_name);
	closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? neg_errno() : 0;
}

/* Open (making it if need be) the directory @c in @pfd, never following. */
static int backup_dir_open_comp(int pfd, const struct backup_comp *c)
{
	for (unsigned tries = 0; tries < 4; tries++) {
		int fd = openat(pfd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno == ENOTDIR || errno == ELOOP) {
			/* A file or symlink in the way: removed, as rsync does. */
			if (unlinkat(pfd, c->name, 0) < 0 && errno != ENOENT)
				return neg_errno();
			continue;
		}
		if (errno != ENOENT)
			return neg_errno();
		if (mkdirat(pfd, c->name, 0700) < 0) {
			if (errno == EEXIST)
				continue;
			return neg_errno();
		}
		fd = openat(pfd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Owner first: chown clears the set-ID bits. */
		if (c->chown && fchown(fd, c->uid, c->gid) < 0)
			(void)0; /* as a copy that cannot keep owners: not an error */
		if (fchmod(fd, c->mode) < 0) {
			int err = neg_errno();

			close(fd);
			return err;
		}
		return fd;
	}
	return -ELOOP;
}

/* The directory of REL in DIR, made as needed; its descriptor or -errno. */
static int backup_dir_parent(struct backup_dir *bd, const struct dir_node *dir, const char *below,
			     char **rel)
{
	struct backup_comp *comps;
	char *names;
	size_t n = backup_dir_comps(bd, dir, below, &comps, &names);
	int fd = backup_dir_base_fd(bd);

	fd = fd < 0 ? fd : dup(fd);
	*rel = xstrdup("");
	for (size_t i = 0; i < n && fd >= 0; i++) {
		int next = backup_dir_open_comp(fd, &comps[i]);
		char *r = path_join(*rel, comps[i].name);

		free(*rel);
		*rel = r;
		close(fd);
		fd = next;
	}
	free(names);
	free(comps);
	return fd;
}

static int backup_dir_copy(int dfd, const char *name, int pfd, const char *target);

/* Rename @name into @pfd as @target, making room as rsync does. */
static int backup_dir_place(int dfd, const char *name, int pfd, const char *target)
{
	for (unsigned tries = 0; tries < 3; tries++) {
		if (renameat(dfd, name, pfd, target) == 0)
			return 0;
		if (errno == EXDEV)
			return backup_dir_copy(dfd, name, pfd, target);
		if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST)
			return neg_errno();
		/* A directory has the backup's name: an older backup, replaced. */
		int err = backup_dir_remove(pfd, target);

		if (err)
			return err;
	}
	return -EEXIST;
}

/* Would the backup be the entry itself, or the source that replaces it? */
static int backup_dir_clash(int dfd, const char *name, int pfd, const char *target,
			    const struct stat *src)
{
	struct stat a, b;

	if (fstatat(pfd, target, &a, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (src && a.st_dev == src->st_dev && a.st_ino == src->st_ino)
		return BACKUP_DIR_IS_SOURCE;
	if (fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return -EINVAL; /* DIR is the destination: nothing would be kept */
	return 0;
}

int backup_dir_move(struct backup_dir *bd, const struct dir_node *dir, const char *below, int dfd,
		    const char *name, const struct stat *src, char **made)
{
	char *rel = NULL, *target = NULL;
	int pfd, err;

	pthread_mutex_lock(&bd->lock);
	pfd = backup_dir_parent(bd, dir, below, &rel);
	err = pfd < 0 ? pfd : 0;
	if (!err) {
		target = backup_name(pfd, name, bd->opts->backup, bd->opts->backup_suffix);
		err = backup_dir_clash(dfd, name, pfd, target, src);
	}
	if (!err)
		err = backup_dir_place(dfd, name, pfd, target);
	if (err == -ENOENT && faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		err = BACKUP_DIR_GONE;
	pthread_mutex_unlock(&bd->lock);
	close_quietly(pfd);
	if (made && target && !err) {
		char *r = path_join(rel, target);

		*made = path_join(bd->base, r);
		free(r);
	} else if (made) {
		*made = NULL;
	}
	free(target);
	free(rel);
	return err;
}

bool backup_dir_is(struct backup_dir *bd, int dfd, const char *name)
{
	struct stat st;
	bool is;

	if (!bd || fstatat(dfd, name ? name : "", &st, name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH))
		return false;
	pthread_mutex_lock(&bd->lock);
	is = bd->known && S_ISDIR(st.st_mode) && st.st_dev == bd->dev && st.st_ino == bd->ino;
	pthread_mutex_unlock(&bd->lock);
	return is;
}

/* Copy @in's data to @out: copy_file_range, else read and write. */
static int backup_dir_copy_data(int in, int out)
{
	char buf[64 << 10];
	ssize_t n;

	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return neg_errno();
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0)
				return neg_errno();
	return n < 0 ? neg_errno() : 0;
}

/* A new @target in @pfd with @name's content, of @st's kind (a regular
 * file with its metadata: owner, mode, times). */
static int backup_dir_copy_entry(int dfd, const char *name, int pfd, const char *target,
				 const struct stat *st)
{
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	char *link;
	int in, out, err;

	if (S_ISLNK(st->st_mode)) {
		link = xmalloc((size_t)st->st_size + 1);
		ssize_t n = readlinkat(dfd, name, link, (size_t)st->st_size + 1);

		err = n < 0 ? neg_errno() : n > st->st_size ? -EAGAIN : 0;
		if (!err) {
			link[n] = '\0';
			err = symlinkat(link, pfd, target) < 0 ? neg_errno() : 0;
		}
		free(link);
		return err;
	}
	if (!S_ISREG(st->st_mode))
		return mknodat(pfd, target, st->st_mode, st->st_rdev) < 0 ? neg_errno() : 0;
	in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return neg_errno();
	out = openat(pfd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	err = out < 0 ? neg_errno() : backup_dir_copy_data(in, out);
	if (!err && fchown(out, st->st_uid, st->st_gid) < 0)
		(void)0; /* owners kept where we may, as rsync */
	if (!err && (fchmod(out, st->st_mode & 07777) < 0 || futimens(out, times) < 0))
		err = neg_errno();
	if (out >= 0 && close(out) < 0 && !err)
		err = neg_errno();
	close(in);
	return err;
}

/* EXDEV: DIR is on another file system. Copy, then unlink, as rsync does. */
static int backup_dir_copy(int dfd, const char *name, int pfd, const char *target)
{
	struct timespec times[2];
	struct stat st;
	int err;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	err = backup_dir_remove(pfd, target);
	if (!err)
		err = backup_dir_copy_entry(dfd, name, pfd, target, &st);
	if (err) {
		unlinkat(pfd, target, 0);
		return err;
	}
	/* Owner and times as rsync's backup keeps them (xattrs it drops). */
	if (!S_ISREG(st.st_mode)) {
		times[0] = st.st_atim;
		times[1] = st.st_mtim;
		if (fchownat(pfd, target, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			(void)0; /* as above */
		utimensat(pfd, target, times, AT_SYMLINK_NOFOLLOW);
	}
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
		err = neg_errno();
		unlinkat(pfd, target, 0);
	}
	return err;
}
