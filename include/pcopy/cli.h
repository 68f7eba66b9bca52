/* SPDX-License-Identifier: MIT */
/* Command-line parsing (argp) into struct pcopy_opts. */
#ifndef PCOPY_CLI_H
#define PCOPY_CLI_H

#include "pcopy/options.h"

/*
 * Parse argv into @opts (which cli_parse initialises itself). Validates every
 * option and the operand count. On a usage error prints a message and
 * "Try 'pcopy --help' for more information." on stderr and exits with
 * status 2; --help/--version print and exit 0. Options whose behaviour has
 * not landed yet are refused with "not supported yet" and exit 2.
 * Resolves backend AUTO to a concrete backend is NOT done here (main does).
 */
void cli_parse(int argc, char **argv, struct pcopy_opts *opts);

#endif /* PCOPY_CLI_H */
