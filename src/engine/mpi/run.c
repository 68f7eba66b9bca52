// SPDX-License-Identifier: MIT
/*
 * The mpi backend's run, on every rank: MPI set-up, the phases (see
 * mpi_internal.h), one exit status for the whole job, and the fast way out
 * after SIGINT/SIGTERM (temporaries removed, no collective awaited).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/mpi/mpi_internal.h"
#include "pcopy/clock.h"
#include "pcopy/engine.h"
#include "pcopy/mpi.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"
#include "pcopy/walk.h"

/* Does every rank of the job run on this machine (one kernel)? */
static bool on_one_node(void)
{
	MPI_Comm node;
	int node_size, world_size;

	MPI_Comm_size(MPI_COMM_WORLD, &world_size);
	MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	MPI_Comm_size(node, &node_size);
	MPI_Comm_free(&node);
	return node_size == world_size;
}

/* SIGINT/SIGTERM: remove what is ours, let the workers stop, leave now. */
static _Noreturn void stop_now(struct mpi_ctx *m)
{
	int sig = stop_signal();

	mpi_remove_temps(m);
	engine_finish_jobs(m->engine);
	mpi_remove_temps(m);
	fflush(stdout);
	fflush(stderr);
	/* No MPI_Finalize: it would wait for ranks that may be gone. mpirun
	 * reports the first rank's status that is not 0: ours. */
	_exit(128 + (sig ? sig : SIGTERM));
}

/* A run of one rank (no mpirun, or -np 1): the thread engine as it is. */
static int run_single(const struct pcopy_opts *opts)
{
	struct engine *engine = engine_start(opts, BACKEND_THREAD, "mpi");
	int status;

	progress_set_ranks(engine_progress(engine), 1);
	walk_run(engine, engine_backend(engine), engine_links(engine));
	status = engine_drain(engine);
	return engine_end(engine, status);
}

/* The job's status, the same on every rank: 1 if any rank had an error. */
static int job_status(struct mpi_ctx *m, int local)
{
	struct progress_snapshot snap;
	int status = local;

	if (m->rank == 0) {
		/* Rank 0's snapshot includes everyone's final counters now. */
		progress_snapshot(m->progress, &snap);
		status = snap.count[PC_ERRORS] ? 1 : local;
	}
	if (mpi_bcast(m, &status, 1, MPI_INT))
		stop_now(m);
	return status;
}

static void make_run_id(struct mpi_ctx *m)
{
	uint64_t id = 0;

	if (m->rank == 0 && getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint64_t)getpid() << 20 ^ clock_now_ns();
	MPI_Bcast(&id, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	snprintf(m->run_id, sizeof(m->run_id), "%012llx",
		 (unsigned long long)(id & 0xffffffffffffull));
}

/*
 * --delete: a source error on any rank turns deletion off on all (rsync's
 * rule: never delete on a partial view). Rank 0 takes the error as its
 * own, so that "skipping file deletion" is said once, there; the other
 * ranks just delete nothing.
 */
static int share_source_error(struct mpi_ctx *m)
{
	int mine, any = 0;

	if (!m->opts->delete_extraneous)
		return 0;
	mine = engine_source_incomplete(m->engine);
	if (mpi_allreduce(m, &mine, &any, 1, MPI_INT, MPI_LOR))
		return -EINTR;
	if (any && m->rank == 0)
		engine_note_source_error(m->engine);
	else if (any)
		m->delete_off = true;
	return 0;
}

int mpi_run(const struct pcopy_opts *opts)
{
	struct pcopy_opts rank_opts = *opts;
	struct mpi_ctx m = { .opts = opts };
	int provided, status;

	if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
		die("--backend=mpi: MPI_Init_thread failed");
	if (provided < MPI_THREAD_FUNNELED)
		die("--backend=mpi: this MPI library cannot run threads (MPI_THREAD_FUNNELED)");
	MPI_Comm_rank(MPI_COMM_WORLD, &m.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &m.size);
	if (m.size == 1) {
		status = run_single(opts);
		MPI_Finalize();
		return status;
	}
	MPI_Comm_dup(MPI_COMM_WORLD, &m.work);
	MPI_Comm_dup(MPI_COMM_WORLD, &m.ctrl);
	MPI_Comm_dup(MPI_COMM_WORLD, &m.coll);
	m.one_node = on_one_node();
	make_run_id(&m);
	pthread_mutex_init(&m.dirs_lock, NULL);
	pthread_mutex_init(&m.temps_lock, NULL);
	mpi_comm_init(&m);

	/* One display, on rank 0; the others send it their counters and lines. */
	if (m.rank != 0) {
		rank_opts.progress = PROGRESS_NONE;
		rank_opts.summary = SUMMARY_NONE;
	}
	m.opts = &rank_opts;
	m.engine = engine_start(&rank_opts, BACKEND_THREAD, "mpi");
	m.progress = engine_progress(m.engine);
	if (m.rank == 0)
		progress_set_ranks(m.progress, (unsigned)m.size);
	else
		progress_set_message_hook(m.progress, mpi_forward_message, &m);
	engine_set_dir_meta_hook(m.engine, mpi_keep_dir, &m);
	walker_init(&m.wk, m.engine, engine_backend(m.engine), engine_links(m.engine));
	m.wk.hooks = &mpi_walk_hooks;
	m.wk.hook_ctx = &m;

	if (mpi_share_roots(&m) || mpi_walk(&m))
		stop_now(&m);
	if (mpi_copy_links(&m) || mpi_copy_large(&m))
		stop_now(&m);
	progress_walk_done(m.progress);
	engine_finish_jobs(m.engine);
	/* Every rank's data is in: directory metadata can go last. */
	if (stop_requested() || mpi_barrier(&m) || share_source_error(&m) || mpi_apply_dir_meta(&m))
		stop_now(&m);
	mpi_close_roots(&m);
	walker_release(&m.wk);
	status = engine_drain(m.engine);
	if (stop_requested() || mpi_final_counts(&m))
		stop_now(&m);
	status = job_status(&m, status);
	status = engine_end(m.engine, status);
	mpi_comm_release(&m);
	pthread_mutex_destroy(&m.dirs_lock);
	pthread_mutex_destroy(&m.temps_lock);
	MPI_Comm_free(&m.work);
	MPI_Comm_free(&m.ctrl);
	MPI_Comm_free(&m.coll);
	MPI_Finalize();
	return status;
}
