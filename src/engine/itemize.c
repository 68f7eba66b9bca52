// SPDX-License-Identifier: MIT
/*
 * --itemize-changes in rsync's format: Y is '>' for file data written,
 * 'c' for an entry created locally (directory, symlink, special), 'h' for
 * a hard link, '.' for attributes only; X is f, d, L, D or S; then
 * "cstpoguax", each letter where that attribute changes ("+++++++++" for
 * a new entry). pcopy compares what the walker saw before the copy; it
 * does not compute checksums, ACLs or xattrs for this (c, a, x stay '.').
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/itemize.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/util.h"

uint16_t itemize_stat(const struct pcopy_opts *opts, const struct stat *src, const struct stat *dst)
{
	uint16_t bits = ITEMIZE_SET;

	if ((src->st_mode & S_IFMT) != (dst->st_mode & S_IFMT))
		return bits | ITEMIZE_NEW;
	if (S_ISREG(src->st_mode) && src->st_size != dst->st_size)
		bits |= ITEMIZE_SIZE;
	if (src->st_mtim.tv_sec != dst->st_mtim.tv_sec ||
	    src->st_mtim.tv_nsec != dst->st_mtim.tv_nsec)
		bits |= ITEMIZE_TIME;
	if ((opts->preserve & PRESERVE_MODE) && !S_ISLNK(src->st_mode) &&
	    (src->st_mode & 07777) != (dst->st_mode & 07777))
		bits |= ITEMIZE_PERMS;
	if ((opts->preserve & PRESERVE_OWNERSHIP) && src->st_uid != dst->st_uid)
		bits |= ITEMIZE_OWNER;
	if ((opts->preserve & PRESERVE_OWNERSHIP) && src->st_gid != dst->st_gid)
		bits |= ITEMIZE_GROUP;
	return bits;
}

uint16_t itemize_entry(const struct pcopy_opts *opts, int dst_dirfd, const char *name,
		       const struct stat *src, int fresh)
{
	struct stat dst;

	if (fresh || dst_dirfd < 0 || fstatat(dst_dirfd, name, &dst, AT_SYMLINK_NOFOLLOW) < 0)
		return ITEMIZE_SET | ITEMIZE_NEW;
	return itemize_stat(opts, src, &dst);
}

/* "YX" and the nine attribute letters of @bits, NUL-terminated. */
static void itemize_code(char out[12], char y, char x, uint16_t bits, bool keep_times)
{
	out[0] = y;
	out[1] = x;
	memset(out + 2, bits & ITEMIZE_NEW ? '+' : '.', 9);
	out[11] = '\0';
	if (bits & ITEMIZE_NEW)
		return;
	if (bits & ITEMIZE_SIZE)
		out[3] = 's';
	if (bits & ITEMIZE_TIME)
		out[4] = keep_times ? 't' : 'T'; /* T: set to the time of the copy */
	if (bits & ITEMIZE_PERMS)
		out[5] = 'p';
	if (bits & ITEMIZE_OWNER)
		out[6] = 'o';
	if (bits & ITEMIZE_GROUP)
		out[7] = 'g';
}

static char itemize_type(mode_t mode)
{
	if (S_ISREG(mode))
		return 'f';
	if (S_ISDIR(mode))
		return 'd';
	if (S_ISLNK(mode))
		return 'L';
	return S_ISCHR(mode) || S_ISBLK(mode) ? 'D' : 'S';
}

/* " -> TARGET" of a symlink job, or "" (caller frees). */
static char *itemize_target(const struct job *job)
{
	size_t size = (size_t)job->st.st_size + 1;
	char *buf = xmalloc(size), *out;
	ssize_t n = readlinkat(job->dir->src_dirfd, job->name, buf, size);

	if (n < 0 || (size_t)n >= size)
		n = 0;
	buf[n] = '\0';
	out = n ? xasprintf(" -> %s", buf) : xstrdup("");
	free(buf);
	return out;
}

void itemize_job(struct progress *p, const struct pcopy_opts *opts, const struct job *job)
{
	bool times = opts->preserve & PRESERVE_TIMESTAMPS;
	uint16_t bits = job->itemize ? job->itemize : ITEMIZE_NEW;
	char code[12], *path = job_dst_path(job), *suffix;

	switch (job->kind) {
	case JOB_FILE:
	case JOB_CHUNK:
		itemize_code(code, '>', 'f', bits, times);
		suffix = xstrdup("");
		break;
	case JOB_HARDLINK: {
		char *target = dir_dst_path(job->link_dir, job->link_name);

		itemize_code(code, 'h', itemize_type(job->st.st_mode), ITEMIZE_NEW, times);
		suffix = xasprintf(" => %s", target);
		free(target);
		break;
	}
	case JOB_SYMLINK:
		itemize_code(code, 'c', 'L', bits, times);
		suffix = itemize_target(job);
		break;
	default:
		itemize_code(code, 'c', itemize_type(job->st.st_mode), bits, times);
		suffix = xstrdup("");
		break;
	}
	progress_itemize(p, code, path, suffix);
	free(suffix);
	free(path);
}

void itemize_dir_path(struct progress *p, const char *path, uint16_t bits)
{
	char code[12], *slashed;

	if (!(bits & ~ITEMIZE_SET))
		return;
	itemize_code(code, bits & ITEMIZE_NEW ? 'c' : '.', 'd', bits, true);
	slashed = xasprintf("%s/", path);
	progress_itemize(p, code, slashed, "");
	free(slashed);
}

void itemize_dir(struct progress *p, const struct dir_node *dir, uint16_t bits)
{
	char *path;

	if (!(bits & ~ITEMIZE_SET))
		return;
	path = dir_dst_path(dir->parent, dir->dst_name);
	itemize_dir_path(p, path, bits);
	free(path);
}
