/* SPDX-License-Identifier: MIT */
/*
 * Metadata of a copied entry: ownership, mode, POSIX ACLs, extended
 * attributes and timestamps, applied as --preserve asks and in the order
 * that keeps them (owner before mode, because chown clears setuid bits;
 * timestamps last).
 */
#ifndef PCOPY_META_H
#define PCOPY_META_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct pcopy_opts;

/* Growable buffers for listing and reading extended attributes. */
struct xattr_scratch {
	char *list;
	size_t list_size;
	char *value;
	size_t value_size;
};

void xattr_scratch_release(struct xattr_scratch *x);

/*
 * The permission bits a new entry is created with: the source's bits when
 * mode is preserved (setuid/setgid/sticky are set later by meta_apply_fd),
 * else the source's bits minus the umask, as cp does.
 */
mode_t meta_create_mode(const struct pcopy_opts *opts, const struct stat *st);

/*
 * Apply @st's metadata to the open destination @dst_fd (a regular file or
 * a directory). @src_fd (or -1) supplies extended attributes and ACLs.
 * @created_uid and @created_gid are the owner the destination got when it
 * was created, so that fchown is only called when it changes something. @is_new is false
 * for an existing directory being merged into (cp then keeps its mode
 * unless mode is preserved). Returns 0 or the first negative errno;
 * failures that cp -a ignores (no ownership privilege, a file system
 * without xattrs) are not errors.
 */
int meta_apply_fd(const struct pcopy_opts *opts, struct xattr_scratch *x, int dst_fd, int src_fd,
		  const struct stat *st, uid_t created_uid, gid_t created_gid, bool is_new);

/*
 * Apply @st's ownership, mode (not for symlinks), extended attributes and
 * ACLs (read from @src_name in @src_dirfd) and timestamps to the entry
 * @name in @dirfd without following a symlink there: for symlinks and
 * special files, which are never opened.
 */
int meta_apply_at(const struct pcopy_opts *opts, struct xattr_scratch *x, int src_dirfd,
		  const char *src_name, int dirfd, const char *name, const struct stat *st);

#endif /* PCOPY_META_H */
