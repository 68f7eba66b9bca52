// SPDX-License-Identifier: MIT
/*
 * Resumable large files: the partial, its journal of durable chunks, and
 * the check that lets a later run trust them (include/pcopy/resume.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "pcopy/copy_file.h"
#include "pcopy/job.h"
#include "pcopy/options.h"
#include "pcopy/resume.h"
#include "pcopy/util.h"

#define RESUME_PARTIAL ".pcopy-partial"
#define RESUME_JOURNAL ".pcopy-journal"
#define RESUME_MAGIC "PCOPYJ1"
/* Seeds the records' checksum: a header is never taken for a record. */
#define RESUME_RECORD_SEED 0x70636f70794a5231ull
#define RESUME_BUF (1u << 20)

/* The journal's first bytes: the source it was made from. */
struct resume_header {
	char magic[8];
	uint64_t chunk, size, ino;
	int64_t mtime_sec, mtime_nsec;
	uint64_t check; /* XXH3 of the fields above */
};

/* One chunk durable in the partial; appended by a single write(). */
struct resume_record {
	uint64_t index, hash;
	uint64_t check; /* XXH3 (seeded) of index and hash */
};

struct resume {
	int dirfd, jfd;
	char *partial, *journal; /* names in dirfd */
	uint64_t chunk, nr, nr_done;
	unsigned char *done;
	bool stale; /* a journal was there (or could not be opened) */
};

bool resume_applies(const struct pcopy_opts *opts, const struct job *job)
{
	const char *slash = strrchr(job->dst_name, '/');
	const char *base = slash ? slash + 1 : job->dst_name;

	/* Not for a sparse file: hashing its chunks would read its holes
	 * (a 1 TiB image of zeros); not under MPI, whose ranks share files
	 * by their own plan. */
	return !opts->no_resume && !opts->dry_run && !job->dst_in_place && *base &&
	       opts->backend != BACKEND_MPI && !copy_is_sparse(&job->st) &&
	       strlen(base) + 1 + sizeof(RESUME_PARTIAL) <= NAME_MAX;
}

/* "DIR/.BASE" + @suffix for the destination name "DIR/BASE" (or "BASE"). */
static char *resume_name(const char *dst_name, const char *suffix)
{
	const char *slash = strrchr(dst_name, '/');
	size_t dir = slash ? (size_t)(slash + 1 - dst_name) : 0;
	size_t len = strlen(dst_name), sl = strlen(suffix);
	char *s = xmalloc(len + 1 + sl + 1);

	memcpy(s, dst_name, dir);
	s[dir] = '.';
	memcpy(s + dir + 1, dst_name + dir, len - dir);
	memcpy(s + len + 1, suffix, sl + 1);
	return s;
}

static void resume_header_make(struct resume_header *h, const struct stat *st, uint64_t chunk)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, RESUME_MAGIC, sizeof(h->magic));
	h->chunk = chunk;
	h->size = (uint64_t)st->st_size;
	h->ino = (uint64_t)st->st_ino;
	h->mtime_sec = st->st_mtim.tv_sec;
	h->mtime_nsec = st->st_mtim.tv_nsec;
	h->check = XXH3_64bits(h, offsetof(struct resume_header, check));
}

static uint64_t resume_record_check(const struct resume_record *rec)
{
	return XXH3_64bits_withSeed(rec, offsetof(struct resume_record, check), RESUME_RECORD_SEED);
}

/* XXH3 of @len bytes of @fd at @off; a short file is an error. */
static int resume_hash_range(int fd, uint64_t off, uint64_t len, uint64_t *hash)
{
	XXH3_state_t *state = XXH3_createState();
	char *buf = xmalloc(RESUME_BUF);
	int err = 0;

	if (!state) {
		free(buf);
		return -ENOMEM;
	}
	XXH3_64bits_reset(state);
	while (len && !err) {
		size_t want = len < RESUME_BUF ? (size_t)len : RESUME_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? neg_errno() : -EIO;
		else {
			XXH3_64bits_update(state, buf, (size_t)n);
			off += (uint64_t)n;
			len -= (uint64_t)n;
		}
	}
	*hash = XXH3_64bits_digest(state);
	XXH3_freeState(state);
	free(buf);
	return err;
}

