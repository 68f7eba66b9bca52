// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for the hard-link and -n tests: plays the other process
 * of a race at the exact moment pcopy gives a file its final name.
 *
 *   RACE_CREATE_NAME=name  just before a linkat/renameat/renameat2 whose new
 *                          name is "name", create a file of that name there
 *                          holding "raced\n" (a file appearing after -n's check)
 *   RACE_SWAP_NAME=name    just after a file got the final name "name",
 *   RACE_SWAP_DIR=/path    move the directory /path aside and put a symlink
 *   RACE_SWAP_TO=/target   to /target in its place (once)
 *
 * Only calls made through the C library are seen (io_uring's LINKAT is
 * not): the tests run the temporary-name path (PCOPY_NO_TMPFILE) there.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static bool name_is(const char *path, const char *env)
{
	const char *want = getenv(env);
	const char *base = strrchr(path, '/');

	return want && *want && !strcmp(base ? base + 1 : path, want);
}

static void before(int dirfd, const char *path)
{
	int fd;

	if (!name_is(path, "RACE_CREATE_NAME"))
		return;
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, "raced\n", 6) != 6)
			abort();
		close(fd);
	}
}

static void after(int ret, const char *path)
{
	const char *dir = getenv("RACE_SWAP_DIR"), *to = getenv("RACE_SWAP_TO");
	char moved[4096];

	if (ret != 0 || !dir || !to || !name_is(path, "RACE_SWAP_NAME"))
		return;
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	/* Once, whichever process (workers are forked) gets there first. */
	if (rename(dir, moved) == 0 && symlink(to, dir) != 0)
		abort();
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	int ret;

	before(newdirfd, newpath);
	ret = REAL(linkat)(olddirfd, oldpath, newdirfd, newpath, flags);
	after(ret, newpath);
	return ret;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	int ret;

	before(newdirfd, newpath);
	ret = REAL(renameat)(olddirfd, oldpath, newdirfd, newpath);
	after(ret, newpath);
	return ret;
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	int ret;

	before(newdirfd, newpath);
	ret = REAL(renameat2)(olddirfd, oldpath, newdirfd, newpath, flags);
	after(ret, newpath);
	return ret;
}
