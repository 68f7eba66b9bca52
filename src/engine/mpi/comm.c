// SPDX-License-Identifier: MIT
/*
 * How ranks wait and talk besides the walk: every wait is a test loop that
 * keeps forwarding counters and messages to rank 0 and gives up at once on
 * SIGINT/SIGTERM (a stopped rank must not sit in a collective), and rank 0
 * keeps the one progress display fed with everyone's counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/mpi/mpi_internal.h"
#include "pcopy/clock.h"
#include "pcopy/engine.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* Counters go to rank 0 this often (its display ticks at about 4 Hz). */
#define PROGRESS_PERIOD_NS (200u * 1000 * 1000)

void mpi_comm_init(struct mpi_ctx *m)
{
	pthread_mutex_init(&m->msg_lock, NULL);
	m->progress_req = MPI_REQUEST_NULL;
	if (m->rank == 0) {
		m->remote = xcalloc((size_t)m->size * MPI_NR_COUNTS, sizeof(uint64_t));
		m->final_seen = xcalloc((size_t)m->size, sizeof(bool));
	}
}

void mpi_comm_release(struct mpi_ctx *m)
{
	if (m->progress_req != MPI_REQUEST_NULL)
		MPI_Request_free(&m->progress_req);
	wire_release(&m->msgs);
	free(m->remote);
	free(m->final_seen);
	pthread_mutex_destroy(&m->msg_lock);
}

void mpi_forward_message(void *ctx, const char *path, const char *message, int err)
{
	struct mpi_ctx *m = ctx;

	pthread_mutex_lock(&m->msg_lock);
	wire_put(&m->msgs, &err, sizeof(err));
	wire_put_u32(&m->msgs, path != NULL);
	wire_put_str(&m->msgs, path ? path : "");
	wire_put_str(&m->msgs, message);
	pthread_mutex_unlock(&m->msg_lock);
}

/* Rank 0: show what a message from another rank says. */
static void print_messages(struct mpi_ctx *m, struct wire *w)
{
	while (w->pos < w->len && !w->bad) {
		int err;
		uint32_t has_path;
		const char *path, *message;

		wire_get(w, &err, sizeof(err));
		has_path = wire_get_u32(w);
		path = wire_get_str(w);
		message = wire_get_str(w);
		if (!w->bad)
			progress_message(m->progress, has_path ? path : NULL, message, err);
	}
}

/* Rank 0: the sum of the other ranks' latest counters, into the display. */
static void update_remote(struct mpi_ctx *m)
{
	uint64_t count[NR_PROGRESS_COUNTERS] = { 0 }, total[NR_PROGRESS_TOTALS] = { 0 };

	for (int r = 1; r < m->size; r++) {
		const uint64_t *v = m->remote + (size_t)r * MPI_NR_COUNTS;

		for (unsigned c = 0; c < NR_PROGRESS_COUNTERS; c++)
			count[c] += v[c];
		for (unsigned t = 0; t < NR_PROGRESS_TOTALS; t++)
			total[t] += v[NR_PROGRESS_COUNTERS + t];
	}
	progress_set_remote(m->progress, count, total);
}

/* Rank 0: take in every counter update and message that has arrived. */
static void serve_control(struct mpi_ctx *m)
{
	struct wire w = { 0 };
	MPI_Status st;
	int flag;
	bool changed = false;

	for (;;) {
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, m->ctrl, &flag, &st);
		if (!flag)
			break;
		if (st.MPI_TAG == TAG_MESSAGE) {
			wire_recv(&w, &st, m->ctrl);
			print_messages(m, &w);
			continue;
		}
		/* TAG_PROGRESS or TAG_FINAL: a rank's counters. */
		MPI_Recv(m->remote + (size_t)st.MPI_SOURCE * MPI_NR_COUNTS, MPI_NR_COUNTS,
			 MPI_UINT64_T, st.MPI_SOURCE, st.MPI_TAG, m->ctrl, MPI_STATUS_IGNORE);
		changed = true;
		if (st.MPI_TAG == TAG_FINAL && !m->final_seen[st.MPI_SOURCE]) {
			m->final_seen[st.MPI_SOURCE] = true;
			m->nr_final++;
		}
	}
	if (changed)
		update_remote(m);
	wire_release(&w);
}

