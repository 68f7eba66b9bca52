// SPDX-License-Identifier: MIT
/*
 * The distributed walk. Directories are the work items: a root (a source
 * operand's top directory) and a path below it. Rank 0 keeps the items in
 * a stack and hands them out in batches to ranks that ask (a pull queue);
 * it lists directories itself in between. The rank that lists a directory
 * creates its destination subdirectories before it passes them on, and
 * copies the small files, symlinks and specials in it at once through its
 * own thread engine. Hard-linked files and files above --chunk-size are
 * kept for after the walk (mpi_plan.c).
 *
 * Termination: a rank sends the items it found before it asks for more
 * (MPI keeps one sender's order), so when every other rank is waiting,
 * rank 0's stack is empty and it lists nothing, no directory is left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine/backup_dir.h"
#include "engine/itemize.h"
#include "engine/linkdest.h"
#include "engine/mpi/mpi_internal.h"
#include "pcopy/copy.h"
#include "pcopy/engine.h"
#include "pcopy/job.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"

/* Items per TAG_WORK message, at most. */
#define MAX_BATCH 16

/* Paths longer than this are opened in several steps (PATH_MAX is 4096). */
#define OPEN_STEP 3072

char *mpi_rel_of(const struct dir_node *dir)
{
	/* Tops hang from a pseudo-directory; other nodes carry their whole
	 * path below the top (mpi_open_dir names them so). */
	return xstrdup(dir->parent && dir->parent->is_root ? "" : dir->src_name);
}

/*
 * Open directory @rel below @dirfd, never leaving it and never through a
 * symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, a step at a time
 * for paths longer than PATH_MAX). Returns a descriptor or -errno.
 */
int mpi_open_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = dirfd;

	while (*rel) {
		size_t len = strlen(rel);
		char *step;
		int next;

		if (len > OPEN_STEP) {
			/* Cut at the last '/' within the step. */
			len = OPEN_STEP;
			while (len > 0 && rel[len] != '/')
				len--;
			if (len == 0) {
				if (fd != dirfd)
					close(fd);
				return -ENAMETOOLONG;
			}
		}
		step = xmalloc(len + 1);
		memcpy(step, rel, len);
		step[len] = '\0';
		next = (int)syscall(SYS_openat2, fd, step, &how, sizeof(how));
		if (next < 0 && errno == ENOSYS) {
			/* Before Linux 5.6: our paths come from getdents (no ".."),
			 * so O_NOFOLLOW per component keeps us beneath. */
			char *save, *part;

			next = dup(fd);
			for (part = strtok_r(step, "/", &save); part && next >= 0;
			     part = strtok_r(NULL, "/", &save)) {
				int sub = openat(next, part, (int)how.flags);

				close(next);
				next = sub;
			}
		}
		free(step);
		if (next < 0) {
			int err = neg_errno();

			if (fd != dirfd)
				close(fd);
			return err == -ELOOP || err == -EXDEV ? -PCOPY_EVANISHED : err;
		}
		if (fd != dirfd)
			close(fd);
		fd = next;
		rel += len;
		while (*rel == '/')
			rel++;
	}
	return fd == dirfd ? fcntl(dirfd, F_DUPFD_CLOEXEC, 0) : fd;
}

