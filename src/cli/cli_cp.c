// SPDX-License-Identifier: MIT
/* pcopy invoked as cp: GNU cp's operand rules (cli_cp.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_cp.h"
#include "pcopy/options.h"
#include "pcopy/quote.h"
#include "pcopy/util.h"

void cli_cp_personality(struct pcopy_opts *o, bool recursive, bool deref_set)
{
	if (strcmp(prog_name(), "cp"))
		return;
	o->omit_dirs = !recursive;
	/* cp.c: DEREF_UNDEFINED becomes NEVER with -R (and not -l), else ALWAYS. */
	if (!deref_set && !recursive)
		o->deref = DEREF_ALWAYS;
}

void cli_cp_target_error(const char *path, int err, bool dash_t)
{
	/* A run-time failure in cp (its die()), not a usage error: no hint. */
	fflush(stdout);
	fprintf(stderr, "%s: target%s %s: %s\n", prog_name(), dash_t ? " directory" : "",
		quote_name(path, true), strerror(err));
	exit(EXIT_FAILURE);
}
