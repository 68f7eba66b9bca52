// SPDX-License-Identifier: MIT
/* pcopy: parse the command line, pick a backend, run the copy, exit. */
#include <stdio.h>
#include <stdlib.h>

#include "pcopy/backend.h"
#include "pcopy/cli.h"
#include "pcopy/engine.h"
#include "pcopy/options.h"

int main(int argc, char **argv)
{
	struct pcopy_opts opts;
	int status;

	cli_parse(argc, argv, &opts);
	status = engine_run(&opts, backend_resolve_auto(opts.backend));
	opts_release(&opts);
	return status;
}
