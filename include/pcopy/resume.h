/* SPDX-License-Identifier: MIT */
/*
 * Resumable large files. A file copied in chunks is written under a hidden
 * name beside its destination, ".NAME.pcopy-partial" (mode 0600 until it is
 * published), and ".NAME.pcopy-journal" records each chunk once its data is
 * durable: its index and the XXH3 of its bytes, in fixed-size records that
 * carry their own checksum (a torn or garbage record is ignored). A run
 * interrupted by SIGINT or SIGTERM keeps both; SIGKILL and power loss leave
 * them by nature. The next run (any run: -u or not) finds them, checks the
 * journal's header against the source (size, mtime, inode, chunk size),
 * re-hashes each journaled range of the partial and copies only the chunks
 * that are missing or do not match. The source is not re-read for a
 * journaled chunk: its size and mtime vouch for it, as for -u.
 */
#ifndef PCOPY_RESUME_H
#define PCOPY_RESUME_H

#include <stdbool.h>
#include <stdint.h>

struct job;
struct pcopy_opts;
struct resume;

/* Does @job (a file above --chunk-size) get a partial and a journal? */
bool resume_applies(const struct pcopy_opts *opts, const struct job *job);

/*
 * Open @job's partial, resuming a valid one (its chunks verified) or
 * starting a new one sized to the source. Returns the partial's descriptor
 * and sets *@tmp_name (its name, malloc'd) and *@out, or a negative errno.
 */
int resume_open(const struct pcopy_opts *opts, struct job *job, uint64_t chunk, struct resume **out,
		char **tmp_name);

/* Was chunk @index found complete and intact in the partial? */
bool resume_chunk_done(const struct resume *r, uint64_t index);

/* How many chunks were found complete. */
uint64_t resume_nr_done(const struct resume *r);

/*
 * Chunk at @offset (@length bytes) of @dst_fd is written: make it durable,
 * hash it and append its record. Thread-safe. Returns 0 or a negative errno.
 */
int resume_commit(struct resume *r, int dst_fd, uint64_t offset, uint64_t length);

/* The same on the journal's descriptor @jfd (a process worker's copy), for
 * chunks of @chunk bytes. */
int resume_commit_fd(int jfd, uint64_t chunk, int dst_fd, uint64_t offset, uint64_t length);

/* The journal's descriptor, to hand to a process worker. */
int resume_journal_fd(const struct resume *r);

/* Drop @r: the journal is kept (@keep: for the next run) or removed.
 * Returns 0, or -errno when the journal could not be removed (the caller
 * says so: a stray file is left in the destination). */
int resume_end(struct resume *r, bool keep);

/* The journal's name in its directory (for a message). */
const char *resume_journal_name(const struct resume *r);

/* Remove @job's stale partial and journal, if any (--no-resume). */
void resume_discard(const struct job *job);

#endif /* PCOPY_RESUME_H */
