// SPDX-License-Identifier: MIT
/* Atomic placement: unnamed or hidden temporaries, then link or rename. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcopy/dest.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

/*
 * What destination file systems refused (O_TMPFILE, linking by descriptor),
 * by st_dev, so that later files there go straight to the temporary-name
 * path while other file systems keep the unnamed one. These are caches of
 * what the kernel told us, not configuration. Few file systems refuse: a
 * short append-only table; past its end a refusal counts everywhere.
 */
enum { REFUSED_TMPFILE = 1, REFUSED_EMPTY_PATH = 2 };
#define DEST_MAX_REFUSED 32

static struct {
	pthread_mutex_t lock;	/* serialises appends */
	atomic_uint nr;		/* entries of fs[] in use */
	atomic_uint everywhere; /* REFUSED_* for every file system */
	struct {
		dev_t dev;
		atomic_uint what; /* REFUSED_* */
	} fs[DEST_MAX_REFUSED];
} refused = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* What the file system of @fd (a descriptor in it) refused. */
static unsigned refused_on(int fd)
{
	unsigned what = atomic_load_explicit(&refused.everywhere, memory_order_relaxed);
	unsigned nr = atomic_load_explicit(&refused.nr, memory_order_acquire);
	struct stat st;

	/* Nothing refused anywhere (the common case): no fstat. */
	if (!nr || fstat(fd, &st) < 0)
		return what;
	return what | dest_refused_dev(st.st_dev);
}

unsigned dest_refused_dev(dev_t dev)
{
	unsigned nr = atomic_load_explicit(&refused.nr, memory_order_acquire);
	unsigned what = atomic_load_explicit(&refused.everywhere, memory_order_relaxed);

	for (unsigned i = 0; i < nr; i++)
		if (refused.fs[i].dev == dev)
			return what |
			       atomic_load_explicit(&refused.fs[i].what, memory_order_relaxed);
	return what;
}

/* Remember that the file system of @fd refused @what. */
static void refuse(int fd, unsigned what)
{
	struct stat st;
	unsigned i, nr;

	pthread_mutex_lock(&refused.lock);
	nr = atomic_load_explicit(&refused.nr, memory_order_relaxed);
	if (fstat(fd, &st) < 0) {
		atomic_fetch_or(&refused.everywhere, what);
		goto out;
	}
	for (i = 0; i < nr && refused.fs[i].dev != st.st_dev; i++)
		;
	if (i < nr) {
		atomic_fetch_or(&refused.fs[i].what, what);
	} else if (nr < DEST_MAX_REFUSED) {
		refused.fs[nr].dev = st.st_dev;
		atomic_store(&refused.fs[nr].what, what);
		/* Published after the entry is complete (readers acquire nr). */
		atomic_store_explicit(&refused.nr, nr + 1, memory_order_release);
	} else {
		atomic_fetch_or(&refused.everywhere, what);
	}
out:
	pthread_mutex_unlock(&refused.lock);
}

void dest_disable_tmpfile(bool disable)
{
	if (disable)
		atomic_fetch_or(&refused.everywhere, REFUSED_TMPFILE);
	else
		atomic_fetch_and(&refused.everywhere, ~(unsigned)REFUSED_TMPFILE);
}

bool dest_unnamed_ok(dev_t dst_dev)
{
	return !dest_refused_dev(dst_dev);
}

void dest_tmp_name(const char *name, char *buf)
{
	static atomic_uint counter;
	unsigned n = atomic_fetch_add(&counter, 1);

	/* Keep within NAME_MAX whatever the length of @name. */
	snprintf(buf, NAME_MAX + 1, ".pcopy.%.200s.%x%05x", name, (unsigned)getpid() & 0xfff,
		 n & 0xfffff);
}

