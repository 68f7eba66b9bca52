// SPDX-License-Identifier: MIT
/*
 * rsync's backup options: --delete, --delete-excluded, --link-dest, -c,
 * --size-only, --modify-window. Parsed
 * by an argp child of cli.c so that they keep their own table and group in
 * --help. Each has rsync's meaning; usage errors exit with status 2.
 */
#include <argp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_backup.h"
#include "pcopy/options.h"
#include "pcopy/quote.h"
#include "pcopy/size.h"
#include "pcopy/util.h"

enum {
	OPT_DELETE = 512, /* above cli.c's keys */
	OPT_DELETE_EXCLUDED,
	OPT_LINK_DEST,
	OPT_SIZE_ONLY,
	OPT_MODIFY_WINDOW,
};

/* --modify-window: a day is more than any file system's granularity. */
#define CLI_MODIFY_WINDOW_MAX 86400

/* clang-format off */
static const struct argp_option backup_options[] = {
	{ NULL, 0, NULL, 0, "Backups (rsync's options):", 5 },
	{ "delete", OPT_DELETE, NULL, 0,
	  "remove from each destination directory the entries its source does not have "
	  "(excluded names are kept); skipped after an error reading the source" },
	{ "delete-excluded", OPT_DELETE_EXCLUDED, NULL, 0,
	  "--delete, and remove excluded names from the destination too" },
	{ "link-dest", OPT_LINK_DEST, "DIR", 0,
	  "hard-link an entry from DIR instead of copying it when DIR's copy is unchanged "
	  "(same size and mtime, and with -a mode, owner, group, xattrs); DIR is relative "
	  "to the destination, repeatable up to 20 times" },
	{ "checksum", 'c', NULL, 0,
	  "skip a file whose destination has the same size and content (xxHash3 of both), "
	  "whatever the times (with -u, newer destinations are skipped too)" },
	{ "size-only", OPT_SIZE_ONLY, NULL, 0,
	  "skip a file whose destination has the same size, whatever its times" },
	{ "modify-window", OPT_MODIFY_WINDOW, "N", 0,
	  "-u: modification times that differ by at most N seconds are equal (FAT: 2), "
	  "0 to 86400 (default 0: to the nanosecond)" },
	{ NULL },
};
/* clang-format on */

/* As cli.c's usage errors: "pcopy: ..." and the hint, exit status 2. */
__attribute__((noreturn, format(printf, 1, 2))) static void backup_usage_error(const char *fmt,
									       ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pcopy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pcopy --help' for more information.\n", stderr);
	exit(2);
}

static void backup_add_link_dest(struct pcopy_opts *o, const char *dir)
{
	if (o->nr_link_dests == CLI_LINK_DEST_MAX)
		backup_usage_error("at most %d --link-dest arguments may be given",
				   CLI_LINK_DEST_MAX);
	if (!*dir)
		backup_usage_error("invalid argument %s for '--link-dest'",
				   quote_name(dir, true));
	o->link_dests = xrealloc(o->link_dests, (o->nr_link_dests + 1) * sizeof(*o->link_dests));
	o->link_dests[o->nr_link_dests++] = dir;
}

/* What the backends cannot do yet: refused, never ignored. */
static void backup_check(const struct pcopy_opts *o)
{
	if (o->backend == BACKEND_MPI && o->delete_extraneous)
		die("--delete with --backend=mpi: not supported yet");
	if (o->backend == BACKEND_MPI && o->nr_link_dests)
		die("--link-dest with --backend=mpi: not supported yet");
}

static error_t backup_parse(int key, char *arg, struct argp_state *state)
{
	struct pcopy_opts *o = state->input;

	switch (key) {
	case OPT_DELETE:
		o->delete_extraneous = true;
		break;
	case OPT_DELETE_EXCLUDED:
		o->delete_extraneous = true;
		o->delete_excluded = true;
		break;
	case OPT_LINK_DEST:
		backup_add_link_dest(o, arg);
		break;
	case 'c':
		o->checksum = true;
		break;
	case OPT_SIZE_ONLY:
		o->size_only = true;
		break;
	case OPT_MODIFY_WINDOW:
		if (uint_parse(arg, 0, CLI_MODIFY_WINDOW_MAX, &o->modify_window))
			backup_usage_error("invalid argument %s for '--modify-window'; allowed: 0 "
					   "to %u", quote_name(arg, true), CLI_MODIFY_WINDOW_MAX);
		break;
	case ARGP_KEY_END:
		backup_check(o);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_backup_argp = { backup_options, backup_parse, NULL, NULL };
