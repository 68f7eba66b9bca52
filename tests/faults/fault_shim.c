// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for the fault tests: makes reads or writes of chosen
 * files fail with an errno, the way a bad disk would.
 *
 *   PCOPY_FAULT_READ=substr    reads of a file whose path contains substr fail
 *   PCOPY_FAULT_WRITE=substr   writes to such a file fail
 *   PCOPY_FAULT_ERRNO=N        the errno (default EIO)
 *   PCOPY_FAULT_SLOW_READ=substr  reads of such a file first sleep
 *   PCOPY_FAULT_SLOW_MS=N      that long (default 200 ms), and append the
 *   PCOPY_FAULT_LOG=path       reading process's pid to path, a line each
 *   PCOPY_FAULT_SWAP_DIR=name  the first openat(dirfd, "name", O_DIRECTORY)
 *   PCOPY_FAULT_SWAP_WITH=other  first exchanges name and its sibling
 *                              other (renameat2 RENAME_EXCHANGE): a directory
 *                              swapped between the walker's fstatat and open
 *   PCOPY_FAULT_CORRUPT_WRITE=substr  data written to such a file (write,
 *                              pwrite, copy_file_range) lands with its
 *                              first byte flipped, as a bad disk or cable
 *                              would store it: the call itself succeeds
 *   PCOPY_FAULT_CORRUPT_READ=substr   data read from such a file comes back
 *                              with its first byte flipped (a read-back
 *                              that does not match what was written)
 *
 * Paths come from /proc/self/fd, so an O_TMPFILE destination shows as
 * "DIR/#inode (deleted)": match its directory. Only calls made through the
 * C library are affected (not io_uring submissions).
 *
 * The second part (power cuts) is described below.
 */
/* Define read and pread64 apart, whatever the build's file offset size. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static bool fd_matches(int fd, const char *env)
{
	const char *want = getenv(env);
	char link[64], path[8192];
	ssize_t n;

	if (!want || !*want)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = '\0';
	return strstr(path, want) != NULL;
}

static int fault_errno(void)
{
	const char *e = getenv("PCOPY_FAULT_ERRNO");

	return e ? atoi(e) : EIO;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* PCOPY_FAULT_SLOW_READ: who reads the file, and slowly. */
