// SPDX-License-Identifier: MIT
/*
 * GNU argmatch for pcopy's enumerated arguments, with cp's messages; and
 * abbreviations of cp's long options.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/argmatch.h"
#include "pcopy/quote.h"
#include "pcopy/util.h"

/* -1: no word matches; -2: ambiguous; else the index of the match. */
static long argmatch_find(const char *arg, size_t len, const struct keyword *words)
{
	long found = -1;
	bool ambiguous = false;

	for (long i = 0; words[i].name; i++) {
		if (strncmp(words[i].name, arg, len))
			continue;
		if (strlen(words[i].name) == len)
			return i; /* an exact match wins over abbreviations */
		if (found < 0)
			found = i;
		else if (words[found].value != words[i].value)
			ambiguous = true;
	}
	return ambiguous ? -2 : found;
}

/* "Valid arguments are:", one line per value, synonyms on the same line. */
static void argmatch_valid(const struct keyword *words)
{
	fputs("Valid arguments are:", stderr);
	for (size_t i = 0; words[i].name; i++) {
		if (i == 0 || words[i].value != words[i - 1].value)
			fprintf(stderr, "\n  - '%s'", words[i].name);
		else
			fprintf(stderr, ", '%s'", words[i].name);
	}
	fputc('\n', stderr);
}

unsigned argmatch_len(const char *context, const char *arg, size_t len, const struct keyword *words,
		      int status)
{
	long i = argmatch_find(arg, len, words);
	char *bad, *quoted;

	if (i >= 0)
		return words[i].value;
	bad = xmalloc(len + 1);
	memcpy(bad, arg, len);
	bad[len] = '\0';
	quoted = quote_name(bad, true);
	fflush(stdout);
	fprintf(stderr, "%s: %s argument %s for '%s'\n", prog_name(),
		i == -2 ? "ambiguous" : "invalid", quoted, context);
	argmatch_valid(words);
	usage_hint();
	/* Freed before exit: LeakSanitizer checks the exit path too. */
	free(quoted);
	free(bad);
	exit(status);
}

unsigned argmatch(const char *context, const char *arg, const struct keyword *words)
{
	return argmatch_len(context, arg, strlen(arg), words, EXIT_USAGE);
}

/* GNU cp 9.1's long options: their abbreviations must mean what they mean to cp. */
static const char *const cp_long_options[] = {
	"archive",
	"attributes-only",
	"backup",
	"context",
	"copy-contents",
	"debug",
	"dereference",
	"force",
	"help",
	"interactive",
	"keep-directory-symlink",
	"link",
	"no-clobber",
	"no-dereference",
	"no-preserve",
	"no-target-directory",
	"one-file-system",
	"parents",
	"preserve",
	"recursive",
	"reflink",
	"remove-destination",
	"sparse",
	"strip-trailing-slashes",
	"suffix",
	"symbolic-link",
	"target-directory",
	"update",
	"verbose",
	"version",
	NULL,
};

/* How many of the NULL-terminated @list start with @name[0..@len); the last in *found. */
static size_t count_prefixed(const char *name, size_t len, const char *const *list,
			     const char **found)
{
	size_t n = 0;

	for (; *list; list++)
		if (!strncmp(*list, name, len) && ++n)
			*found = *list;
	return n;
}

/*
 * An abbreviation that names one option of cp is spelled out as that
 * option, even where pcopy's own options make it ambiguous ("--b" is cp's
 * --backup, and also the start of --backend), so that scripts written for
 * cp keep working (GNU's tests write "--b=simple").
 */
void argmatch_cp_abbreviations(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *arg = argv[i], *cp_name = NULL;
		size_t len;
		char *full;

		if (strncmp(arg, "--", 2))
			continue; /* not a long option: arg + 2 may be past its end */
		len = strcspn(arg + 2, "=");
		if (!len)
			continue;
		if (count_prefixed(arg + 2, len, cp_long_options, &cp_name) != 1 ||
		    strlen(cp_name) == len)
			continue;
		full = xmalloc(strlen(cp_name) + strlen(arg + 2 + len) + 3);
		sprintf(full, "--%s%s", cp_name, arg + 2 + len);
		argv[i] = full; /* lives as long as argv: the options borrow from it */
	}
}

void usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog_name());
}
