// SPDX-License-Identifier: MIT
/*
 * After the walk: hard links, large files, then directory metadata.
 *
 * Hard links: every name of an inode with nlink > 1 goes to one home rank,
 * chosen by (dev, inode), whose hard-link map copies the first name and
 * links the others, exactly as a single-node run does.
 *
 * Large files (above --chunk-size): every rank learns the whole list and
 * computes the same plan. The chunks of all files, in list order, are cut
 * into one contiguous run per rank (as mpifileutils' dcp does), so that a
 * file touches few ranks. A file that falls to one rank is copied there as
 * usual (its chunks shared by that rank's threads). A file split between
 * ranks is written under a temporary name every rank can compute, created
 * and sized by its owner (the rank of its first chunk); each rank writes
 * its part; the owner publishes it when every part succeeded, or removes
 * it. Splitting needs a file system that keeps one file coherent between
 * writers: one machine, Lustre, GPFS or CephFS; elsewhere (NFS) files are
 * given whole to ranks, the largest first to the least loaded.
 *
 * Directory metadata: once every rank's data is written, each rank applies
 * the metadata of the directories it listed, deepest first. Setting a
 * directory's times or mode never touches its parent's, so ranks need not
 * wait for each other level by level.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/itemize.h"
#include "engine/mpi/mpi_internal.h"
#include "pcopy/backend.h"
#include "pcopy/copy.h"
#include "pcopy/engine.h"
#include "pcopy/job.h"
#include "pcopy/meta.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* An entry kept by the walk (see keep_entry in mpi_walk.c). */
struct entry {
	uint32_t root;
	uint32_t flags; /* large files: may_exist */
	struct stat st;
	const char *rel; /* points into the received buffer */
	const char *name;
};

/* Parse every entry of @w into a new array; *n gets the count. */
static struct entry *parse_entries(struct wire *w, size_t *n)
{
	struct entry *v = NULL;
	size_t alloc = 0;

	*n = 0;
	while (w->pos < w->len) {
		struct entry e;

		e.root = wire_get_u32(w);
		e.flags = wire_get_u32(w);
		wire_get(w, &e.st, sizeof(e.st));
		e.rel = wire_get_str(w);
		e.name = wire_get_str(w);
		if (w->bad)
			BUG("bad entry list");
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		v[(*n)++] = e;
	}
	return v;
}

/* The byte length of one entry at @w's read position (and skip it). */
static size_t skip_entry(struct wire *w)
{
	size_t start = w->pos;
	struct stat st;

	wire_get_u32(w);
	wire_get_u32(w);
	wire_get(w, &st, sizeof(st));
	wire_get_str(w);
	wire_get_str(w);
	return w->pos - start;
}

/* Keeps the last directory opened, for runs of entries in one directory. */
struct dir_cache {
	uint32_t root;
	char *rel;
	struct dir_node *dir;
};

static struct dir_node *cached_dir(struct mpi_ctx *m, struct dir_cache *c, uint32_t root,
				   const char *rel)
{
	if (c->rel && c->root == root && !strcmp(c->rel, rel))
		return c->dir;
	if (c->dir)
		engine_dir_release(m->engine, c->dir);
	free(c->rel);
	c->root = root;
	c->rel = xstrdup(rel);
	c->dir = mpi_open_dir(m, root, rel);
	return c->dir;
}

static void cache_release(struct mpi_ctx *m, struct dir_cache *c)
{
	if (c->dir)
		engine_dir_release(m->engine, c->dir);
	free(c->rel);
	*c = (struct dir_cache){ 0 };
}

static int home_rank(const struct stat *st, int size)
{
	uint64_t h = (uint64_t)st->st_ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)st->st_dev;

	return (int)((h ^ h >> 29) % (uint64_t)size);
}

/* Sort hard-link names by inode, then path: every rank picks the same first. */
static int by_inode_then_path(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if (x->st.st_dev != y->st.st_dev)
		return x->st.st_dev < y->st.st_dev ? -1 : 1;
	if (x->st.st_ino != y->st.st_ino)
		return x->st.st_ino < y->st.st_ino ? -1 : 1;
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	c = strcmp(x->rel, y->rel);
	return c ? c : strcmp(x->name, y->name);
}

