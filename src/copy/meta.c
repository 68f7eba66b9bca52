// SPDX-License-Identifier: MIT
/* Ownership, mode, ACLs, extended attributes and timestamps of copies. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "pcopy/meta.h"
#include "pcopy/options.h"
#include "pcopy/util.h"

#define ACL_PREFIX "system.posix_acl_"

void xattr_scratch_release(struct xattr_scratch *x)
{
	free(x->list);
	free(x->value);
	x->list = x->value = NULL;
	x->list_size = x->value_size = 0;
}

mode_t meta_create_mode(const struct pcopy_opts *opts, const struct stat *st)
{
	if (opts->preserve & PRESERVE_MODE)
		return st->st_mode & 0777;
	/* cp's explicit --no-preserve=mode: the default modes, not the source's. */
	if (opts->explicit_no_preserve_mode)
		return (S_ISDIR(st->st_mode) || S_ISSOCK(st->st_mode) ? 0777 : 0666) & ~opts->umask;
	/* As cp: the sticky bit stays, setuid/setgid need -p. */
	return st->st_mode & 01777 & ~opts->umask;
}

/* Errors cp -a treats as "this file system or user cannot keep that". */
static bool is_unkeepable(int err)
{
	return err == -ENOTSUP || err == -EOPNOTSUPP || err == -EPERM || err == -EACCES ||
	       err == -ENOSYS;
}

/* Read the list of attribute names of @fd into x->list; returns its length. */
static ssize_t list_xattrs(struct xattr_scratch *x, int fd)
{
	for (;;) {
		ssize_t n = flistxattr(fd, x->list, x->list_size);

		if (n >= 0 || errno != ERANGE)
			return n < 0 ? neg_errno() : n;
		n = flistxattr(fd, NULL, 0);
		if (n < 0)
			return neg_errno();
		x->list_size = (size_t)n + 256;
		x->list = xrealloc(x->list, x->list_size);
	}
}

static ssize_t get_xattr(struct xattr_scratch *x, int fd, const char *name)
{
	for (;;) {
		ssize_t n = fgetxattr(fd, name, x->value, x->value_size);

		if (n >= 0 || errno != ERANGE)
			return n < 0 ? neg_errno() : n;
		n = fgetxattr(fd, name, NULL, 0);
		if (n < 0)
			return neg_errno();
		x->value_size = (size_t)n + 256;
		x->value = xrealloc(x->value, x->value_size);
	}
}

/*
 * Copy the attributes of @src_fd to @dst_fd: ACLs when mode is preserved
 * (cp counts ACLs as part of the mode), the others when xattrs are.
 */
static int copy_xattrs(const struct pcopy_opts *opts, struct xattr_scratch *x, int src_fd,
		       int dst_fd)
{
	bool want_acl = opts->preserve & PRESERVE_MODE;
	bool want_other = opts->preserve & PRESERVE_XATTR;
	ssize_t len;
	int first_err = 0;

	if (x->list_size == 0) {
		x->list_size = x->value_size = 4096;
		x->list = xmalloc(x->list_size);
		x->value = xmalloc(x->value_size);
	}
	len = list_xattrs(x, src_fd);
	if (len <= 0)
		return len < 0 && !is_unkeepable((int)len) ? (int)len : 0;
	for (char *name = x->list; name < x->list + len; name += strlen(name) + 1) {
		bool is_acl = !strncmp(name, ACL_PREFIX, sizeof(ACL_PREFIX) - 1);
		ssize_t n;

		if (is_acl ? !want_acl : !want_other)
			continue;
		n = get_xattr(x, src_fd, name);
		if (n < 0) {
			if (n != -ENODATA && !is_unkeepable((int)n) && !first_err)
				first_err = (int)n;
			continue;
		}
		if (fsetxattr(dst_fd, name, x->value, (size_t)n, 0) < 0) {
			int err = neg_errno();

			if (!is_unkeepable(err) && !first_err)
				first_err = err;
		}
	}
	return first_err;
}

/*
 * chown as cp -a does: without the privilege to give a file away, keep at
 * least the group if we can, and report nothing. Returns true when the
 * source's owner and group were both kept.
 */
static bool apply_owner(int dst_fd, const struct stat *st, uid_t created_uid, gid_t created_gid)
{
	if (st->st_uid == created_uid && st->st_gid == created_gid)
		return true;
	if (fchown(dst_fd, st->st_uid, st->st_gid) == 0)
		return true;
	if (errno == EPERM || errno == EINVAL)
		(void)!fchown(dst_fd, (uid_t)-1, st->st_gid);
	return false;
}

int meta_apply_fd(const struct pcopy_opts *opts, struct xattr_scratch *x, int dst_fd, int src_fd,
		  const struct stat *st, uid_t created_uid, gid_t created_gid, bool is_new)
{
	mode_t mode = st->st_mode & 07777;
	bool owner_kept = true;
	int err = 0, e;

	if (opts->preserve & PRESERVE_OWNERSHIP)
		owner_kept = apply_owner(dst_fd, st, created_uid, created_gid);
	if (opts->preserve & PRESERVE_MODE) {
		/* Without the owner, setuid/setgid would grant someone else's rights. */
		if (!owner_kept)
			mode &= ~(mode_t)(S_ISUID | S_ISGID);
		/* New files were created with their bits; only special bits
		 * (dropped by chown) or directories (created 0700) need fchmod. */
		if ((!is_new || S_ISDIR(st->st_mode) || (mode & 07000)) && fchmod(dst_fd, mode) < 0)
			err = neg_errno();
	} else if (is_new && S_ISDIR(st->st_mode)) {
		if (fchmod(dst_fd, meta_create_mode(opts, st)) < 0)
			err = neg_errno();
	}
	if ((opts->preserve & (PRESERVE_MODE | PRESERVE_XATTR)) && src_fd >= 0) {
		e = copy_xattrs(opts, x, src_fd, dst_fd);
		if (e && !err)
			err = e;
	}
	if (opts->preserve & PRESERVE_TIMESTAMPS) {
		struct timespec times[2] = { st->st_atim, st->st_mtim };

		if (futimens(dst_fd, times) < 0 && !err)
			err = neg_errno();
	}
	return err;
}

int meta_apply_at(const struct pcopy_opts *opts, int dirfd, const char *name,
		  const struct stat *st)
{
	bool is_link = S_ISLNK(st->st_mode);
	bool owner_kept = true;
	int err = 0;

	if (opts->preserve & PRESERVE_OWNERSHIP) {
		if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
			owner_kept = false;
			if (errno == EPERM || errno == EINVAL)
				(void)!fchownat(dirfd, name, (uid_t)-1, st->st_gid,
						AT_SYMLINK_NOFOLLOW);
		}
	}
	/* Special files were created with their permission bits; a symlink's
	 * mode cannot be changed on Linux. Only setuid-like bits need a chmod. */
	if (!is_link && (opts->preserve & PRESERVE_MODE) && (st->st_mode & 07000) && owner_kept) {
		if (fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
			err = neg_errno();
	}
	if (opts->preserve & PRESERVE_TIMESTAMPS) {
		struct timespec times[2] = { st->st_atim, st->st_mtim };

		if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0 && !err)
			err = neg_errno();
	}
	return err;
}
