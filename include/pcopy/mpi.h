/* SPDX-License-Identifier: MIT */
/*
 * The mpi backend: every rank of an MPI job (mpirun, srun) runs the thread
 * engine on its share of the tree. Built only with -Dmpi=enabled.
 */
#ifndef PCOPY_MPI_H
#define PCOPY_MPI_H

struct pcopy_opts;

/*
 * This process's rank and the job's size as the launcher's environment
 * tells them (Open MPI, PMI, PMIx), before MPI is initialised: -1 and 0
 * outside an MPI job. Available in every build.
 */
int mpi_launcher_rank(void);
int mpi_launcher_size(void);

/*
 * Run the copy described by @opts as one rank of the job; every rank
 * returns the same status (0, 1), or 130/143 after SIGINT/SIGTERM.
 * Without MPI in the build it is never called (the command line refuses
 * --backend=mpi).
 */
int mpi_run(const struct pcopy_opts *opts);

#endif /* PCOPY_MPI_H */
