/* SPDX-License-Identifier: MIT */
/*
 * The counting scan: a thread that runs ahead of the copy over the same
 * sources, with the same rules as the walker (--exclude, -x, -L/-H/-P,
 * hard links under -a), and only adds up the regular files and bytes the
 * copy will have to move (progress_scan_add()), so that the progress
 * display knows the totals long before the walker, which runs only a
 * bounded queue ahead of the copy, reaches the end.
 *
 * It reads directories with getdents64 and stats files with statx (only
 * what the entry's d_type does not say already), keeps no memory per entry
 * (its memory grows with the depth of the tree, plus one small record per
 * multiply-linked inode whose names it has not all seen yet), and holds at
 * most SCAN_MAX_FDS directory descriptors: deeper directories are closed
 * and reopened, name by name, when the scan comes back to them.
 *
 * Errors are not reported (the walker reports them): an entry the scan
 * cannot read is left out of the totals, which the walker's own totals
 * replace when the walk ends.
 */
#ifndef PCOPY_SCAN_H
#define PCOPY_SCAN_H

struct pcopy_opts;
struct progress;
struct scan;

/* Directory descriptors the scan keeps open at most. */
#define SCAN_MAX_FDS 8

/*
 * Start the scan of @opts' sources, feeding @p. Returns NULL (and starts
 * nothing) when @p displays no progress, or the thread cannot start.
 * @opts and @p must outlive scan_stop().
 */
struct scan *scan_start(const struct pcopy_opts *opts, struct progress *p);

/*
 * Stop the scan if it still runs (the walk ended: its totals are final
 * anyway), join its thread and free it; sets *@sp to NULL. Accepts NULL.
 */
void scan_stop(struct scan **sp);

/*
 * Run the scan in the calling thread, to the end: for tests. Returns the
 * most directory descriptors it held open at once.
 */
unsigned scan_run_sync(const struct pcopy_opts *opts, struct progress *p);

#endif /* PCOPY_SCAN_H */