static void local_counts(struct mpi_ctx *m, uint64_t out[MPI_NR_COUNTS])
{
	struct progress_snapshot snap;

	progress_local_snapshot(m->progress, &snap);
	memcpy(out, snap.count, sizeof(snap.count));
	memcpy(out + NR_PROGRESS_COUNTERS, snap.total, sizeof(snap.total));
}

/* Ranks > 0: send the queued message lines (one message per batch). */
static void flush_messages(struct mpi_ctx *m)
{
	struct wire w;

	pthread_mutex_lock(&m->msg_lock);
	w = m->msgs;
	m->msgs = (struct wire){ 0 };
	pthread_mutex_unlock(&m->msg_lock);
	if (w.len)
		MPI_Send(w.buf, (int)w.len, MPI_BYTE, 0, TAG_MESSAGE, m->ctrl);
	wire_release(&w);
}

void mpi_service(struct mpi_ctx *m)
{
	uint64_t now;
	int done;

	if (m->rank == 0) {
		serve_control(m);
		return;
	}
	flush_messages(m);
	if (m->final_sent)
		return;
	now = clock_now_ns();
	if (now - m->last_progress_ns < PROGRESS_PERIOD_NS)
		return;
	if (m->progress_req != MPI_REQUEST_NULL) {
		MPI_Test(&m->progress_req, &done, MPI_STATUS_IGNORE);
		if (!done)
			return;
	}
	m->last_progress_ns = now;
	local_counts(m, m->progress_buf);
	MPI_Isend(m->progress_buf, MPI_NR_COUNTS, MPI_UINT64_T, 0, TAG_PROGRESS, m->ctrl,
		  &m->progress_req);
}

/* Sleep a little longer each time nothing happens: ranks may outnumber cores. */
static void backoff(unsigned *idle)
{
	struct timespec ts = { 0, 0 };

	if (*idle < 1000)
		(*idle)++;
	ts.tv_nsec = *idle < 50 ? 20000 : *idle < 200 ? 200000 : 1000000;
	nanosleep(&ts, NULL);
}

int mpi_wait(struct mpi_ctx *m, MPI_Request *req)
{
	unsigned idle = 0;
	int done;

	for (;;) {
		MPI_Test(req, &done, MPI_STATUS_IGNORE);
		if (done)
			return 0;
		mpi_service(m);
		if (stop_requested())
			return -EINTR;
		backoff(&idle);
	}
}

int mpi_barrier(struct mpi_ctx *m)
{
	MPI_Request req;

	MPI_Ibarrier(m->coll, &req);
	return mpi_wait(m, &req);
}

int mpi_allreduce(struct mpi_ctx *m, const void *in, void *out, int count, MPI_Datatype type,
		  MPI_Op op)
{
	MPI_Request req;

	MPI_Iallreduce(in, out, count, type, op, m->coll, &req);
	return mpi_wait(m, &req);
}

int mpi_bcast(struct mpi_ctx *m, void *buf, int count, MPI_Datatype type)
{
	MPI_Request req;

	MPI_Ibcast(buf, count, type, 0, m->coll, &req);
	return mpi_wait(m, &req);
}

int mpi_final_counts(struct mpi_ctx *m)
{
	unsigned idle = 0;

	if (m->rank != 0) {
		MPI_Request req;

		flush_messages(m);
		if (m->progress_req != MPI_REQUEST_NULL && mpi_wait(m, &m->progress_req))
			return -EINTR;
		local_counts(m, m->progress_buf);
		m->final_sent = true;
		/* After the messages (MPI keeps one sender's order): rank 0 has
		 * printed every line of ours before it prints the summary. */
		MPI_Isend(m->progress_buf, MPI_NR_COUNTS, MPI_UINT64_T, 0, TAG_FINAL, m->ctrl,
			  &req);
		return mpi_wait(m, &req);
	}
	while (m->nr_final < m->size - 1) {
		serve_control(m);
		if (stop_requested())
			return -EINTR;
		if (m->nr_final < m->size - 1)
			backoff(&idle);
	}
	return 0;
}
