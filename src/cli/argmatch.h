/* SPDX-License-Identifier: MIT */
/*
 * Enumerated option arguments matched as GNU argmatch matches them: an
 * exact word, or an unambiguous abbreviation (several words that share the
 * prefix but mean the same value are not ambiguous). Private to src/cli.
 */
#ifndef PCOPY_CLI_ARGMATCH_H
#define PCOPY_CLI_ARGMATCH_H

#include <stddef.h>

/* One accepted word of an option that takes a keyword (or a list of them). */
struct keyword {
	const char *name;
	unsigned value;
};

/* Exit status of a usage error (SPEC section 8) and the hint that follows one. */
#define EXIT_USAGE 2
/* "Try 'NAME --help' for more information." on stderr, NAME as invoked. */
void usage_hint(void);

/*
 * The value of @arg[0..@len) among @words (NULL-terminated). Otherwise print
 * cp's "invalid argument" or "ambiguous argument" message for @context (the
 * option, e.g. "--sparse", or "backup type"), the list of valid arguments,
 * the --help hint, and exit with status @status.
 */
unsigned argmatch_len(const char *context, const char *arg, size_t len, const struct keyword *words,
		      int status);

/* argmatch_len() of the whole string @arg, exit status EXIT_USAGE. */
unsigned argmatch(const char *context, const char *arg, const struct keyword *words);

/*
 * Spell out in @argv every abbreviation of one of GNU cp's long options
 * ("--b=simple" is "--backup=simple"), even where pcopy's own options would
 * make it ambiguous, before getopt sees it.
 */
void argmatch_cp_abbreviations(int argc, char **argv);

#endif /* PCOPY_CLI_ARGMATCH_H */