int mpi_copy_links(struct mpi_ctx *m)
{
	int *send_counts = xcalloc((size_t)m->size, sizeof(int));
	int *recv_counts = xcalloc((size_t)m->size, sizeof(int));
	int *send_displs = xcalloc((size_t)m->size, sizeof(int));
	int *recv_displs = xcalloc((size_t)m->size, sizeof(int));
	struct wire *per_rank = xcalloc((size_t)m->size, sizeof(*per_rank));
	struct wire out = { 0 }, in = { 0 };
	struct dir_cache cache = { 0 };
	struct entry *v = NULL;
	MPI_Request req;
	size_t n, total = 0;
	int err;

	/* Bucket the names by home rank. */
	while (m->links.pos < m->links.len) {
		size_t start = m->links.pos, len;
		struct stat st;

		wire_get_u32(&m->links);
		wire_get_u32(&m->links);
		wire_get(&m->links, &st, sizeof(st));
		m->links.pos = start;
		len = skip_entry(&m->links);
		wire_put(&per_rank[home_rank(&st, m->size)], m->links.buf + start, len);
	}
	for (int r = 0; r < m->size; r++) {
		send_displs[r] = (int)out.len;
		send_counts[r] = (int)per_rank[r].len;
		if (per_rank[r].len)
			wire_put(&out, per_rank[r].buf, per_rank[r].len);
		wire_release(&per_rank[r]);
	}
	MPI_Ialltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, m->coll, &req);
	err = mpi_wait(m, &req);
	if (err)
		goto out;
	for (int r = 0; r < m->size; r++) {
		recv_displs[r] = (int)total;
		total += (size_t)recv_counts[r];
	}
	in.buf = xmalloc(total ? total : 1);
	in.alloc = in.len = total;
	MPI_Ialltoallv(out.buf ? out.buf : "", send_counts, send_displs, MPI_BYTE, in.buf,
		       recv_counts, recv_displs, MPI_BYTE, m->coll, &req);
	err = mpi_wait(m, &req);
	if (err)
		goto out;
	v = parse_entries(&in, &n);
	qsort(v, n, sizeof(*v), by_inode_then_path);
	/* The home rank's hard-link map does the rest: the first name of an
	 * inode is copied, the others are linked to it once it is in place. */
	m->wk.totals_counted = false;
	for (size_t i = 0; i < n && !stop_requested(); i++) {
		struct dir_node *dir = cached_dir(m, &cache, v[i].root, v[i].rel);

		if (dir)
			walk_submit_entry(&m->wk, dir, v[i].name, v[i].name, &v[i].st, false);
	}
out:
	cache_release(m, &cache);
	free(v);
	wire_release(&in);
	wire_release(&out);
	wire_release(&m->links);
	free(per_rank);
	free(send_counts);
	free(recv_counts);
	free(send_displs);
	free(recv_displs);
	return err;
}

/* Gather every rank's large files on every rank, in rank order. */
static int gather_large(struct mpi_ctx *m, struct wire *all)
{
	int *counts = xcalloc((size_t)m->size, sizeof(int));
	int *displs = xcalloc((size_t)m->size, sizeof(int));
	int mine = (int)m->large.len, err;
	MPI_Request req;
	size_t total = 0;

	MPI_Iallgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, m->coll, &req);
	err = mpi_wait(m, &req);
	if (!err) {
		for (int r = 0; r < m->size; r++) {
			displs[r] = (int)total;
			total += (size_t)counts[r];
		}
		all->buf = xmalloc(total ? total : 1);
		all->alloc = all->len = total;
		MPI_Iallgatherv(m->large.buf ? m->large.buf : "", mine, MPI_BYTE, all->buf, counts,
				displs, MPI_BYTE, m->coll, &req);
		err = mpi_wait(m, &req);
	}
	free(counts);
	free(displs);
	return err;
}

