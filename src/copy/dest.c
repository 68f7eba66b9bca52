// SPDX-License-Identifier: MIT
/* Atomic placement: unnamed or hidden temporaries, then link or rename. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcopy/dest.h"
#include "pcopy/report.h"
#include "pcopy/util.h"

/*
 * Set once a file system refuses O_TMPFILE or linking by descriptor, so
 * later files go straight to the temporary-name path. These are caches of
 * what the kernel told us, not configuration.
 */
static atomic_bool tmpfile_refused;
static atomic_bool empty_path_refused;

void dest_disable_tmpfile(bool disable)
{
	atomic_store(&tmpfile_refused, disable);
}

bool dest_unnamed_ok(void)
{
	return !atomic_load_explicit(&tmpfile_refused, memory_order_relaxed) &&
	       !atomic_load_explicit(&empty_path_refused, memory_order_relaxed);
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
	if (!atomic_load_explicit(&tmpfile_refused, memory_order_relaxed)) {
		fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return neg_errno();
		atomic_store(&tmpfile_refused, true);
	}
	for (int tries = 0; tries < 100; tries++) {
		dest_tmp_name(name, tmp);
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
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

	if (!atomic_load_explicit(&empty_path_refused, memory_order_relaxed)) {
		if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
			return 0;
		/* Before Linux 6.10 AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. */
		if (errno != ENOENT && errno != EPERM)
			return neg_errno();
		atomic_store(&empty_path_refused, true);
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

int dest_replace_with(int dirfd, const char *name, int (*make)(int dirfd, const char *tmp,
							       void *arg),
		      void *arg)
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
