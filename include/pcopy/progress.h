/* SPDX-License-Identifier: MIT */
/*
 * The one progress reporter every backend feeds, and the owner of pcopy's
 * output streams: progress display, -v lines, error messages and the final
 * summary all go through it so that they never interleave mid-line.
 *
 * Counters are per thread ("slots"): each thread that reports calls
 * progress_bind_slot() once, then progress_count() writes only its own
 * cache line with relaxed atomics, so workers never contend on a lock.
 * The display thread sums the slots.
 *
 * Every function accepts p == NULL and then does nothing (or, for the
 * output functions, writes directly without a display to clear).
 */
#ifndef PCOPY_PROGRESS_H
#define PCOPY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct pcopy_opts;
struct progress;

/* What a progress_count() call counts. */
enum progress_counter {
	PC_BYTES,	       /* bytes of regular-file data written (live progress) */
	PC_FILES,	       /* regular files whose data was copied */
	PC_DIRS,	       /* directories created or updated */
	PC_SYMLINKS,	       /* symbolic links created */
	PC_HARDLINKS,	       /* hard links created (not data copies) */
	PC_SPECIALS,	       /* FIFOs, sockets and device nodes created */
	PC_SKIPPED_UNCHANGED,  /* -u: destination already up to date */
	PC_SKIPPED_NO_CLOBBER, /* -n: destination exists, left alone */
	PC_SKIPPED_EXCLUDED,   /* --exclude matched */
	PC_ERRORS,	       /* entries that failed (counted by report_error) */
	/* Content size of the regular files copied (SPEC 5 "bytes"): unlike
	 * PC_BYTES, not the data of failed files nor chunks copied twice. */
	PC_FILE_BYTES,
	PC_DELETED, /* --delete: destination entries removed */
	PC_LINKED,  /* --link-dest: files hard-linked from a DIR */
	NR_PROGRESS_COUNTERS
};

/* Totals discovered by the walker; grow until progress_walk_done(). */
enum progress_total {
	PT_FILES, /* regular files to copy */
	PT_BYTES, /* their logical size */
	NR_PROGRESS_TOTALS
};

/* A sum of every slot at one moment (for summaries and tests). */
struct progress_snapshot {
	uint64_t count[NR_PROGRESS_COUNTERS];
	uint64_t total[NR_PROGRESS_TOTALS];
	uint64_t scan_total[NR_PROGRESS_TOTALS]; /* the counting scan's (scan.h) */
	bool walk_done;
	bool scan_done; /* the scan's totals are complete */
	double elapsed; /* seconds since progress_new() */
};

/* A clock in nanoseconds; injectable so that tests control time. */
typedef uint64_t (*progress_clock_fn)(void);

/*
 * Create the reporter for @opts (progress mode, -q, -v, summary) with room
 * for @nr_slots reporting threads. @clock may be NULL for CLOCK_MONOTONIC.
 * @backend_name is recorded for the summary. Never returns NULL.
 */
struct progress *progress_new(const struct pcopy_opts *opts, unsigned nr_slots,
			      const char *backend_name, progress_clock_fn clock);

/* Start the display (a thread for bar/plain/json); no-op for none. */
void progress_start(struct progress *p);

/*
 * Bind the calling thread to @slot (0 .. nr_slots-1) for progress_count().
 * A thread that never binds uses slot 0. Each slot must be written by one
 * thread at a time.
 */
void progress_bind_slot(struct progress *p, unsigned slot);

/* Add @n to counter @c in the calling thread's slot. Lock-free. */
void progress_count(struct progress *p, enum progress_counter c, uint64_t n);

/*
 * @n bytes of file data were just written: with --bwlimit, sleep until
 * they fit the run's rate (shared by every worker, thread or process).
 * The copy layer calls it where it counts PC_BYTES for written data.
 */
void progress_throttle(struct progress *p, uint64_t n);

/* Add @n to the walker's total @t (walker thread only). */
void progress_add_total(struct progress *p, enum progress_total t, uint64_t n);

