/* SPDX-License-Identifier: MIT */
/* --verify: compare a copy's content with its source by xxHash3. */
#ifndef PCOPY_VERIFY_H
#define PCOPY_VERIFY_H

#include <stdint.h>

struct worker_ctx;

/*
 * Hash @size bytes of @src_fd and of @dst_fd (read with pread, so file
 * offsets do not matter) and compare. The destination is first flushed
 * and dropped from the page cache where the file system allows, so that
 * what is compared is what was stored, not what was cached. Returns 0 when
 * they match, -PCOPY_EVERIFY when they differ, or a negative errno.
 */
int verify_content(struct worker_ctx *w, int src_fd, int dst_fd, uint64_t size);

/*
 * Reset @state and feed it @size bytes of @fd (pread from offset 0, with
 * @w's buffer; a shorter file just ends early). 0, -EINTR on a stop, or
 * -errno. Needs <xxhash.h>. Shared with -c (quick_check.c).
 */
typedef struct XXH3_state_s XXH3_state_t;
int verify_hash_fd(struct worker_ctx *w, XXH3_state_t *state, int fd, uint64_t size);

#endif /* PCOPY_VERIFY_H */