int dest_create_tmp(int dirfd, const char *name, mode_t mode, char **tmp_name)
{
	char tmp[NAME_MAX + 1];
	int fd;

	*tmp_name = NULL;
	if (!(refused_on(dirfd) & REFUSED_TMPFILE)) {
		fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return neg_errno();
		refuse(dirfd, REFUSED_TMPFILE);
	}
	for (int tries = 0; tries < 100; tries++) {
		dest_tmp_name(name, tmp);
		/* A named file others could open: owner-only bits until its owner
		 * and mode are set (as cp); the caller restores the mode. */
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode & S_IRWXU);
		if (fd >= 0) {
			*tmp_name = xstrdup(tmp);
			return fd;
		}
		if (errno != EEXIST)
			return neg_errno();
	}
	return -EEXIST;
}

void dest_abort(int dirfd, char **tmp_name)
{
	if (*tmp_name) {
		unlinkat(dirfd, *tmp_name, 0);
		free(*tmp_name);
		*tmp_name = NULL;
	}
}

/* Link the unnamed file @fd as @name: by descriptor, or through /proc. */
static int link_unnamed(int fd, int dirfd, const char *name)
{
	char proc[64];

	if (!(refused_on(dirfd) & REFUSED_EMPTY_PATH)) {
		if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
			return 0;
		/* Before Linux 6.10 AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. */
		if (errno != ENOENT && errno != EPERM)
			return neg_errno();
		refuse(dirfd, REFUSED_EMPTY_PATH);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : neg_errno();
}

static int link_unnamed_cb(int dirfd, const char *tmp, void *arg)
{
	return link_unnamed(*(int *)arg, dirfd, tmp);
}

static int rename_error(int err)
{
	return (err == -EISDIR || err == -ENOTEMPTY || err == -EEXIST) ? -PCOPY_EOVERWRITE_DIR
								       : err;
}

static int rename_over(int dirfd, const char *tmp, const char *name)
{
	return renameat(dirfd, tmp, dirfd, name) == 0 ? 0 : rename_error(neg_errno());
}

/*
 * A name nobody was to replace: a file that appeared there since the
 * check (-n) stays, and the caller gets -EEXIST.
 */
static int rename_noreplace(int dirfd, const char *tmp, const char *name)
{
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return neg_errno();
	/* No RENAME_NOREPLACE on this file system: link, which never
	 * replaces, then drop the temporary name. */
	if (linkat(dirfd, tmp, dirfd, name, 0) < 0)
		return neg_errno();
	unlinkat(dirfd, tmp, 0);
	return 0;
}

int dest_publish(int fd, char **tmp_name, int dirfd, const char *name, bool may_exist)
{
	int err;

	if (*tmp_name) {
		err = may_exist ? rename_over(dirfd, *tmp_name, name)
				: rename_noreplace(dirfd, *tmp_name, name);
		if (err)
			unlinkat(dirfd, *tmp_name, 0);
		free(*tmp_name);
		*tmp_name = NULL;
		return err;
	}
	err = link_unnamed(fd, dirfd, name);
	if (err == -EEXIST && may_exist)
		err = dest_replace_with(dirfd, name, link_unnamed_cb, &fd);
	return err;
}

int dest_replace_with(int dirfd, const char *name,
		      int (*make)(int dirfd, const char *tmp, void *arg), void *arg)
{
	char tmp[NAME_MAX + 1];
	int err = -EEXIST;

	for (int tries = 0; tries < 100 && err == -EEXIST; tries++) {
		dest_tmp_name(name, tmp);
		err = make(dirfd, tmp, arg);
	}
	if (err)
		return err;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err = rename_error(neg_errno());
		unlinkat(dirfd, tmp, 0);
	}
	return err;
}

/* Is @name one of dest_tmp_name()'s (or the mpi backend's): ".pcopy.*.<6-12 hex>"? */
static bool is_temp_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t n;

	if (strncmp(name, ".pcopy.", 7) || dot < name + 7)
		return false;
	n = strlen(dot + 1);
	return n >= 6 && n <= 12 && strspn(dot + 1, "0123456789abcdef") == n;
}

void dest_sweep_temps(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		close_quietly(fd);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_type != DT_DIR && is_temp_name(e->d_name))
			unlinkat(dirfd, e->d_name, 0);
	closedir(d);
}