static void maybe_slow(int fd)
{
	const char *ms = getenv("PCOPY_FAULT_SLOW_MS");
	const char *log = getenv("PCOPY_FAULT_LOG");
	struct timespec t;
	long n;

	if (!fd_matches(fd, "PCOPY_FAULT_SLOW_READ"))
		return;
	if (log) {
		FILE *f = fopen(log, "a");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	n = ms ? atol(ms) : 200;
	t.tv_sec = n / 1000;
	t.tv_nsec = (n % 1000) * 1000000;
	nanosleep(&t, NULL);
}

#define FAIL_IF(cond)                                                                              \
	do {                                                                                       \
		if (cond) {                                                                        \
			errno = fault_errno();                                                     \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

/* A copy of @buf with its first byte flipped, when writing to @fd must
 * corrupt; else @buf itself. *tmp is to be freed by the caller. */
static const void *corrupt_out(int fd, const void *buf, size_t n, void **tmp)
{
	*tmp = NULL;
	if (!n || !fd_matches(fd, "PCOPY_FAULT_CORRUPT_WRITE"))
		return buf;
	*tmp = malloc(n);
	if (!*tmp)
		return buf;
	memcpy(*tmp, buf, n);
	((unsigned char *)*tmp)[0] ^= 0xff;
	return *tmp;
}

static ssize_t corrupt_in(int fd, void *buf, ssize_t got)
{
	if (got > 0 && fd_matches(fd, "PCOPY_FAULT_CORRUPT_READ"))
		((unsigned char *)buf)[0] ^= 0xff;
	return got;
}

ssize_t read(int fd, void *buf, size_t n)
{
	maybe_slow(fd);
	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_READ"));
	return corrupt_in(fd, buf, REAL(read)(fd, buf, n));
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	maybe_slow(fd);
	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_READ"));
	return corrupt_in(fd, buf, REAL(pread64)(fd, buf, n, off));
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	maybe_slow(fd);
	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_READ"));
	return corrupt_in(fd, buf, REAL(pread)(fd, buf, n, off));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	void *tmp;
	ssize_t r;

	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_WRITE"));
	r = REAL(write)(fd, corrupt_out(fd, buf, n, &tmp), n);
	free(tmp);
	return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	void *tmp;
	ssize_t r;

	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_WRITE"));
	r = REAL(pwrite64)(fd, corrupt_out(fd, buf, n, &tmp), n, off);
	free(tmp);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	void *tmp;
	ssize_t r;

	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_WRITE"));
	r = REAL(pwrite)(fd, corrupt_out(fd, buf, n, &tmp), n, off);
	free(tmp);
	return r;
}

ssize_t copy_file_range(int in, off64_t *in_off, int out, off64_t *out_off, size_t n,
			unsigned flags)
{
	ssize_t r;

	FAIL_IF(fd_matches(in, "PCOPY_FAULT_READ"));
	FAIL_IF(fd_matches(out, "PCOPY_FAULT_WRITE"));
	r = REAL(copy_file_range)(in, in_off, out, out_off, n, flags);
	if (r > 0 && fd_matches(out, "PCOPY_FAULT_CORRUPT_WRITE")) {
		/* Flip the first byte the kernel just copied, in place. */
		off64_t at = (out_off ? *out_off : lseek64(out, 0, SEEK_CUR)) - r;
		unsigned char c;

		if (REAL(pread64)(out, &c, 1, at) == 1) {
			c ^= 0xff;
			REAL(pwrite64)(out, &c, 1, at);
		}
	}
	return r;
}

/* Exchange PCOPY_FAULT_SWAP_DIR and PCOPY_FAULT_SWAP_WITH in @dirfd, once,
 * when @name (opened as a directory) is the first of them. */
static void maybe_swap(int dirfd, const char *name, int flags)
{
	static atomic_bool done;
	const char *want = getenv("PCOPY_FAULT_SWAP_DIR");
	const char *with = getenv("PCOPY_FAULT_SWAP_WITH");

	if (!want || !with || !(flags & O_DIRECTORY) || strcmp(name, want))
		return;
	if (atomic_exchange(&done, true))
		return;
	if (renameat2(dirfd, want, dirfd, with, RENAME_EXCHANGE) < 0)
		perror("fault_shim: renameat2");
}

int openat64(int dirfd, const char *name, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	maybe_swap(dirfd, name, flags);
	return REAL(openat64)(dirfd, name, flags, mode);
}

int openat(int dirfd, const char *name, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	maybe_swap(dirfd, name, flags);
	return REAL(openat)(dirfd, name, flags, mode);
}

/*
 * Power cuts for tests/crash/run: right before or right after the Nth call
 * (counted in this process) of linkat, renameat/renameat2, symlinkat,
 * mknodat or fsync of a directory, shut the destination file system down
 * without flushing its log (FS_IOC_SHUTDOWN, as xfs_io -x -c shutdown),
 * then die by SIGKILL (without PCOPY_CRASH_FS: only the SIGKILL).
 *
 *   PCOPY_CRASH_AT=linkat|renameat|symlinkat|mknodat|fsyncdir   the call
 *   PCOPY_CRASH_N=N                           its Nth call (default 1)
 *   PCOPY_CRASH_WHEN=before|after             (default after)
 *   PCOPY_CRASH_FS=MOUNTPOINT                 the file system to cut
 *   PCOPY_CRASH_OUT=FILE PCOPY_CRASH_MARK=MARK  FILE's size at the cut
 */

#define SHIM_SHUTDOWN _IOR('X', 125, uint32_t) /* FS_IOC_SHUTDOWN */
#define SHIM_NOLOGFLUSH 2u

static bool crash_armed(const char *call, const char *when)
{
	static atomic_long calls;
	const char *at = getenv("PCOPY_CRASH_AT"), *w = getenv("PCOPY_CRASH_WHEN");
	const char *n = getenv("PCOPY_CRASH_N");

	if (!at || strcmp(at, call) || strcmp(w ? w : "after", when))
		return false;
	return atomic_fetch_add(&calls, 1) + 1 == (n ? atol(n) : 1);
}

/*
 * PCOPY_CRASH_OUT=FILE PCOPY_CRASH_MARK=MARK: write FILE's size at the cut
 * into MARK. tests/crash/run counts only what pcopy had printed by then as
 * reported: under the process backend the parent goes on after a worker's
 * cut, and xfs answers a directory fsync after the shutdown with success
 * (its log items were unpinned by the abort), which no real power cut
 * would let anyone see.
 */
static void crash_mark(void)
{
	const char *out = getenv("PCOPY_CRASH_OUT"), *mark = getenv("PCOPY_CRASH_MARK");
	struct stat st;
	int fd;

	if (!out || !mark || stat(out, &st) < 0)
		return;
	fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	dprintf(fd, "%lld\n", (long long)st.st_size);
	close(fd);
}

static void crash_now(void)
{
	const char *fs = getenv("PCOPY_CRASH_FS");
	uint32_t flags = SHIM_NOLOGFLUSH;
	int fd = fs ? open(fs, O_RDONLY | O_DIRECTORY) : -1;

	crash_mark();
	if (fd >= 0)
		ioctl(fd, SHIM_SHUTDOWN, &flags);
	kill(getpid(), SIGKILL);
}

/* Count and cut around one call; the "after" check sees the same count. */
#define CRASH_AROUND(call, expr)                                                                   \
	do {                                                                                       \
		int crash_ret, crash_errno;                                                        \
		if (crash_armed(call, "before"))                                                   \
			crash_now();                                                               \
		crash_ret = (expr);                                                                \
		crash_errno = errno;                                                               \
		if (crash_ret == 0 && crash_armed(call, "after"))                                  \
			crash_now();                                                               \
		errno = crash_errno;                                                               \
		return crash_ret;                                                                  \
	} while (0)

int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags)
{
	CRASH_AROUND("linkat", REAL(linkat)(olddirfd, old, newdirfd, new, flags));
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
	CRASH_AROUND("renameat", REAL(renameat)(olddirfd, old, newdirfd, new));
}

int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags)
{
	CRASH_AROUND("renameat", REAL(renameat2)(olddirfd, old, newdirfd, new, flags));
}

int symlinkat(const char *target, int dirfd, const char *name)
{
	CRASH_AROUND("symlinkat", REAL(symlinkat)(target, dirfd, name));
}

int mknodat(int dirfd, const char *name, mode_t mode, dev_t dev)
{
	CRASH_AROUND("mknodat", REAL(mknodat)(dirfd, name, mode, dev));
}

static bool is_dir_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

int fsync(int fd)
{
	if (!is_dir_fd(fd))
		return REAL(fsync)(fd);
	CRASH_AROUND("fsyncdir", REAL(fsync)(fd));
}
