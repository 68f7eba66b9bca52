// SPDX-License-Identifier: MIT
/* --verify: read back a copy and its source and compare their xxHash3. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "pcopy/copy.h"
#include "pcopy/report.h"
#include "pcopy/stop.h"
#include "pcopy/util.h"
#include "pcopy/verify.h"

/* Stops with -EINTR when the run is interrupted (a 10 GiB hash must not
 * hold up exit). */
int verify_hash_fd(struct worker_ctx *w, XXH3_state_t *state, int fd, uint64_t size)
{
	size_t buf_size = WORKER_BUF_SIZE;
	char *buf = w->buf;
	uint64_t off = 0;

	XXH3_128bits_reset(state);
	while (off < size) {
		size_t want = size - off < buf_size ? size - off : buf_size;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			break; /* shorter than expected: the digests will differ */
		XXH3_128bits_update(state, buf, (size_t)n);
		off += (uint64_t)n;
		if (stop_requested())
			return -EINTR;
	}
	return 0;
}

int verify_content(struct worker_ctx *w, int src_fd, int dst_fd, uint64_t size)
{
	XXH3_state_t *state = XXH3_createState();
	XXH128_hash_t a, b;
	int err;

	if (!state)
		die("out of memory");
	/* Written pages must reach the file system before they can be
	 * dropped; after DONTNEED the reads come from storage (tmpfs has no
	 * storage behind its pages, so there this checks the page cache). */
	if (fdatasync(dst_fd) == 0)
		posix_fadvise(dst_fd, 0, 0, POSIX_FADV_DONTNEED);
	err = verify_hash_fd(w, state, src_fd, size);
	a = XXH3_128bits_digest(state);
	if (!err)
		err = verify_hash_fd(w, state, dst_fd, size);
	b = XXH3_128bits_digest(state);
	XXH3_freeState(state);
	if (err)
		return err;
	return XXH128_isEqual(a, b) ? 0 : -PCOPY_EVERIFY;
}