/* What this rank does for one large file. */
struct part {
	int first_rank, last_rank; /* the ranks that write it */
	uint64_t offset, length;   /* this rank's bytes of it (length 0: none) */
};

/* Where chunk @c falls: the rank r with start(r) <= c < start(r + 1). */
static uint64_t run_start(uint64_t r, uint64_t chunks, int size)
{
	return (uint64_t)(((unsigned __int128)r * chunks) / (unsigned)size);
}

static int rank_of_chunk(uint64_t c, uint64_t chunks, int size)
{
	int r = (int)(((unsigned __int128)c * (unsigned)size) / chunks);

	while (r + 1 < size && run_start((uint64_t)r + 1, chunks, size) <= c)
		r++;
	while (r > 0 && run_start((uint64_t)r, chunks, size) > c)
		r--;
	return r;
}

/* Per-file bookkeeping of a file split between ranks, on this rank. */
struct shared_file {
	size_t index;	 /* in the entry list */
	struct job *job; /* its JOB_FILE here (holds the directory) */
	struct file_task *task;
	int src_fd, dst_fd;
	char *tmp_name; /* owner: the temporary, to publish or remove */
	int temp_slot;	/* owner: its index in mpi_ctx.temps */
	mode_t mode;	/* owner: the mode it is to have */
};

static atomic_uint shared_pending; /* local parts of split files still being written */

static void on_shared_done(struct file_task *task)
{
	(void)task;
	atomic_fetch_sub(&shared_pending, 1);
}

static int register_temp(struct mpi_ctx *m, int dirfd, const char *name)
{
	int slot;

	pthread_mutex_lock(&m->temps_lock);
	if (m->nr_temps == m->alloc_temps) {
		m->alloc_temps = m->alloc_temps ? m->alloc_temps * 2 : 16;
		m->temps = xrealloc(m->temps, m->alloc_temps * sizeof(*m->temps));
	}
	slot = (int)m->nr_temps++;
	m->temps[slot].dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	m->temps[slot].name = xstrdup(name);
	pthread_mutex_unlock(&m->temps_lock);
	return slot;
}

static void forget_temp(struct mpi_ctx *m, int slot)
{
	pthread_mutex_lock(&m->temps_lock);
	close_quietly(m->temps[slot].dirfd);
	m->temps[slot].dirfd = -1;
	free(m->temps[slot].name);
	m->temps[slot].name = NULL;
	pthread_mutex_unlock(&m->temps_lock);
}

void mpi_remove_temps(struct mpi_ctx *m)
{
	pthread_mutex_lock(&m->temps_lock);
	for (size_t i = 0; i < m->nr_temps; i++) {
		if (m->temps[i].name)
			unlinkat(m->temps[i].dirfd, m->temps[i].name, 0);
		close_quietly(m->temps[i].dirfd);
		free(m->temps[i].name);
	}
	free(m->temps);
	m->temps = NULL;
	m->nr_temps = m->alloc_temps = 0;
	pthread_mutex_unlock(&m->temps_lock);
}

/* Owner: create and size the temporary every writer opens by name. */
static int create_shared(struct mpi_ctx *m, struct shared_file *f, const struct entry *e,
			 struct dir_node *dir)
{
	char name[NAME_MAX + 1];

	snprintf(name, sizeof(name), ".pcopy.%.200s.%s", e->name, m->run_id);
	f->tmp_name = xstrdup(name);
	/* The mode a single-node copy creates, writable for the other ranks
	 * and closed to group and others until the owner publishes it. */
	f->mode = meta_create_mode(m->opts, &e->st);
	f->dst_fd =
		openat(dir->dst_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       (f->mode & S_IRWXU) | S_IRUSR | S_IWUSR);
	if (f->dst_fd < 0)
		return neg_errno();
	f->temp_slot = register_temp(m, dir->dst_dirfd, name);
	if (ftruncate(f->dst_fd, e->st.st_size) < 0)
		return neg_errno();
	return 0;
}

