// SPDX-License-Identifier: MIT
/* pcopy: parse the command line, pick a backend, run the copy, exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcopy/backend.h"
#include "pcopy/cli.h"
#include "pcopy/engine.h"
#include "pcopy/mpi.h"
#include "pcopy/options.h"
#include "pcopy/util.h"

/*
 * Under mpirun every rank parses the same command line and reaches the same
 * verdict; only rank 0 prints usage errors and --help. Returns the saved
 * descriptors to give back to restore_output(), or -1s.
 */
static void silence_output(int saved[2])
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	saved[0] = saved[1] = -1;
	if (null < 0)
		return;
	fflush(stdout);
	saved[0] = dup(STDOUT_FILENO);
	saved[1] = dup(STDERR_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	close(null);
}

static void restore_output(const int saved[2])
{
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		if (saved[i] < 0)
			continue;
		dup2(saved[i], i ? STDERR_FILENO : STDOUT_FILENO);
		close(saved[i]);
	}
}

/*
 * At exit, as coreutils' close_stdout: what stdio could not write to stdout
 * (--help, --version) is "write error", exit 1. A closed stdout that was
 * never written to is no error.
 */
static void main_close_stdout(void)
{
	bool pending = __fpending(stdout) > 0;
	bool failed = ferror(stdout);
	int err = EIO;

	if (fclose(stdout) != 0 && (pending || errno != EBADF)) {
		failed = true;
		err = errno;
	}
	if (failed) {
		fprintf(stderr, "%s: write error: %s\n", prog_name(), strerror(err));
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	int rank = mpi_launcher_rank(), saved[2] = { -1, -1 };
	struct pcopy_opts opts;
	int status;

	atexit(main_close_stdout);
	if (rank > 0)
		silence_output(saved);
	cli_parse(argc, argv, &opts);
	restore_output(saved);
	status = engine_run(&opts, backend_resolve_auto(opts.backend));
	opts_release(&opts);
	return status;
}
