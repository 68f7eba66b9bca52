// SPDX-License-Identifier: MIT
/* Backup names as gnulib's backupfile.c makes them, for cp's -b/--backup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcopy/backup.h"
#include "pcopy/util.h"

/* The N of "@name.~N~" in @entry, or 0 when @entry is not such a name. */
static unsigned long long backup_version(const char *entry, const char *name, size_t len)
{
	unsigned long long n = 0;
	const char *p;

	if (strncmp(entry, name, len) || strncmp(entry + len, ".~", 2))
		return 0;
	p = entry + len + 2;
	if (*p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned)(*p - '0');
	return p[0] == '~' && !p[1] ? n : 0;
}

/* The highest N among the "@name.~N~" in @dirfd; 0 when there is none. */
static unsigned long long backup_highest(int dirfd, const char *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t len = strlen(name);
	unsigned long long high = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		unsigned long long n = backup_version(e->d_name, name, len);

		if (n > high)
			high = n;
	}
	closedir(d);
	return high;
}

char *backup_name(int dirfd, const char *name, enum backup_type type, const char *suffix)
{
	unsigned long long high = type == BACKUP_SIMPLE ? 0 : backup_highest(dirfd, name);
	size_t size = strlen(name) + strlen(suffix) + 32;
	char *out = xmalloc(size);

	if (type == BACKUP_NUMBERED || (type == BACKUP_EXISTING && high))
		snprintf(out, size, "%s.~%llu~", name, high + 1);
	else
		snprintf(out, size, "%s%s", name, suffix);
	return out;
}

int backup_make(int dirfd, const char *name, enum backup_type type, const char *suffix, char **made)
{
	char *backup = backup_name(dirfd, name, type, suffix);

	if (renameat(dirfd, name, dirfd, backup) < 0) {
		int err = neg_errno();

		free(backup);
		return err;
	}
	if (made)
		*made = backup;
	else
		free(backup);
	return 0;
}