/* Queue this rank's part of split file @f as chunk jobs. */
static void write_part(struct mpi_ctx *m, struct shared_file *f, const struct part *p)
{
	uint64_t chunk = m->opts->chunk_size, end = p->offset + p->length;
	struct file_task *task = xcalloc(1, sizeof(*task));
	struct job *file = f->job;

	task->file_job = file;
	task->src_fd = f->src_fd;
	task->dst_fd = f->dst_fd;
	task->on_parts_done = on_shared_done;
	file_task_init_chunks(task, p->length, chunk);
	f->task = task;
	atomic_fetch_add(&shared_pending, 1);
	for (uint64_t off = p->offset; off < end; off += chunk) {
		struct job *c = job_new(JOB_CHUNK, file->dir, file->name, file->dst_name, NULL);

		c->task = task;
		c->offset = off;
		c->length = end - off < chunk ? end - off : chunk;
		c->id = ++m->wk.next_id;
		m->wk.backend->ops->submit(m->wk.backend, c);
	}
}

/* Open the source and (non-owners) the owner's temporary. */
static int open_part(struct mpi_ctx *m, struct shared_file *f, const struct entry *e, bool owner,
		     struct dir_cache *cache)
{
	struct dir_node *dir = cached_dir(m, cache, e->root, e->rel);
	int err = 0;