static uint64_t resume_chunk_len(const struct resume *r, uint64_t size, uint64_t index)
{
	uint64_t off = index * r->chunk;

	return size - off < r->chunk ? size - off : r->chunk;
}

static int resume_append_fd(int jfd, uint64_t index, uint64_t hash)
{
	struct resume_record rec = { .index = index, .hash = hash };
	ssize_t n;

	rec.check = resume_record_check(&rec);
	n = write(jfd, &rec, sizeof(rec));
	if (n < 0)
		return neg_errno();
	return n == sizeof(rec) ? 0 : -EIO;
}

static int resume_append(struct resume *r, uint64_t index, uint64_t hash)
{
	return resume_append_fd(r->jfd, index, hash);
}

/*
 * Read the journal's records (bounded: garbage cannot make us allocate
 * much), then rewrite the journal with the ones whose range of @pfd still
 * hashes as recorded: a torn tail or a stale record is dropped.
 */
static void resume_verify(struct resume *r, int pfd, uint64_t size)
{
	size_t max = (size_t)r->nr * 2 + 64, nr;
	struct resume_record *recs = xcalloc(max, sizeof(*recs));
	ssize_t n = pread(r->jfd, recs, max * sizeof(*recs), sizeof(struct resume_header));

	nr = n > 0 ? (size_t)n / sizeof(*recs) : 0;
	if (ftruncate(r->jfd, sizeof(struct resume_header)) < 0)
		nr = 0;
	for (size_t i = 0; i < nr; i++) {
		const struct resume_record *rec = &recs[i];
		uint64_t hash;

		if (rec->check != resume_record_check(rec) || rec->index >= r->nr ||
		    r->done[rec->index])
			continue;
		if (resume_hash_range(pfd, rec->index * r->chunk,
				      resume_chunk_len(r, size, rec->index), &hash) ||
		    hash != rec->hash || resume_append(r, rec->index, hash))
			continue;
		r->done[rec->index] = 1;
		r->nr_done++;
	}
	free(recs);
}

