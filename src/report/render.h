/* SPDX-License-Identifier: MIT */
/*
 * Formatting for the progress reporter, private to progress.c and its unit
 * test: pure functions from numbers to text, no clock, no I/O.
 */
#ifndef PCOPY_PROGRESS_RENDER_H
#define PCOPY_PROGRESS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcopy/progress.h"

struct json_buf;

/* What one progress line shows. */
struct progress_view {
	uint64_t bytes, bytes_total; /* PC_BYTES and PT_BYTES */
	uint64_t files, files_total; /* PC_FILES and PT_FILES */
	uint64_t errors;	     /* PC_ERRORS */
	bool walk_done;		     /* the walk has ended */
	bool totals_final;	     /* the totals are final (walk or scan done) */
	bool utf8;		     /* block graphics; else ASCII only */
	bool finished;		     /* the last line: show "done", no ETA */
	double elapsed;		     /* seconds since the start */
	double rate;		     /* bytes/s (smoothed), < 0 when unknown */
	double eta;		     /* seconds left, < 0 when unknown */
	const char *name;	     /* the large file being copied, or NULL */
};

/* What --summary reports besides the counters. */
struct progress_summary {
	const struct progress_snapshot *snap;
	const char *backend; /* backend name, may be NULL */
	unsigned jobs;	     /* -j */
	unsigned ranks;	     /* MPI ranks, 0 outside MPI */
	int exit_status;
	bool deleting; /* --delete: the json summary has "deleted" */
	bool linking;  /* --link-dest: the json summary has "linked" */
};

/* Longest line any render function writes, NUL included. */
#define PROGRESS_LINE_MAX 2048

/* "0 B", "999 B", "1.00 KiB", "12.3 MiB", "123 GiB": at most 10 bytes. */
void progress_human(char *buf, size_t size, uint64_t bytes);

/* "0:07", "12:34", "1:02:03", ">99:59:59" for @secs (rounded down). */
void progress_duration(char *buf, size_t size, double secs);

/* Percent done (0..100) by bytes, or by files when there are no bytes. */
unsigned progress_percent(const struct progress_view *v);

/*
 * The bar line for a terminal @width columns wide: at most width - 1
 * characters (writing the last column would wrap on some terminals).
 * Fields are dropped in a fixed order as the width shrinks: the graphic,
 * elapsed time, errors, files, rate, ETA; percent and bytes stay (cut at
 * the width as a last resort). While the walk runs the totals carry a "+",
 * the ETA reads "scanning", and percent is "--%" with no graphic: a share
 * of a total that still grows would hover near 100%. Returns the length
 * written to @buf.
 */
size_t progress_render_bar(char *buf, size_t size, const struct progress_view *v, unsigned width);

/* One --progress=plain line (no newline), for logs. Returns its length. */
size_t progress_render_plain(char *buf, size_t size, const struct progress_view *v);

/*
 * One --progress=json object (no newline) for @event ("progress" or
 * "done"); @exit_status >= 0 adds "exit" (the done event).
 */
void progress_render_json(struct json_buf *b, const char *event, const struct progress_view *v,
			  int exit_status);

/*
 * The {"event":"error",...} object (no newline); @path may be NULL. With
 * @err 0 it is {"event":"warning","path":..,"message":..}, no errno.
 */
void progress_render_json_error(struct json_buf *b, const char *path, const char *message, int err);

/*
 * --summary=json: one object, newline included. With @as_event it starts
 * with "event":"summary" (the text summary in json progress mode, where
 * every stderr line must be JSON).
 */
void progress_render_summary_json(struct json_buf *b, const struct progress_summary *s,
				  bool as_event);

/* --summary=text: "label: value" lines, newlines included. */
void progress_render_summary_text(struct json_buf *b, const struct progress_summary *s);

/*
 * Defined in progress.c: sample the counters and draw one update now, as
 * the display thread does at each tick. Tests call it with an injected
 * clock instead of starting the thread.
 */
void progress_tick(struct progress *p);

#endif /* PCOPY_PROGRESS_RENDER_H */
