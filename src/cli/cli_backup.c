// SPDX-License-Identifier: MIT
/*
 * rsync's backup options: --delete, --delete-excluded, --link-dest,
 * --backup-dir, -c, --size-only, --modify-window, --include, the *-from
 * lists, --bwlimit, --itemize-changes, --no-resume. Parsed
 * by an argp child of cli.c so that they keep their own table and group in
 * --help. Each has rsync's meaning; usage errors exit with status 2.
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	OPT_INCLUDE,
	OPT_INCLUDE_FROM,
	OPT_EXCLUDE_FROM,
	OPT_FILES_FROM,
	OPT_BWLIMIT,
	OPT_ITEMIZE,
	OPT_NO_RESUME,
	OPT_BACKUP_DIR,
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
	{ "backup-dir", OPT_BACKUP_DIR, "DIR", 0,
	  "implies --backup: a replaced or deleted (--delete) entry is moved to DIR under "
	  "its path relative to the destination, instead of renamed beside it; DIR is "
	  "relative to the destination; the suffix is empty unless -S is given" },
	{ "checksum", 'c', NULL, 0,
	  "skip a file whose destination has the same size and content (xxHash3 of both), "
	  "whatever the times (with -u, newer destinations are skipped too)" },
	{ "size-only", OPT_SIZE_ONLY, NULL, 0,
	  "skip a file whose destination has the same size, whatever its times" },
	{ "modify-window", OPT_MODIFY_WINDOW, "N", 0,
	  "-u: modification times that differ by at most N seconds are equal (FAT: 2), "
	  "0 to 86400 (default 0: to the nanosecond)" },
	{ "include", OPT_INCLUDE, "PATTERN", 0,
	  "keep paths matching PATTERN even if a later --exclude matches: among --include "
	  "and --exclude, the first that matches decides (as rsync); repeatable" },
	{ "include-from", OPT_INCLUDE_FROM, "FILE", 0,
	  "--include each pattern of FILE, one a line ('-' for stdin; blank lines and lines "
	  "starting with ';' or '#' are skipped)" },
	{ "exclude-from", OPT_EXCLUDE_FROM, "FILE", 0,
	  "--exclude each pattern of FILE, one a line, as --include-from" },
	{ "files-from", OPT_FILES_FROM, "FILE", 0,
	  "copy only the paths listed in FILE, relative to the source (and the directories "
	  "that lead to them); a listed directory is copied whole" },
	{ "bwlimit", OPT_BWLIMIT, "RATE", 0,
	  "write at most RATE bytes per second, all workers together; K M G are powers of "
	  "1024, a bare number is in KiB as in rsync; 0 for no limit" },
	{ "itemize-changes", OPT_ITEMIZE, NULL, 0,
	  "print rsync's YXcstpoguax line for each entry created, copied or deleted, on "
	  "stdout (instead of -v's lines)" },
	{ "itemize", OPT_ITEMIZE, NULL, OPTION_ALIAS },
	{ "from0", '0', NULL, 0,
	  "the *-from FILEs are separated by NUL bytes, not lines (wherever -0 is given)" },
	{ "no-resume", OPT_NO_RESUME, NULL, 0,
	  "do not resume a file copied in chunks that an interrupted run left partial (the "
	  "hidden .NAME.pcopy-partial): remove it and copy the file whole" },
	{ NULL },
};
/* clang-format on */

/* As cli.c's usage errors: "pcopy: ..." and the hint, exit status 2. */
__attribute__((noreturn, format(printf, 1, 2))) static void backup_usage_error(const char *fmt, ...)
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
		backup_usage_error("invalid argument %s for '--link-dest'", quote_name(dir, true));
	o->link_dests = xrealloc(o->link_dests, (o->nr_link_dests + 1) * sizeof(*o->link_dests));
	o->link_dests[o->nr_link_dests++] = dir;
}

/* Append rule @pattern to --exclude's list, marked as an include or not. */
static void backup_add_rule(struct pcopy_opts *o, const char *pattern, bool include)
{
	size_t n = o->nr_excludes + 1;

	o->excludes = xrealloc(o->excludes, n * sizeof(*o->excludes));
	o->excludes[n - 1] = pattern;
	o->nr_excludes = n;
	if (!include && !o->nr_rule_flags)
		return;
	o->rule_include = xrealloc(o->rule_include, n * sizeof(*o->rule_include));
	for (size_t i = o->nr_rule_flags; i < n; i++)
		o->rule_include[i] = false; /* cli.c's --exclude since the last flag */
	o->rule_include[n - 1] = include;
	o->nr_rule_flags = n;
}

