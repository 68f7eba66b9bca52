// SPDX-License-Identifier: MIT
/* Job allocation and the display paths of jobs and directories. */
#include <stdlib.h>
#include <string.h>

#include "pcopy/job.h"
#include "pcopy/util.h"

uint64_t file_task_init_chunks(struct file_task *task, uint64_t length, uint64_t chunk)
{
	uint64_t n = (length + chunk - 1) / chunk;

	atomic_init(&task->chunks_left, n);
	return n;
}

struct job *job_new(enum job_kind kind, struct dir_node *dir, const char *name,
		    const char *dst_name, const struct stat *st)
{
	struct job *job = xcalloc(1, sizeof(*job));

	job->kind = kind;
	job->dir = dir;
	atomic_fetch_add(&dir->refs, 1);
	job->name = xstrdup(name);
	job->dst_name = (dst_name && strcmp(dst_name, name)) ? xstrdup(dst_name) : job->name;
	if (st)
		job->st = *st;
	return job;
}

void job_free(struct job *job)
{
	if (!job)
		return;
	if (job->dst_name != job->name)
		free(job->dst_name);
	free(job->name);
	free(job->link_name);
	free(job->backup);
	free(job);
}

/*
 * Join the names from the operand root down to @dir, then @name. Roots hold
 * a display prefix (or NULL) rather than a name, so the walk stops there.
 * Iterative: trees can be 10,000 levels deep.
 */
static char *dir_path(const struct dir_node *dir, const char *name, bool dst)
{
	const struct dir_node *d;
	size_t len = name ? strlen(name) + 1 : 0;
	char *out, *end;

	for (d = dir; d; d = d->parent) {
		const char *part = dst ? d->dst_name : d->src_name;

		if (part)
			len += strlen(part) + 1;
	}
	out = xmalloc(len + 1);
	end = out + len;
	*end = '\0';
	if (name) {
		size_t n = strlen(name);

		end -= n;
		memcpy(end, name, n);
		*--end = '/';
	}
	for (d = dir; d; d = d->parent) {
		const char *part = dst ? d->dst_name : d->src_name;
		size_t n;

		if (!part)
			continue;
		n = strlen(part);
		end -= n;
		memcpy(end, part, n);
		*--end = '/';
	}
	/* Drop the leading '/' we wrote, and collapse "//" after a "/" prefix. */
	memmove(out, end + 1, strlen(end + 1) + 1);
	if (out[0] == '/' && out[1] == '/')
		memmove(out, out + 1, strlen(out + 1) + 1);
	return out;
}

char *dir_src_path(const struct dir_node *dir, const char *name)
{
	return dir_path(dir, name, false);
}

char *dir_dst_path(const struct dir_node *dir, const char *name)
{
	return dir_path(dir, name, true);
}

char *job_src_path(const struct job *job)
{
	return dir_src_path(job->dir, job->name);
}

char *job_dst_path(const struct job *job)
{
	return dir_dst_path(job->dir, job->dst_name);
}
