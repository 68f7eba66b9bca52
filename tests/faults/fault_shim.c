// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for the fault tests: makes reads or writes of chosen
 * files fail with an errno, the way a bad disk would.
 *
 *   PCOPY_FAULT_READ=substr    reads of a file whose path contains substr fail
 *   PCOPY_FAULT_WRITE=substr   writes to such a file fail
 *   PCOPY_FAULT_ERRNO=N        the errno (default EIO)
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
 */
/* Define read and pread64 apart, whatever the build's file offset size. */
#undef _FILE_OFFSET_BITS
#include <stdbool.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <fcntl.h>
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

#define FAIL_IF(cond)                        \
	do {                                 \
		if (cond) {                  \
			errno = fault_errno(); \
			return -1;           \
		}                            \
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
	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_READ"));
	return corrupt_in(fd, buf, REAL(read)(fd, buf, n));
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	FAIL_IF(fd_matches(fd, "PCOPY_FAULT_READ"));
	return corrupt_in(fd, buf, REAL(pread64)(fd, buf, n, off));
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
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
