// SPDX-License-Identifier: MIT
/*
 * The -u comparison, with rsync's --modify-window (times that differ by
 * at most N seconds are equal: FAT keeps 2-second times), --size-only and
 * -c/--checksum (content decides, not times).
 */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <xxhash.h>

#include "pcopy/copy.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/quick_check.h"
#include "pcopy/util.h"
#include "pcopy/verify.h"

bool quick_check_enabled(const struct pcopy_opts *opts)
{
	return opts->update || opts->checksum || opts->size_only;
}

/* -1, 0 or 1 as @dst's mtime is older, equal (within @window s) or newer. */
static int quick_check_cmp_time(const struct stat *src, const struct stat *dst, unsigned window)
{
	int64_t ds = (int64_t)dst->st_mtim.tv_sec - (int64_t)src->st_mtim.tv_sec;
	long dn = dst->st_mtim.tv_nsec - src->st_mtim.tv_nsec;

	if (window) {
		/* rsync compares whole seconds under a window. */
		if (ds > (int64_t)window)
			return 1;
		return ds < -(int64_t)window ? -1 : 0;
	}
	if (ds)
		return ds > 0 ? 1 : -1;
	return dn ? (dn > 0 ? 1 : -1) : 0;
}

/* -c: both files hashed whole; any failure counts as "changed". */
static bool quick_check_same_content(struct worker_ctx *w, const struct job *job,
				     const struct stat *dst)
{
	XXH3_state_t *state = XXH3_createState();
	XXH128_hash_t a = { 0 }, b = { 0 };
	int src_fd, dst_fd, err = -1;

	if (!state)
		die("out of memory");
	src_fd = openat(job->dir->src_dirfd, job->name, job_source_flags(job));
	dst_fd = openat(job->dir->dst_dirfd, job->dst_name,
			O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (src_fd >= 0 && dst_fd >= 0) {
		err = verify_hash_fd(w, state, src_fd, (uint64_t)job->st.st_size);
		a = XXH3_128bits_digest(state);
		if (!err)
			err = verify_hash_fd(w, state, dst_fd, (uint64_t)dst->st_size);
		b = XXH3_128bits_digest(state);
	}
	close_quietly(src_fd);
	close_quietly(dst_fd);
	XXH3_freeState(state);
	return !err && XXH128_isEqual(a, b);
}

bool quick_check_up_to_date(struct worker_ctx *w, const struct job *job, const struct stat *dst)
{
	const struct pcopy_opts *opts = w->opts;
	const struct stat *src = &job->st;
	int t = quick_check_cmp_time(src, dst, opts->modify_window);
	bool reg = S_ISREG(src->st_mode) && S_ISREG(dst->st_mode);

	if (opts->update && t > 0)
		return true;
	if (reg && opts->checksum)
		return dst->st_size == src->st_size && quick_check_same_content(w, job, dst);
	if (reg && opts->size_only)
		return dst->st_size == src->st_size;
	if (!opts->update)
		return false; /* -c or --size-only, and not a regular file: copy */
	return t == 0 && (!S_ISREG(src->st_mode) || dst->st_size == src->st_size);
}