	f->src_fd = f->dst_fd = -1;
	f->temp_slot = -1;
	if (!dir)
		return -PCOPY_EVANISHED;
	f->job = job_new(JOB_FILE, dir, e->name, e->name, &e->st);
	/* The owner reports it: what differs, before its temporary exists. */
	if (owner && m->opts->itemize)
		f->job->itemize =
			itemize_entry(m->opts, dir->dst_dirfd, e->name, &e->st, dir->dst_fresh);
	if (owner) {
		err = create_shared(m, f, e, dir);
		if (err)
			f->job->err_dst = true;
	} else {
		char name[NAME_MAX + 1];

		snprintf(name, sizeof(name), ".pcopy.%.200s.%s", e->name, m->run_id);
		f->dst_fd = openat(dir->dst_dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (f->dst_fd < 0)
			err = neg_errno();
	}
	if (!err) {
		f->src_fd = job_open_source(f->job);
		if (f->src_fd < 0)
			err = f->src_fd;
	}
	return err;
}

/*
 * The large files of the whole job, while they are copied: who writes
 * which part, and the per-file results that the ranks agree on.
 */
struct large_run {
	struct wire all; /* the gathered entries' bytes; owned */
	struct entry *v; /* the large files of every rank; owned */
	size_t n;
	struct part *parts;	   /* n of them: this rank's share of each; owned */
	struct shared_file *files; /* the files split over several ranks; owned */
	size_t nr_shared;
	/*
	 * Per shared file, this rank's value and the value reduced over all
	 * ranks (MPI_Allreduce takes arrays): the create error (min), the
	 * write error (min), whether the source shrank (max). Each holds
	 * NR_LARGE_RESULTS slices of nr_shared ints; owned.
	 */
	int *local, *global;
	struct dir_cache cache;
};

enum large_result { LR_CREATE, LR_WRITE, LR_SHRUNK, NR_LARGE_RESULTS };

static int *lr_local(struct large_run *lr, enum large_result r)
{
	return lr->local + (size_t)r * lr->nr_shared;
}

static int *lr_global(struct large_run *lr, enum large_result r)
{
	return lr->global + (size_t)r * lr->nr_shared;
}

static int lr_reduce(struct mpi_ctx *m, struct large_run *lr, enum large_result r, MPI_Op op)
{
	return mpi_allreduce(m, lr_local(lr, r), lr_global(lr, r), (int)lr->nr_shared, MPI_INT, op);
}

/* Split files: one global run of chunks, cut into one run per rank. */
static void plan_split(struct mpi_ctx *m, struct large_run *lr, uint64_t *load)
{
	uint64_t chunk = m->opts->chunk_size, chunks = 0;

	for (size_t i = 0; i < lr->n; i++)
		if (m->roots[lr->v[i].root].multi_writer)
			chunks += ((uint64_t)lr->v[i].st.st_size + chunk - 1) / chunk;
	for (size_t i = 0, at = 0; i < lr->n; i++) {
		uint64_t size = (uint64_t)lr->v[i].st.st_size;
		uint64_t nc = (size + chunk - 1) / chunk;
		struct part *p = &lr->parts[i];

		p->first_rank = p->last_rank = -1;
		if (!m->roots[lr->v[i].root].multi_writer)
			continue;
		p->first_rank = rank_of_chunk(at, chunks, m->size);
		p->last_rank = rank_of_chunk(at + nc - 1, chunks, m->size);
		if (m->rank >= p->first_rank && m->rank <= p->last_rank) {
			uint64_t from = run_start((uint64_t)m->rank, chunks, m->size);
			uint64_t to = run_start((uint64_t)m->rank + 1, chunks, m->size);

			from = from > at ? from - at : 0;
			to = to - at < nc ? to - at : nc;
			p->offset = from * chunk;
			/* A rank of the range may have no chunk (more ranks than chunks). */
			p->length = to <= from
					    ? 0
					    : (to * chunk < size ? to * chunk : size) - p->offset;
		}
		load[p->first_rank] += size;
		at += nc;
	}
}

/* Larger first; equal sizes by index, so that every rank makes the same plan. */
static int by_size_desc(const void *a, const void *b, void *entries)
{
	const struct entry *v = entries;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	off_t x = v[i].st.st_size, y = v[j].st.st_size;

	if (x != y)
		return x < y ? 1 : -1;
	return i < j ? -1 : i > j;
}

/* Whole files: the largest first, each to the least loaded rank. */
static void plan_whole(struct mpi_ctx *m, struct large_run *lr, uint64_t *load)
{
	size_t *order = xcalloc(lr->n, sizeof(*order)), nr = 0;

	for (size_t i = 0; i < lr->n; i++)
		if (lr->parts[i].first_rank < 0)
			order[nr++] = i;
	qsort_r(order, nr, sizeof(*order), by_size_desc, lr->v);
	for (size_t j = 0; j < nr; j++) {
		struct part *p = &lr->parts[order[j]];
		int r = 0;

		for (int k = 1; k < m->size; k++)
			if (load[k] < load[r])
				r = k;
		p->first_rank = p->last_rank = r;
		p->offset = 0;
		p->length = (uint64_t)lr->v[order[j]].st.st_size;
		load[r] += p->length;
	}
	free(order);
}

/* Files of one rank: copied as in a single-node run. Counts the others. */
static void submit_whole(struct mpi_ctx *m, struct large_run *lr)
{
	m->wk.totals_counted = true;
	for (size_t i = 0; i < lr->n && !stop_requested(); i++) {
		const struct entry *e = &lr->v[i];
		struct dir_node *dir;

		if (lr->parts[i].first_rank != lr->parts[i].last_rank) {
			lr->nr_shared++;
			continue;
		}
		if (lr->parts[i].first_rank != m->rank)
			continue;
		dir = cached_dir(m, &lr->cache, e->root, e->rel);
		if (dir)
			walk_submit_entry(&m->wk, dir, e->name, e->name, &e->st, false);
	}
	m->wk.totals_counted = false;
}

/* Split files, step 1: the owners create the temporaries. */
static int shared_create(struct mpi_ctx *m, struct large_run *lr)
{
	lr->files = xcalloc(lr->nr_shared, sizeof(*lr->files));
	lr->local = xcalloc(NR_LARGE_RESULTS * lr->nr_shared, sizeof(int));
	lr->global = xcalloc(NR_LARGE_RESULTS * lr->nr_shared, sizeof(int));
	for (size_t i = 0, k = 0; i < lr->n; i++) {
		struct shared_file *f = &lr->files[k];

		if (lr->parts[i].first_rank == lr->parts[i].last_rank)
			continue;
		f->index = i;
		f->src_fd = f->dst_fd = f->temp_slot = -1;
		if (lr->parts[i].first_rank == m->rank)
			lr_local(lr, LR_CREATE)[k] = open_part(m, f, &lr->v[i], true, &lr->cache);
		k++;
	}
	return lr_reduce(m, lr, LR_CREATE, MPI_MIN);
}

/* Step 2: every writer opens the temporary and writes its part. */
static int shared_write(struct mpi_ctx *m, struct large_run *lr)
{
	int *write_err = lr_local(lr, LR_WRITE), *shrunk = lr_local(lr, LR_SHRUNK);
	unsigned idle = 0;
	int err;

	for (size_t k = 0; k < lr->nr_shared; k++) {
		struct shared_file *f = &lr->files[k];
		const struct part *p = &lr->parts[f->index];

		if (lr_global(lr, LR_CREATE)[k] || !p->length)
			continue;
		if (p->first_rank != m->rank)
			write_err[k] = open_part(m, f, &lr->v[f->index], false, &lr->cache);
		if (!write_err[k])
			write_part(m, f, p);
	}
	while (atomic_load(&shared_pending) && !stop_requested()) {
		mpi_service(m);
		usleep(idle < 100 ? (idle++, 100) : 1000);
	}
	if (stop_requested())
		return -EINTR;
	for (size_t k = 0; k < lr->nr_shared; k++) {
		struct file_task *t = lr->files[k].task;

		if (!t)
			continue;
		if (t->final_err)
			write_err[k] = t->final_err;
		shrunk[k] = atomic_load(&t->shrunk);
		free(t);
		lr->files[k].task = NULL;
	}
	err = lr_reduce(m, lr, LR_WRITE, MPI_MIN);
	return err ? err : lr_reduce(m, lr, LR_SHRUNK, MPI_MAX);
}

/* Step 3 for one file, in its owner: publish (or remove) and report. */
static void shared_publish(struct mpi_ctx *m, struct large_run *lr, size_t k)
{
	struct shared_file *f = &lr->files[k];
	const struct entry *e = &lr->v[f->index];
	int result = lr_global(lr, LR_CREATE)[k];

	if (!result)
		result = lr_global(lr, LR_WRITE)[k];
	if (f->src_fd < 0 && !result)
		result = -PCOPY_EVANISHED;
	if (f->src_fd < 0 || f->dst_fd < 0) {
		/* Created nothing or opened nothing: nothing to publish. */
		if (f->dst_fd >= 0)
			unlinkat(f->job->dir->dst_dirfd, f->tmp_name, 0);
		close_quietly(f->src_fd);
		close_quietly(f->dst_fd);
		free(f->tmp_name);
		f->tmp_name = NULL;
	} else {
		/* The mode comes after the owner (job_file_prepare). */
		f->job->dst_masked = ((f->mode & S_IRWXU) | S_IRUSR | S_IWUSR) != f->mode;
		result = job_finish_file(&m->wk.w, f->job, f->src_fd, f->dst_fd, &f->tmp_name,
					 e->flags != 0, result, lr_global(lr, LR_SHRUNK)[k] != 0);
	}
	if (f->temp_slot >= 0)
		forget_temp(m, f->temp_slot);
	engine_job_done(m->engine, f->job, result);
	f->job = NULL;
}

/* Step 3: the owners publish and report; the other writers let go. */
static void shared_finish(struct mpi_ctx *m, struct large_run *lr)
{
	for (size_t k = 0; k < lr->nr_shared; k++) {
		struct shared_file *f = &lr->files[k];

		if (!f->job)
			continue;
		if (lr->parts[f->index].first_rank == m->rank) {
			shared_publish(m, lr, k);
			continue;
		}
		close_quietly(f->src_fd);
		close_quietly(f->dst_fd);
		engine_dir_release(m->engine, f->job->dir);
		job_free(f->job);
		f->job = NULL;
	}
}

static void large_run_release(struct mpi_ctx *m, struct large_run *lr, int err)
{
	if (lr->files && err) {
		/* Stopped: the temporaries go in mpi_remove_temps(). */
		for (size_t k = 0; k < lr->nr_shared; k++) {
			if (lr->files[k].task && !atomic_load(&lr->files[k].task->chunks_left))
				free(lr->files[k].task);
			free(lr->files[k].tmp_name);
		}
	}
	cache_release(m, &lr->cache);
	free(lr->files);
	free(lr->local);
	free(lr->global);
	free(lr->parts);
	free(lr->v);
	wire_release(&lr->all);
}

int mpi_copy_large(struct mpi_ctx *m)
{
	struct large_run lr = { 0 };
	int err;

	err = gather_large(m, &lr.all);
	wire_release(&m->large);
	if (!err)
		lr.v = parse_entries(&lr.all, &lr.n);
	if (!err && lr.n) {
		uint64_t *load = xcalloc((size_t)m->size, sizeof(*load));

		lr.parts = xcalloc(lr.n, sizeof(*lr.parts));
		plan_split(m, &lr, load);
		plan_whole(m, &lr, load);
		free(load);
		submit_whole(m, &lr);
		if (lr.nr_shared) {
			err = shared_create(m, &lr);
			if (!err)
				err = shared_write(m, &lr);
			if (!err)
				shared_finish(m, &lr);
		}
	}
	large_run_release(m, &lr, err);
	return err;
}

static int deepest_first(const void *a, const void *b)
{
	const struct mpi_dir *x = a, *y = b;

	return x->depth != y->depth ? (x->depth > y->depth ? -1 : 1) : 0;
}

/*
 * --delete in one directory this rank listed, before its metadata (which
 * the removals would change). Every rank's data is in, so no job writes
 * in it; the names it removes are not in the source, so no other rank
 * listed them, and a subdirectory another rank owns is never touched.
 */
static void delete_in_dir(struct mpi_ctx *m, const struct mpi_dir *d)
{
	struct dir_node *dir;

	if (!m->opts->delete_extraneous || m->delete_off || d->fresh)
		return;
	dir = mpi_open_dir(m, d->root, d->rel);
	if (!dir)
		return;
	engine_delete_extraneous(m->engine, dir);
	/* Not meta_pending: the release only closes it. */
	engine_dir_release(m->engine, dir);
}

int mpi_apply_dir_meta(struct mpi_ctx *m)
{
	struct xattr_scratch x = { 0 };

	qsort(m->dirs, m->nr_dirs, sizeof(*m->dirs), deepest_first);
	for (size_t i = 0; i < m->nr_dirs && !stop_requested(); i++) {
		const struct mpi_dir *d = &m->dirs[i];
		struct dir_node *top;
		int src_fd, dst_fd, err;

		if (d->root >= m->nr_roots || !m->roots[d->root].top)
			continue;
		delete_in_dir(m, d);
		top = m->roots[d->root].top;
		src_fd = mpi_open_beneath(top->src_dirfd, d->rel);
		dst_fd = mpi_open_beneath(top->dst_dirfd, d->rel);
		if (src_fd < 0 || dst_fd < 0)
			err = dst_fd < 0 ? dst_fd : src_fd;
		else
			err = meta_apply_fd(m->opts, &x, dst_fd, src_fd, &d->st, d->new_uid,
					    d->new_gid, d->fresh);
		if (!err && m->opts->fsync && fsync(dst_fd) < 0)
			err = neg_errno();
		if (err || (m->opts->itemize && !d->fresh)) {
			char *path = *d->rel ? dir_dst_path(top, d->rel)
					     : dir_dst_path(top->parent, top->dst_name);

			if (err)
				report_error(m->progress, path, err);
			else
				itemize_dir_path(m->progress, path, d->itemize);
			free(path);
		}
		close_quietly(src_fd);
		close_quietly(dst_fd);
		progress_count(m->progress, PC_DIRS, 1);
	}
	xattr_scratch_release(&x);
	for (size_t i = 0; i < m->nr_dirs; i++)
		free(m->dirs[i].rel);
	free(m->dirs);
	m->dirs = NULL;
	m->nr_dirs = m->alloc_dirs = 0;
	return stop_requested() ? -EINTR : 0;
}
