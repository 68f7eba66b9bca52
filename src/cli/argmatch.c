// SPDX-License-Identifier: MIT
/* GNU argmatch for pcopy's enumerated arguments, with cp's messages. */
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

unsigned argmatch_len(const char *context, const char *arg, size_t len,
		      const struct keyword *words, int status)
{
	long i = argmatch_find(arg, len, words);
	char *bad;

	if (i >= 0)
		return words[i].value;
	bad = xmalloc(len + 1);
	memcpy(bad, arg, len);
	bad[len] = '\0';
	fflush(stdout);
	fprintf(stderr, "pcopy: %s argument %s for '%s'\n", i == -2 ? "ambiguous" : "invalid",
		quote_name(bad, true), context);
	argmatch_valid(words);
	fputs(USAGE_HINT, stderr);
	exit(status);
}

unsigned argmatch(const char *context, const char *arg, const struct keyword *words)
{
	return argmatch_len(context, arg, strlen(arg), words, EXIT_USAGE);
}
