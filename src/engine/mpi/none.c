// SPDX-License-Identifier: MIT
/* A build without MPI: the command line refuses --backend=mpi first. */
#include "pcopy/mpi.h"
#include "pcopy/util.h"

int mpi_run(const struct pcopy_opts *opts)
{
	(void)opts;
	die("--backend=mpi: this pcopy was built without MPI (meson setup -Dmpi=enabled)");
}