/* Open root @idx on this rank (rank 0 made it; the others open it by path). */
static bool open_root(struct mpi_ctx *m, uint32_t idx)
{
	struct mpi_root *r = &m->roots[idx];
	struct dir_node *parent, *top;
	int src_fd = -1, parent_fd = -1, dst_fd = -1, err = 0;
	struct stat st, dst;

	if (r->top)
		return true;
	if (r->failed)
		return false;
	src_fd = open(r->src_path,
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | (r->follow ? 0 : O_NOFOLLOW));
	if (src_fd < 0 || fstat(src_fd, &st) < 0)
		err = neg_errno();
	else if (st.st_ino != r->src_ino)
		err = -PCOPY_EVANISHED; /* replaced since rank 0 saw it */
	if (!err) {
		parent_fd = open(r->dst_parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent_fd >= 0)
			dst_fd = openat(parent_fd, r->dst_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dst_fd < 0 || fstat(dst_fd, &dst) < 0)
			err = neg_errno();
		else if (dst.st_ino != r->dst_ino)
			err = -PCOPY_EVANISHED;
	}
	if (err) {
		report_error(m->progress, r->src_path, err);
		close_quietly(src_fd);
		close_quietly(parent_fd);
		close_quietly(dst_fd);
		r->failed = true;
		return false;
	}
	parent = walk_dir_new(&m->wk, NULL);
	parent->is_root = true;
	parent->src_dirfd = AT_FDCWD;
	parent->dst_dirfd = parent_fd;
	parent->dst_name = r->parent_named ? xstrdup(r->dst_parent) : NULL;
	walk_note_dst_dir(&m->wk, parent);
	top = walk_dir_new(&m->wk, parent);
	top->src_dirfd = src_fd;
	top->dst_dirfd = dst_fd;
	top->src_name = xstrdup(r->src_path);
	top->dst_name = xstrdup(r->dst_name);
	top->st = st;
	top->dst_fresh = r->fresh;
	top->followed = r->follow;
	top->root_index = idx;
	walk_note_dst_dir(&m->wk, top);
	/* The top holds the pseudo-directory now. */
	engine_dir_release(m->engine, parent);
	r->top = top;
	return true;
}

struct dir_node *mpi_open_dir(struct mpi_ctx *m, uint32_t root, const char *rel)
{
	struct dir_node *top, *dir;
	int src_fd, dst_fd;
	struct stat st;

	if (root >= m->nr_roots || !open_root(m, root))
		return NULL;
	top = m->roots[root].top;
	if (!*rel) {
		atomic_fetch_add(&top->refs, 1);
		return top;
	}
	src_fd = mpi_open_beneath(top->src_dirfd, rel);
	if (src_fd < 0 || fstat(src_fd, &st) < 0) {
		walk_report(&m->wk, top, rel, src_fd < 0 ? src_fd : neg_errno());
		close_quietly(src_fd);
		return NULL;
	}
	dst_fd = mpi_open_beneath(top->dst_dirfd, rel);
	if (dst_fd < 0) {
		char *path = dir_dst_path(top, rel);

		report_error(m->progress, path,
			     dst_fd == -PCOPY_EVANISHED ? -PCOPY_EOVERWRITE_NONDIR : dst_fd);
		free(path);
		close(src_fd);
		return NULL;
	}
	dir = walk_dir_new(&m->wk, top);
	dir->src_dirfd = src_fd;
	dir->dst_dirfd = dst_fd;
	dir->src_name = xstrdup(rel);
	dir->dst_name = xstrdup(rel);
	dir->st = st;
	walk_note_dst_dir(&m->wk, dir);
	return dir;
}

void mpi_close_roots(struct mpi_ctx *m)
{
	for (uint32_t i = 0; i < m->nr_roots; i++) {
		struct mpi_root *r = &m->roots[i];

		if (r->top)
			engine_dir_release(m->engine, r->top);
		free(r->src_path);
		free(r->dst_parent);
		free(r->dst_name);
	}
	free(m->roots);
	m->roots = NULL;
	m->nr_roots = 0;
}

void mpi_keep_dir(void *ctx, struct dir_node *dir)
{
	struct mpi_ctx *m = ctx;
	char *rel = mpi_rel_of(dir);
	uint32_t depth = *rel != '\0';

	for (const char *c = rel; *c; c++)
		depth += *c == '/';
	pthread_mutex_lock(&m->dirs_lock);
	if (m->nr_dirs == m->alloc_dirs) {
		m->alloc_dirs = m->alloc_dirs ? m->alloc_dirs * 2 : 64;
		m->dirs = xrealloc(m->dirs, m->alloc_dirs * sizeof(*m->dirs));
	}
	m->dirs[m->nr_dirs++] = (struct mpi_dir){
		.root = dir->root_index,
		.depth = depth,
		.fresh = dir->dst_fresh,
		.itemize = dir->itemize,
		.new_uid = dir->new_file_uid,
		.new_gid = dir->new_file_gid,
		.st = dir->st,
		.rel = rel,
	};
	pthread_mutex_unlock(&m->dirs_lock);
}

static struct mpi_item *item_new(uint32_t root, uint32_t flags, const char *rel)
{
	size_t len = strlen(rel) + 1;
	struct mpi_item *it = xmalloc(sizeof(*it) + len);

	it->root = root;
	it->flags = flags;
	memcpy(it->rel, rel, len);
	return it;
}