/* The walk has ended: the totals are final. */
void progress_walk_done(struct progress *p);

/* Whether a progress display is shown (not none, not -q). */
bool progress_shown(const struct progress *p);

/*
 * The counting scan (scan.h), one thread: add @files regular files of
 * @bytes to its totals; progress_scan_done() when it has seen everything.
 * Until the walk ends the display shows the larger of the walker's and the
 * scan's totals, and calls them final once the scan is done.
 */
void progress_scan_add(struct progress *p, uint64_t files, uint64_t bytes);
void progress_scan_done(struct progress *p);

/*
 * Walker: a file of @size bytes at @path (copied) is about to be copied.
 * The bar names it while it is likely the one being copied, if it is big
 * enough to dominate the copy (see progress.c). Thread-safe.
 */
void progress_large_file(struct progress *p, const char *path, uint64_t size);

/* Files at least this big are passed to progress_large_file(). */
#define PROGRESS_LARGE_FILE (16ull << 20)

/* Sum the slots now. Thread-safe. */
void progress_snapshot(struct progress *p, struct progress_snapshot *snap);

/*
 * -v / --dry-run line: "'SRC' -> 'DST'" on stdout, quoted as cp -v does,
 * written whole (never interleaved). Silent under -q. Thread-safe.
 */
void progress_verbose(struct progress *p, const char *src, const char *dst);

/* The same line with cp's " (backup: 'BACKUP')" when @backup is not NULL. */
void progress_verbose_backup(struct progress *p, const char *src, const char *dst,
			     const char *backup);

/* --debug: one line of @text on stdout, below the bar as -v's lines are. */
void progress_debug(struct progress *p, const char *text);

/*
 * "VERB PATH" on stdout (PATH quoted only when it needs it), under the same
 * rules as progress_verbose(): rsync's "deleting PATH" of --delete.
 */
void progress_verbose_action(struct progress *p, const char *verb, const char *path);

/*
 * --itemize-changes line "CODE PATHSUFFIX" on stdout (PATH quoted only
 * when it needs it), silent under -q. Thread-safe.
 */
void progress_itemize(struct progress *p, const char *code, const char *path, const char *suffix);

/*
 * Print an error or warning line "pcopy: <quoted path>: <message>" on
 * stderr (or a {"event":"error",...} object in json mode), after clearing
 * the bar. @err is a negative errno or a PCOPY_E* code (report.h) and goes
 * into the JSON "errno" field. @path may be NULL. Thread-safe. Does not
 * count: report_error() counts and calls this.
 */
void progress_message(struct progress *p, const char *path, const char *message, int err);

/* The same, for a @message that names @path itself (cp's "cannot stat
 * 'x': ..."): the text line does not repeat it; JSON still carries it. */
void progress_message_worded(struct progress *p, const char *path, const char *message, int err);

/*
 * MPI: rank 0 shows the whole job. progress_set_remote() sets what the
 * other ranks counted (their latest sums; added to every snapshot), and
 * progress_set_ranks() adds "ranks" to the summary. On the other ranks,
 * progress_set_message_hook() sends error and warning lines to @hook (for
 * rank 0 to print) instead of stderr. progress_local_snapshot() is a
 * snapshot without the remote part.
 */
typedef void (*progress_message_hook)(void *ctx, const char *path, const char *message, int err);
void progress_set_remote(struct progress *p, const uint64_t count[NR_PROGRESS_COUNTERS],
			 const uint64_t total[NR_PROGRESS_TOTALS]);
void progress_set_ranks(struct progress *p, unsigned ranks);
void progress_set_message_hook(struct progress *p, progress_message_hook hook, void *ctx);
void progress_local_snapshot(struct progress *p, struct progress_snapshot *snap);

/*
 * Stop the display, print the last progress line ("done" event in json
 * mode, with @exit_status) and the --summary, then free *pp and set it to
 * NULL. Returns 0, or the negative errno of the first write to stdout
 * (-v lines, the json summary) that failed.
 */
int progress_finish(struct progress **pp, int exit_status);

#endif /* PCOPY_PROGRESS_H */
