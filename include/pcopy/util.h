/* SPDX-License-Identifier: MIT */
/* Small helpers: allocation that dies on OOM, fatal errors, fd closing. */
#ifndef PCOPY_UTIL_H
#define PCOPY_UTIL_H

#include <stddef.h>

/* Print "pcopy: <message>" on stderr and exit with status 2. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* An impossible state: print where and abort. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((noreturn, format(printf, 3, 4))) void bug_at(const char *file, int line,
							    const char *fmt, ...);

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/* close() that keeps errno and ignores fd < 0. */
void close_quietly(int fd);

/* Negative errno of the last failed call (never 0). */
int neg_errno(void);

/*
 * "@dir/@name" in a new string (caller frees); just the other one when
 * either is empty. The one way to join relative paths.
 */
char *path_join(const char *dir, const char *name);

/* The last component of @path, trailing slashes ignored; caller frees. */
char *path_base(const char *path);

/*
 * The name messages start with: the command's name as invoked (argv[0]'s
 * last component, as coreutils' program_name), so that pcopy installed or
 * linked as cp says "cp:", like the program it stands in for.
 */
const char *prog_name(void);

#endif /* PCOPY_UTIL_H */