/* The partial and journal an earlier run left, if they match the source. */
static int resume_try(struct resume *r, const struct job *job)
{
	struct resume_header want, got;
	struct stat pst;
	int pfd;

	r->jfd = openat(r->dirfd, r->journal, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	r->stale = r->jfd >= 0 || errno != ENOENT;
	if (r->jfd < 0)
		return -1;
	resume_header_make(&want, &job->st, r->chunk);
	if (pread(r->jfd, &got, sizeof(got), 0) != sizeof(got) || memcmp(&want, &got, sizeof(got)))
		goto fail;
	pfd = openat(r->dirfd, r->partial, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		goto fail;
	/* Ours, alone, and as long as the source: else it is not our partial. */
	if (fstat(pfd, &pst) == 0 && S_ISREG(pst.st_mode) && pst.st_uid == geteuid() &&
	    pst.st_nlink == 1 && pst.st_size == job->st.st_size) {
		resume_verify(r, pfd, (uint64_t)job->st.st_size);
		return pfd;
	}
	close(pfd);
fail:
	close(r->jfd);
	r->jfd = -1;
	return -1;
}

/* A new partial (owner-only until published) and a journal with its header. */
static int resume_fresh(struct resume *r, const struct job *job)
{
	struct resume_header h;
	int pfd, err;

	/* Stale ones go; none in the common case (no call then). */
	if (r->stale)
		unlinkat(r->dirfd, r->journal, 0);
	pfd = openat(r->dirfd, r->partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (pfd < 0 && errno == EEXIST && unlinkat(r->dirfd, r->partial, 0) == 0)
		pfd = openat(r->dirfd, r->partial,
			     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (pfd < 0)
		return neg_errno();
	r->jfd = openat(r->dirfd, r->journal,
			O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	resume_header_make(&h, &job->st, r->chunk);
	errno = 0;
	if (r->jfd < 0 || write(r->jfd, &h, sizeof(h)) != sizeof(h)) {
		err = errno ? neg_errno() : -EIO;
		if (r->jfd >= 0)
			close(r->jfd);
		unlinkat(r->dirfd, r->journal, 0);
		close(pfd);
		unlinkat(r->dirfd, r->partial, 0);
		return err;
	}
	memset(r->done, 0, r->nr);
	r->nr_done = 0;
	return pfd;
}

int resume_open(const struct pcopy_opts *opts, struct job *job, uint64_t chunk, struct resume **out,
		char **tmp_name)
{
	struct resume *r = xcalloc(1, sizeof(*r));
	int fd;

	(void)opts;
	r->dirfd = job->dir->dst_dirfd;
	r->partial = resume_name(job->dst_name, RESUME_PARTIAL);
	r->journal = resume_name(job->dst_name, RESUME_JOURNAL);
	r->chunk = chunk;
	r->nr = ((uint64_t)job->st.st_size + chunk - 1) / chunk;
	r->done = xcalloc(r->nr ? r->nr : 1, 1);
	fd = resume_try(r, job);
	if (fd < 0)
		fd = resume_fresh(r, job);
	if (fd < 0) {
		free(r->done);
		free(r->partial);
		free(r->journal);
		free(r);
		return fd;
	}
	*tmp_name = xstrdup(r->partial);
	*out = r;
	return fd;
}

bool resume_chunk_done(const struct resume *r, uint64_t index)
{
	return index < r->nr && r->done[index];
}

uint64_t resume_nr_done(const struct resume *r)
{
	return r->nr_done;
}

int resume_commit_fd(int jfd, uint64_t chunk, int dst_fd, uint64_t offset, uint64_t length)
{
	uint64_t hash;
	int err;

	/* Write this range out (the workers' ranges in parallel), then one
	 * fdatasync for the file's metadata and the device cache: a record
	 * is never durable before the data it vouches for. */
	if (sync_file_range(dst_fd, (off_t)offset, (off_t)length,
			    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				    SYNC_FILE_RANGE_WAIT_AFTER) < 0 &&
	    errno != ENOSYS && errno != EINVAL)
		return neg_errno();
	if (fdatasync(dst_fd) < 0 && errno != EINVAL)
		return neg_errno();
	err = resume_hash_range(dst_fd, offset, length, &hash);
	if (!err)
		err = resume_append_fd(jfd, offset / chunk, hash);
	return err;
}

int resume_commit(struct resume *r, int dst_fd, uint64_t offset, uint64_t length)
{
	return resume_commit_fd(r->jfd, r->chunk, dst_fd, offset, length);
}

int resume_journal_fd(const struct resume *r)
{
	return r->jfd;
}

const char *resume_journal_name(const struct resume *r)
{
	return r->journal;
}

int resume_end(struct resume *r, bool keep)
{
	int err = 0;

	if (!r)
		return 0;
	if (r->jfd >= 0)
		close(r->jfd);
	if (!keep && unlinkat(r->dirfd, r->journal, 0) < 0 && errno != ENOENT)
		err = -errno;
	free(r->done);
	free(r->partial);
	free(r->journal);
	free(r);
	return err;
}

void resume_discard(const struct job *job)
{
	char *partial = resume_name(job->dst_name, RESUME_PARTIAL);
	char *journal = resume_name(job->dst_name, RESUME_JOURNAL);

	unlinkat(job->dir->dst_dirfd, partial, 0);
	unlinkat(job->dir->dst_dirfd, journal, 0);
	free(partial);
	free(journal);
}