static void push_item(struct mpi_ctx *m, struct mpi_item *it)
{
	if (m->nr_stack == m->alloc_stack) {
		m->alloc_stack = m->alloc_stack ? m->alloc_stack * 2 : 256;
		m->stack = xrealloc(m->stack, m->alloc_stack * sizeof(*m->stack));
	}
	m->stack[m->nr_stack++] = it;
}

static void put_item(struct wire *w, uint32_t root, uint32_t flags, const char *rel)
{
	wire_put_u32(w, root);
	wire_put_u32(w, flags);
	wire_put_str(w, rel);
}

/* A directory was found: rank 0 stacks it, the others send it to rank 0. */
static void found_dir(struct mpi_ctx *m, uint32_t root, uint32_t flags, const char *rel)
{
	if (m->rank == 0)
		push_item(m, item_new(root, flags, rel));
	else
		put_item(&m->outbox, root, flags, rel);
}

/* walk_hooks.top (rank 0, operands): register the root, stack its top. */
static void on_top(struct walker *wk, struct dir_node *top)
{
	struct mpi_ctx *m = wk->hook_ctx;
	const char *parent = top->parent->dst_name;
	struct mpi_root *r;

	m->roots = xrealloc(m->roots, (m->nr_roots + 1) * sizeof(*m->roots));
	r = &m->roots[m->nr_roots];
	*r = (struct mpi_root){
		.src_path = xstrdup(top->src_name),
		.dst_parent = xstrdup(parent ? parent : "."),
		.dst_name = xstrdup(top->dst_name),
		.src_ino = top->st.st_ino,
		.dst_ino = top->dst_ino,
		.dev = top->st.st_dev,
		.follow = top->followed,
		.fresh = top->dst_fresh,
		.parent_named = parent != NULL,
		.top = top, /* the walker's reference, kept until the end */
	};
	top->root_index = m->nr_roots;
	/* Rank 0 made it: its metadata is applied with the others, last. */
	top->meta_pending = false;
	mpi_keep_dir(m, top);
	found_dir(m, m->nr_roots, top->dst_fresh ? ITEM_FRESH : 0, "");
	m->nr_roots++;
}

/* walk_hooks.subdir: create the destination, pass the directory on. */
static void on_subdir(struct walker *wk, struct dir_node *dir, const char *name,
		      const struct stat *st)
{
	struct mpi_ctx *m = wk->hook_ctx;
	uint32_t flags = 0;
	struct stat dst;
	char *rel, *dir_rel;

	if (mkdirat(dir->dst_dirfd, name, 0700) == 0) {
		flags |= ITEM_FRESH;
	} else if (errno != EEXIST ||
		   fstatat(dir->dst_dirfd, name, &dst, AT_SYMLINK_NOFOLLOW) < 0 ||
		   !S_ISDIR(dst.st_mode)) {
		/* A file or a symlink in the way: never write through it. */
		char *path = dir_dst_path(dir, name);

		report_error(m->progress, path,
			     errno == EEXIST ? -PCOPY_EOVERWRITE_NONDIR : neg_errno());
		free(path);
		return;
	}
	/* --backup-dir inside the destination: never copied into (walk.c). */
	if (!(flags & ITEM_FRESH) &&
	    backup_dir_is(engine_backup_dir(m->engine), dir->dst_dirfd, name)) {
		walk_report_backup_dir(wk, dir, name);
		return;
	}
	if (m->opts->itemize) {
		/* As walk_make_dir(): a new one now, a changed one when done. */
		uint16_t bits =
			itemize_entry(m->opts, dir->dst_dirfd, name, st, flags & ITEM_FRESH);

		if (flags & ITEM_FRESH) {
			char *dst_path = dir_dst_path(dir, name);

			itemize_dir_path(m->progress, dst_path, bits);
			free(dst_path);
		} else {
			flags |= (uint32_t)bits << ITEM_ITEMIZE_SHIFT;
		}
	} else if ((flags & ITEM_FRESH) && m->opts->verbose) {
		char *src = dir_src_path(dir, name), *dst_path = dir_dst_path(dir, name);

		progress_verbose(m->progress, src, dst_path);
		free(src);
		free(dst_path);
	}
	/* -x: the mount point is copied, empty, as cp -x does. */
	if (m->opts->one_file_system && st->st_dev != wk->root_dev)
		flags |= ITEM_EMPTY;
	dir_rel = mpi_rel_of(dir);
	rel = path_join(dir_rel, name);
	found_dir(m, dir->root_index, flags, rel);
	free(rel);
	free(dir_rel);
}

