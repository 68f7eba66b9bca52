// SPDX-License-Identifier: MIT
/*
 * Per-entry error reporting: count the failure, then let the progress
 * module print it so that it never lands in the middle of the bar.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcopy/progress.h"
#include "pcopy/report.h"

/* Messages for pcopy's own codes, indexed by code - PCOPY_EBASE. */
static const char *const pcopy_messages[PCOPY_EMAX - PCOPY_EBASE] = {
	[PCOPY_ECHANGED - PCOPY_EBASE] = "file changed as we read it",
	[PCOPY_EOVERWRITE_DIR - PCOPY_EBASE] = "cannot overwrite directory with non-directory",
	[PCOPY_EOVERWRITE_NONDIR - PCOPY_EBASE] = "cannot overwrite non-directory with directory",
	[PCOPY_EINTO_SELF - PCOPY_EBASE] = "cannot copy a directory into itself",
	[PCOPY_ESAME_FILE - PCOPY_EBASE] = "source and destination are the same file",
	[PCOPY_EVANISHED - PCOPY_EBASE] = "file vanished",
	[PCOPY_ENOTWRITABLE - PCOPY_EBASE] = "destination not writable (use -f to replace it)",
	[PCOPY_ELOOP_DIR - PCOPY_EBASE] = "directory cycle (symbolic link loop)",
	[PCOPY_EUNSUPPORTED_TYPE - PCOPY_EBASE] = "unsupported file type",
	[PCOPY_EVERIFY - PCOPY_EBASE] = "copy differs from the source (--verify)",
	[PCOPY_EWORKER - PCOPY_EBASE] = "worker process died while copying it",
};

/*
 * The errno published in JSON for each pcopy code: the one a script would
 * test for the same situation. ECHANGED is EAGAIN because a re-run (-u)
 * copies the file once it holds still; ESAME_FILE and EINTO_SELF are
 * EINVAL as rename(2) reports moving a directory into itself; a failed
 * --verify and a dead worker are EIO (the data cannot be trusted).
 */
static const int pcopy_errnos[PCOPY_EMAX - PCOPY_EBASE] = {
	[PCOPY_ECHANGED - PCOPY_EBASE] = EAGAIN,
	[PCOPY_EOVERWRITE_DIR - PCOPY_EBASE] = EISDIR,
	[PCOPY_EOVERWRITE_NONDIR - PCOPY_EBASE] = ENOTDIR,
	[PCOPY_EINTO_SELF - PCOPY_EBASE] = EINVAL,
	[PCOPY_ESAME_FILE - PCOPY_EBASE] = EINVAL,
	[PCOPY_EVANISHED - PCOPY_EBASE] = ENOENT,
	[PCOPY_ENOTWRITABLE - PCOPY_EBASE] = EACCES,
	[PCOPY_ELOOP_DIR - PCOPY_EBASE] = ELOOP,
	[PCOPY_EUNSUPPORTED_TYPE - PCOPY_EBASE] = EOPNOTSUPP,
	[PCOPY_EVERIFY - PCOPY_EBASE] = EIO,
	[PCOPY_EWORKER - PCOPY_EBASE] = EIO,
};

/* @err as a positive code, whichever sign the caller gave it. */
static int err_code(int err)
{
	return err < 0 ? -err : err;
}

const char *report_strerror(int err)
{
	int code = err_code(err);
	const char *msg;

	/* A code added to report.h without a message here still prints. */
	if (code > PCOPY_EBASE && code < PCOPY_EMAX)
		return pcopy_messages[code - PCOPY_EBASE] ? pcopy_messages[code - PCOPY_EBASE]
							  : "internal error";
	if (code == 0)
		return "Success";
	/* Unlike strerror(), strerrordesc_np() is thread-safe: static text. */
	msg = strerrordesc_np(code);
	return msg ? msg : "Unknown error";
}

int report_errno(int err)
{
	int code = err_code(err);

	if (code > PCOPY_EBASE && code < PCOPY_EMAX)
		return pcopy_errnos[code - PCOPY_EBASE] ? pcopy_errnos[code - PCOPY_EBASE] : EIO;
	/* PCOPY_EBASE itself or anything above: not a kernel errno. */
	if (code >= PCOPY_EBASE)
		return EIO;
	return code;
}

void report_error(struct progress *progress, const char *path, int err)
{
	report_error_msg(progress, path, err, report_strerror(err));
}

/*
 * @message replaces the strerror text (it is not appended): the caller
 * that words its own message knows best what to say; @err still goes into
 * the JSON "errno" field.
 */
void report_error_worded(struct progress *progress, const char *path, int err, const char *message)
{
	progress_count(progress, PC_ERRORS, 1);
	progress_message_worded(progress, path, message, err);
}

void report_error_msg(struct progress *progress, const char *path, int err, const char *message)
{
	progress_count(progress, PC_ERRORS, 1);
	progress_message(progress, path, message, err);
}
