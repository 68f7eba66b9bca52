// SPDX-License-Identifier: MIT
/*
 * The walker within the descriptor limit: each open directory costs two
 * descriptors, so deep trees or a low limit close idle directories on the
 * walker's stack and reopen them (checked) when the walk comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/walk_internal.h"
#include "pcopy/engine.h"
#include "pcopy/exclude.h"
#include "pcopy/job.h"
#include "pcopy/progress.h"
#include "pcopy/report.h"
#include "pcopy/scan.h"
#include "pcopy/util.h"
#include "pcopy/walk.h"

/*
 * Close the descriptors of the oldest directory on the stack that only the
 * walker and its child still use; it is reopened (and checked to be the
 * same directory) when the walk comes back to it.
 */
static bool close_idle_frame(struct walker *wk)
{
	for (size_t i = 0; i + 1 < wk->nr_frames; i++) {
		struct frame *f = &wk->frames[i];

		if (f->closed || atomic_load(&f->dir->refs) != 2)
			continue;
		close(f->dir->src_dirfd);
		close(f->dir->dst_dirfd);
		f->dir->src_dirfd = f->dir->dst_dirfd = -1;
		f->closed = true;
		wk->nr_closed++;
		return true;
	}
	return false;
}

/*
 * Keep the directories we hold open within the descriptor limit: trees
 * 10,000 levels deep, or a limit of 64, must work (slower), not fail.
 * First close directories idle on the walker's stack, then wait for jobs
 * in other directories to finish.
 */
void walk_ensure_fd_room(struct walker *wk)
{
	for (int waits = 0; waits < 200;) {
		unsigned open_dirs = engine_nr_dirs(wk->engine) - wk->nr_closed;
		unsigned on_stack = (unsigned)wk->nr_frames - wk->nr_closed + 1;

		if (open_dirs < wk->dir_budget)
			return;
		if (close_idle_frame(wk))
			continue;
		if (open_dirs <= on_stack)
			return; /* only our own path is open: nothing to wait for */
		engine_wait_dir_release(wk->engine, engine_nr_dirs(wk->engine), 10);
		waits++;
	}
}

/*
 * Open the directory of frame @top again, side @dst or source, by walking
 * its names down from the nearest ancestor that is still open, one level
 * at a time with O_NOFOLLOW (so a symlink swapped in is never followed and
 * paths of any length work), and check it is the directory we saw.
 */
static int reopen_side(struct walker *wk, size_t top, bool dst)
{
	size_t j = top;
	int fd, base;

	while (j > 0 && wk->frames[j - 1].closed)
		j--;
	/* frames[j]'s parent is open: a frame, or the operand root. */
	base = dst ? wk->frames[j].dir->parent->dst_dirfd : wk->frames[j].dir->parent->src_dirfd;
	fd = base;
	for (size_t i = j; i <= top; i++) {
		struct dir_node *dir = wk->frames[i].dir;
		bool follow = !dst && dir->followed;
		int next = openat(fd, dst ? dir->dst_name : dir->src_name,
				  O_RDONLY | O_DIRECTORY | O_NOCTTY | O_CLOEXEC |
					  (follow ? 0 : O_NOFOLLOW));

		if (fd != base)
			close(fd);
		if (next < 0)
			return neg_errno();
		fd = next;
	}
	return fd;
}

int walk_check_dir_fd(int fd, dev_t dev, ino_t ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
		close(fd);
		return -PCOPY_ECHANGED;
	}
	return fd;
}

/* Reopen the closed frame @top (its ancestors may stay closed). */
int walk_reopen_frame(struct walker *wk, size_t top)
{
	struct dir_node *dir = wk->frames[top].dir;
	int src, dst;

	src = reopen_side(wk, top, false);
	if (src >= 0)
		src = walk_check_dir_fd(src, dir->st.st_dev, dir->st.st_ino);
	if (src < 0)
		return src;
	dst = reopen_side(wk, top, true);
	if (dst >= 0)
		dst = walk_check_dir_fd(dst, dir->dst_dev, dir->dst_ino);
	if (dst < 0) {
		close(src);
		return dst;
	}
	dir->src_dirfd = src;
	dir->dst_dirfd = dst;
	wk->frames[top].closed = false;
	wk->nr_closed--;
	return 0;
}

/* How many directories may be open: two descriptors each, the rest kept
 * for workers (two per file in flight) and for the process itself. */
unsigned walk_dir_budget(const struct pcopy_opts *opts)
{
	struct rlimit rl;
	rlim_t reserve = 32 + 4 * (rlim_t)opts->jobs + SCAN_MAX_FDS; /* + the counting scan */

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1u << 20;
	if (rl.rlim_cur < reserve + 8)
		return 4;
	return (unsigned)((rl.rlim_cur - reserve) / 2);
}