/* FILE's whole content, NUL-terminated ("-": stdin); dies if unreadable. */
static char *backup_slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		die("%s: %s", quote_name(path, false), strerror(errno));
	buf = xmalloc(cap);
	for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
		n += got;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(f))
		die("%s: %s", quote_name(path, false), strerror(errno));
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Read list FILE (@kind: OPT_INCLUDE_FROM, OPT_EXCLUDE_FROM or
 * OPT_FILES_FROM) into @o; the buffer stays in o->owned, the items point
 * into it.
 */
static void backup_read_list(struct pcopy_opts *o, const char *path, int kind, bool from0)
{
	size_t len, start = 0;
	char *buf = backup_slurp(path, &len);

	o->owned = xrealloc(o->owned, (o->nr_owned + 1) * sizeof(*o->owned));
	o->owned[o->nr_owned++] = buf;
	for (size_t i = 0; i <= len; i++) {
		char *item = buf + start;
		bool end = from0 ? buf[i] == '\0' : (buf[i] == '\n' || buf[i] == '\r' || !buf[i]);

		if (!end)
			continue;
		buf[i] = '\0';
		start = i + 1;
		if (!*item || (kind != OPT_FILES_FROM && (*item == ';' || *item == '#')))
			continue;
		if (kind != OPT_FILES_FROM) {
			backup_add_rule(o, item, kind == OPT_INCLUDE_FROM);
			continue;
		}
		o->files_from = xrealloc(o->files_from, (o->nr_files_from + 1) * sizeof(char *));
		o->files_from[o->nr_files_from++] = item;
	}
}

/* --bwlimit's RATE: rsync's units (a bare number is KiB per second). */
static uint64_t backup_rate(const char *arg)
{
	uint64_t rate = 0;
	size_t digits = strspn(arg, "0123456789");

	if (size_parse(arg, &rate) || (digits == strlen(arg) && rate > UINT64_MAX / 1024))
		backup_usage_error("invalid argument %s for '--bwlimit'", quote_name(arg, true));
	return digits == strlen(arg) ? rate * 1024 : rate;
}

/* -0 applies to every *-from FILE, before or after it on the line. */
static bool backup_from0(const struct argp_state *state)
{
	for (int i = 1; i < state->argc && strcmp(state->argv[i], "--"); i++)
		if (!strcmp(state->argv[i], "-0") || !strcmp(state->argv[i], "--from0"))
			return true;
	return false;
}

void cli_backup_release(struct pcopy_opts *o)
{
	for (size_t i = 0; i < o->nr_owned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->files_from);
	free(o->rule_include);
	free(o->link_dests);
	o->owned = NULL;
	o->files_from = NULL;
	o->rule_include = NULL;
	o->link_dests = NULL;
	o->nr_owned = o->nr_files_from = o->nr_rule_flags = o->nr_link_dests = 0;
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
	case OPT_BACKUP_DIR:
		/* rsync: "./" leads nowhere; "." alone would back a file up onto itself. */
		while (arg[0] == '.' && arg[1] == '/')
			arg += 2;
		if (!*arg || !strcmp(arg, "."))
			backup_usage_error("invalid argument %s for '--backup-dir'",
					   quote_name(arg, true));
		o->backup_dir = arg;
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
					   "to %u",
					   quote_name(arg, true), CLI_MODIFY_WINDOW_MAX);
		break;
	case OPT_INCLUDE:
		backup_add_rule(o, arg, true);
		break;
	case OPT_INCLUDE_FROM:
	case OPT_EXCLUDE_FROM:
	case OPT_FILES_FROM:
		backup_read_list(o, arg, key, backup_from0(state));
		break;
	case '0':
		break; /* read by backup_from0() */
	case OPT_ITEMIZE:
		o->itemize = true;
		break;
	case OPT_NO_RESUME:
		o->no_resume = true;
		break;
	case OPT_BWLIMIT:
		o->bwlimit = backup_rate(arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_backup_argp = { backup_options, backup_parse, NULL, NULL };