/* Keep an entry for after the walk: root, flags, status, dir path, name. */
static void keep_entry(struct wire *w, const struct dir_node *dir, const char *name,
		       const struct stat *st, uint32_t flags)
{
	char *rel = mpi_rel_of(dir);

	wire_put_u32(w, dir->root_index);
	wire_put_u32(w, flags);
	wire_put(w, st, sizeof(*st));
	wire_put_str(w, rel);
	wire_put_str(w, name);
	free(rel);
}

/* walk_hooks.divert: hard-linked and large files wait for the walk's end. */
static bool on_divert(struct walker *wk, struct dir_node *dir, const char *name,
		      const struct stat *st)
{
	struct mpi_ctx *m = wk->hook_ctx;
	bool may_exist = false, in_place;
	struct job *job;
	int err;

	/* Operands named on the command line are copied by rank 0 at once. */
	if (dir->is_root)
		return false;
	if (wk->links && st->st_nlink >= 2) {
		keep_entry(&m->links, dir, name, st, 0);
		return true;
	}
	if (!S_ISREG(st->st_mode) || (uint64_t)st->st_size <= m->opts->chunk_size)
		return false;
	job = job_new(JOB_FILE, dir, name, name, st);
	/* --link-dest: unchanged in a DIR, linked from there (as submit_file). */
	if (linkdest_try(engine_linkdest(m->engine), job)) {
		engine_job_done(m->engine, job, 0);
		return true;
	}
	/* Decide -u / -n now, where the directory is open. */
	err = job_precheck(&wk->w, job, &may_exist);
	if (err) {
		job->err_dst = err < 0;
		engine_job_done(m->engine, job, err > 0 ? 0 : err);
		return true;
	}
	in_place = job->dst_in_place;
	job_free(job);
	engine_dir_release(m->engine, dir); /* the job's reference */
	/* A FIFO or device is written into in order, by one rank. */
	if (in_place)
		return false;
	progress_add_total(m->progress, PT_FILES, 1);
	progress_add_total(m->progress, PT_BYTES, (uint64_t)st->st_size);
	keep_entry(&m->large, dir, name, st, may_exist);
	return true;
}

/* Rank 0: take in found directories and requests for work. */
static void serve_work(struct mpi_ctx *m)
{
	struct wire w = { 0 };
	MPI_Status st;
	int flag;

	for (;;) {
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, m->work, &flag, &st);
		if (!flag)
			break;
		wire_recv(&w, &st, m->work);
		if (st.MPI_TAG == TAG_REQUEST) {
			if (!m->waiting[st.MPI_SOURCE]) {
				m->waiting[st.MPI_SOURCE] = true;
				m->nr_waiting++;
			}
			continue;
		}
		while (w.pos < w.len) {
			uint32_t root = wire_get_u32(&w), flags = wire_get_u32(&w);
			const char *rel = wire_get_str(&w);

			if (w.bad)
				BUG("bad work item from rank %d", st.MPI_SOURCE);
			push_item(m, item_new(root, flags, rel));
		}
	}
	wire_release(&w);
}

/* Rank 0: hand stacked directories to the ranks that wait for work. */
static void dispatch(struct mpi_ctx *m)
{
	struct wire w = { 0 };

	for (int r = 1; r < m->size && m->nr_waiting && m->nr_stack; r++) {
		size_t n;

		if (!m->waiting[r])
			continue;
		/* Share what there is between the waiting ranks and rank 0. */
		n = m->nr_stack / (size_t)(m->nr_waiting + 1);
		n = n < 1 ? 1 : n > MAX_BATCH ? MAX_BATCH : n;
		wire_reset(&w);
		while (n-- && m->nr_stack) {
			struct mpi_item *it = m->stack[--m->nr_stack];

			put_item(&w, it->root, it->flags, it->rel);
			free(it);
		}
		MPI_Send(w.buf, (int)w.len, MPI_BYTE, r, TAG_WORK, m->work);
		m->waiting[r] = false;
		m->nr_waiting--;
	}
	wire_release(&w);
}

