// SPDX-License-Identifier: MIT
/* Allocation that dies on out-of-memory, fatal errors, fd helpers. */
#include <errno.h>
#include <libgen.h> /* POSIX basename(): "/" stays "/" */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcopy/util.h"

char *path_join(const char *dir, const char *name)
{
	if (!*dir)
		return xstrdup(name);
	if (!*name)
		return xstrdup(dir);
	return xasprintf("%s/%s", dir, name);
}

char *path_base(const char *path)
{
	char *copy = xstrdup(path), *out;
	size_t len = strlen(copy);

	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	out = xstrdup(basename(copy));
	free(copy);
	return out;
}

const char *prog_name(void)
{
	/* glibc sets it from argv[0] before main(). */
	const char *name = program_invocation_short_name;

	return name && *name ? name : "pcopy";
}

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog_name());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: BUG at %s:%d: ", prog_name(), file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *check_alloc(void *p)
{
	if (!p)
		die("out of memory");
	return p;
}

void *xmalloc(size_t size)
{
	return check_alloc(malloc(size ? size : 1));
}

void *xcalloc(size_t nmemb, size_t size)
{
	return check_alloc(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *xrealloc(void *ptr, size_t size)
{
	return check_alloc(realloc(ptr, size ? size : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	return out;
}

void close_quietly(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

int neg_errno(void)
{
	return errno ? -errno : -EIO;
}
