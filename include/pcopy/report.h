/* SPDX-License-Identifier: MIT */
/*
 * Per-entry error reporting: "pcopy: <path>: <reason>" on stderr, the run
 * goes on, and the exit status becomes 1. Lower modules return 0 or a
 * negative error code and never print; the caller that knows the path
 * reports.
 */
#ifndef PCOPY_REPORT_H
#define PCOPY_REPORT_H

struct progress;

/*
 * pcopy's own error codes, beyond errno. Negated like errno values
 * (-PCOPY_ECHANGED) and chosen above any errno the kernel returns.
 */
enum pcopy_error {
	PCOPY_EBASE = 4096,
	PCOPY_ECHANGED,		 /* source changed size or mtime while read */
	PCOPY_EOVERWRITE_DIR,	 /* cannot overwrite directory with non-directory */
	PCOPY_EOVERWRITE_NONDIR, /* cannot overwrite non-directory with directory */
	PCOPY_EINTO_SELF,	 /* cannot copy a directory into itself */
	PCOPY_ESAME_FILE,	 /* source and destination are the same file */
	PCOPY_EVANISHED,	 /* source vanished during the copy */
	PCOPY_ENOTWRITABLE,	 /* existing destination not writable (no -f) */
	PCOPY_ELOOP_DIR,	 /* -L: directory cycle */
	PCOPY_EUNSUPPORTED_TYPE, /* a file type pcopy cannot recreate */
	PCOPY_EVERIFY,		 /* --verify: the copy differs from its source */
	PCOPY_EWORKER,		 /* process backend: the worker died, twice */
	PCOPY_EMAX
};

/* A message for a negative errno or -PCOPY_E* code; static storage. */
const char *report_strerror(int err);

/* The errno to publish for @err in JSON (PCOPY_E* map to the closest). */
int report_errno(int err);

/*
 * Report that @path failed with @err (negative). Thread-safe; counts the
 * error in @progress (PC_ERRORS), which makes the exit status 1.
 */
void report_error(struct progress *progress, const char *path, int err);

/* Report a failure with its own message (e.g. "cannot copy ..."). */
/* As report_error_msg(), for a @message that names @path in cp's words:
 * the text line is "pcopy: MESSAGE", the JSON error still has "path". */
void report_error_worded(struct progress *progress, const char *path, int err, const char *message);
void report_error_msg(struct progress *progress, const char *path, int err, const char *message);

#endif /* PCOPY_REPORT_H */