/* Ranks > 0: send the directories found so far to rank 0. */
static void flush_outbox(struct mpi_ctx *m)
{
	if (!m->outbox.len)
		return;
	MPI_Send(m->outbox.buf, (int)m->outbox.len, MPI_BYTE, 0, TAG_ITEMS, m->work);
	wire_reset(&m->outbox);
}

/* walk_hooks.poll: keep the queue moving while a big directory is listed. */
static void on_poll(struct walker *wk)
{
	struct mpi_ctx *m = wk->hook_ctx;

	if (m->rank == 0) {
		serve_work(m);
		dispatch(m);
	} else {
		flush_outbox(m);
	}
	mpi_service(m);
}

const struct walk_hooks mpi_walk_hooks = {
	.top = on_top,
	.subdir = on_subdir,
	.divert = on_divert,
	.poll = on_poll,
};

/* Is @name a temporary of a split file (".pcopy.NAME.<12 hex digits>")? */
static bool is_split_temp(const char *name)
{
	size_t len = strlen(name);

	if (len < 7 + 1 + 13 || strncmp(name, ".pcopy.", 7) || name[len - 13] != '.')
		return false;
	for (size_t i = len - 12; i < len; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/*
 * A rank killed by SIGKILL leaves the temporaries of the split files it
 * owned (every other temporary has no name). The next run removes them
 * from the directories it lists.
 */
static void sweep_split_temps(struct mpi_ctx *m, int dst_dirfd)
{
	int fd = openat(dst_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = getdents64(fd, m->wk.dents, DENTS_BUF_SIZE)) > 0) {
		for (ssize_t pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(m->wk.dents + pos);

			pos += d->d_reclen;
			if (d->d_type == DT_REG && is_split_temp(d->d_name))
				unlinkat(dst_dirfd, d->d_name, 0);
		}
	}
	close(fd);
}

/* List one directory (its subdirectories become items in turn). */
static void list_item(struct mpi_ctx *m, uint32_t root, uint32_t flags, const char *rel)
{
	struct dir_node *dir = mpi_open_dir(m, root, rel);

	if (!dir)
		return;
	if (*rel) {
		/* This rank owns the directory's metadata (applied last). */
		dir->meta_pending = true;
		dir->dst_fresh = flags & ITEM_FRESH;
		dir->itemize = (uint16_t)(flags >> ITEM_ITEMIZE_SHIFT);
	}
	m->wk.root_dev = (dev_t)m->roots[root].dev;
	if (!dir->dst_fresh && dir->dst_dirfd >= 0)
		sweep_split_temps(m, dir->dst_dirfd);
	if (flags & ITEM_EMPTY)
		engine_dir_release(m->engine, dir);
	else
		walk_tree(&m->wk, dir);
}

/* Decide, per root, whether ranks may write parts of one file (rank 0). */
static bool multi_writer_ok(const struct mpi_ctx *m, int dst_fd)
{
	/* Lustre, GPFS and CephFS keep one file coherent between clients;
	 * NFS does not. One machine is one page cache: always safe. */
	static const long shared_fs[] = { 0x0BD00BD0L, 0x47504653L, 0x00C36400L };
	struct statfs sfs;

	if (m->one_node)
		return true;
	if (dst_fd < 0 || fstatfs(dst_fd, &sfs) < 0)
		return false;
	for (size_t i = 0; i < sizeof(shared_fs) / sizeof(shared_fs[0]); i++)
		if ((long)sfs.f_type == shared_fs[i])
			return true;
	return false;
}

int mpi_share_roots(struct mpi_ctx *m)
{
	struct wire w = { 0 };
	uint64_t len = 0;
	int err;

	if (m->rank == 0) {
		walk_operands(&m->wk);
		wire_put_u32(&w, m->nr_roots);
		for (uint32_t i = 0; i < m->nr_roots; i++) {
			struct mpi_root *r = &m->roots[i];
			uint32_t bits = r->follow | r->fresh << 1 | r->parent_named << 2;

			r->multi_writer = multi_writer_ok(m, r->top->dst_dirfd);
			bits |= (uint32_t)r->multi_writer << 3;
			wire_put_str(&w, r->src_path);
			wire_put_str(&w, r->dst_parent);
			wire_put_str(&w, r->dst_name);
			wire_put(&w, &r->src_ino, sizeof(r->src_ino));
			wire_put(&w, &r->dst_ino, sizeof(r->dst_ino));
			wire_put(&w, &r->dev, sizeof(r->dev));
			wire_put_u32(&w, bits);
		}
		len = w.len;
	}
	err = mpi_bcast(m, &len, 1, MPI_UINT64_T);
	if (err)
		goto out;
	if (m->rank != 0) {
		w.buf = xmalloc(len ? len : 1);
		w.alloc = w.len = len;
	}
	err = mpi_bcast(m, w.buf, (int)len, MPI_BYTE);
	if (err || m->rank == 0)
		goto out;
	m->nr_roots = wire_get_u32(&w);
	m->roots = xcalloc(m->nr_roots ? m->nr_roots : 1, sizeof(*m->roots));
	for (uint32_t i = 0; i < m->nr_roots; i++) {
		struct mpi_root *r = &m->roots[i];
		uint32_t bits;

		r->src_path = xstrdup(wire_get_str(&w));
		r->dst_parent = xstrdup(wire_get_str(&w));
		r->dst_name = xstrdup(wire_get_str(&w));
		wire_get(&w, &r->src_ino, sizeof(r->src_ino));
		wire_get(&w, &r->dst_ino, sizeof(r->dst_ino));
		wire_get(&w, &r->dev, sizeof(r->dev));
		bits = wire_get_u32(&w);
		r->follow = bits & 1;
		r->fresh = bits & 2;
		r->parent_named = bits & 4;
		r->multi_writer = bits & 8;
	}
	if (w.bad)
		BUG("bad root list from rank 0");
out:
	wire_release(&w);
	return err;
}

/* Rank 0: serve, hand out, list; stop when everyone is out of work. */
static int walk_rank0(struct mpi_ctx *m)
{
	unsigned idle = 0;

	m->waiting = xcalloc((size_t)m->size, sizeof(bool));
	for (;;) {
		serve_work(m);
		dispatch(m);
		mpi_service(m);
		if (stop_requested())
			return -EINTR;
		if (m->nr_stack) {
			struct mpi_item *it = m->stack[--m->nr_stack];

			list_item(m, it->root, it->flags, it->rel);
			free(it);
			idle = 0;
			continue;
		}
		if (m->nr_waiting == m->size - 1)
			break;
		/* Nothing here: a short nap, the others may send work. */
		if (idle < 200)
			idle++;
		usleep(idle < 20 ? 20 : idle < 100 ? 200 : 1000);
	}
	for (int r = 1; r < m->size; r++)
		MPI_Send(NULL, 0, MPI_BYTE, r, TAG_DONE, m->work);
	return 0;
}

/* Ranks > 0: ask rank 0 for directories until it says the walk is over. */
static int walk_rank(struct mpi_ctx *m)
{
	struct wire w = { 0 };
	unsigned idle;
	int err = 0;

	for (;;) {
		MPI_Status st;
		int flag = 0;

		flush_outbox(m);
		MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_REQUEST, m->work);
		for (idle = 0;; idle < 200 ? idle++ : 0) {
			MPI_Iprobe(0, MPI_ANY_TAG, m->work, &flag, &st);
			if (flag)
				break;
			mpi_service(m);
			if (stop_requested()) {
				err = -EINTR;
				goto out;
			}
			usleep(idle < 20 ? 20 : idle < 100 ? 200 : 1000);
		}
		wire_recv(&w, &st, m->work);
		if (st.MPI_TAG == TAG_DONE)
			break;
		while (w.pos < w.len && !stop_requested()) {
			uint32_t root = wire_get_u32(&w), flags = wire_get_u32(&w);
			const char *rel = wire_get_str(&w);

			if (w.bad)
				BUG("bad work item from rank 0");
			list_item(m, root, flags, rel);
		}
	}
out:
	wire_release(&w);
	return err;
}

int mpi_walk(struct mpi_ctx *m)
{
	int err = m->rank == 0 ? walk_rank0(m) : walk_rank(m);

	free(m->waiting);
	m->waiting = NULL;
	for (size_t i = 0; i < m->nr_stack; i++)
		free(m->stack[i]);
	free(m->stack);
	m->stack = NULL;
	m->nr_stack = m->alloc_stack = 0;
	wire_release(&m->outbox);
	return err;
}
