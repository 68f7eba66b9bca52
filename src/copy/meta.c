// SPDX-License-Identifier: MIT
/* Ownership, mode, ACLs, extended attributes and timestamps of copies. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
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

/*
 * Where attributes are read or written: an open file (@fd >= 0), or an
 * entry that is never opened (symlinks, special files), named by a path
 * through /proc/self/fd of its directory and reached without following it.
 */
struct xattr_at {
	int fd;
	const char *path;
	char buf[64 + NAME_MAX];
};

/* @name in @dirfd (AT_FDCWD: @name is the path). Without /proc, the
 * attributes of such entries are not copied (as on a file system without
 * xattrs). */
static void xattr_at_entry(struct xattr_at *at, int dirfd, const char *name)
{
	at->fd = -1;
	at->path = name;
	if (dirfd != AT_FDCWD) {
		snprintf(at->buf, sizeof(at->buf), "/proc/self/fd/%d/%s", dirfd, name);
		at->path = at->buf;
	}
}

static ssize_t at_list(const struct xattr_at *at, char *buf, size_t size)
{
	return at->fd >= 0 ? flistxattr(at->fd, buf, size) : llistxattr(at->path, buf, size);
}

static ssize_t at_get(const struct xattr_at *at, const char *name, void *buf, size_t size)
{
	return at->fd >= 0 ? fgetxattr(at->fd, name, buf, size)
			   : lgetxattr(at->path, name, buf, size);
}

static int at_set(const struct xattr_at *at, const char *name, const void *val, size_t size)
{
	return at->fd >= 0 ? fsetxattr(at->fd, name, val, size, 0)
			   : lsetxattr(at->path, name, val, size, 0);
}

/* Read the list of attribute names of @at into x->list; returns its length. */
static ssize_t list_xattrs(struct xattr_scratch *x, const struct xattr_at *at)
{
	for (;;) {
		ssize_t n = at_list(at, x->list, x->list_size);

		if (n >= 0 || errno != ERANGE)
			return n < 0 ? neg_errno() : n;
		n = at_list(at, NULL, 0);
		if (n < 0)
			return neg_errno();
		x->list_size = (size_t)n + 256;
		x->list = xrealloc(x->list, x->list_size);
	}
}

static ssize_t get_xattr(struct xattr_scratch *x, const struct xattr_at *at, const char *name)
{
	for (;;) {
		ssize_t n = at_get(at, name, x->value, x->value_size);

		if (n >= 0 || errno != ERANGE)
			return n < 0 ? neg_errno() : n;
		n = at_get(at, name, NULL, 0);
		if (n < 0)
			return neg_errno();
		x->value_size = (size_t)n + 256;
		x->value = xrealloc(x->value, x->value_size);
	}
}

/*
 * Copy the attributes of @src to @dst: ACLs when mode is preserved (cp
 * counts ACLs as part of the mode), the others when xattrs are.
 */
static int copy_xattrs(const struct pcopy_opts *opts, struct xattr_scratch *x,
		       const struct xattr_at *src, const struct xattr_at *dst)
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
	len = list_xattrs(x, src);
	if (len <= 0)
		return len < 0 && !is_unkeepable((int)len) ? (int)len : 0;
	for (char *name = x->list; name < x->list + len; name += strlen(name) + 1) {
		bool is_acl = !strncmp(name, ACL_PREFIX, sizeof(ACL_PREFIX) - 1);
		ssize_t n;

		if (is_acl ? !want_acl : !want_other)
			continue;
		n = get_xattr(x, src, name);
		if (n < 0) {
			if (n != -ENODATA && !is_unkeepable((int)n) && !first_err)
				first_err = (int)n;
			continue;
		}
		if (at_set(dst, name, x->value, (size_t)n) < 0) {
			int err = neg_errno();

			if (!is_unkeepable(err) && !first_err)
				first_err = err;
		}
	}
	return first_err;
}

/*
 * Copy the attributes of open files. user.* attributes need write
 * permission on the file: a read-only copy made by its non-root owner is
 * made writable for the owner meanwhile, and its mode put back after, as
 * cp does.
 */
static int copy_xattrs_fd(const struct pcopy_opts *opts, struct xattr_scratch *x, int src_fd,
			  int dst_fd, const struct stat *st)
{
	struct xattr_at src = { .fd = src_fd }, dst = { .fd = dst_fd };
	struct stat now;
	bool lent = false;
	int err;

	/* The source's mode tells whether the copy may lack the bit: the
	 * common writable file costs no fstat. */
	if ((opts->preserve & PRESERVE_XATTR) && !(st->st_mode & S_IWUSR) && geteuid() != 0 &&
	    fstat(dst_fd, &now) == 0 && !(now.st_mode & S_IWUSR))
		lent = fchmod(dst_fd, (now.st_mode & 07777) | S_IWUSR) == 0;
	err = copy_xattrs(opts, x, &src, &dst);
	if (lent && fchmod(dst_fd, now.st_mode & 07777) < 0 && !err)
		err = neg_errno();
	return err;
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
		e = copy_xattrs_fd(opts, x, src_fd, dst_fd, st);
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

int meta_apply_at(const struct pcopy_opts *opts, struct xattr_scratch *x, int src_dirfd,
		  const char *src_name, int dirfd, const char *name, const struct stat *st)
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
	/* cp -a copies them too: trusted.* and security.* of symlinks, ACLs
	 * of special files (Linux allows user.* on neither). */
	if (opts->preserve & (PRESERVE_MODE | PRESERVE_XATTR)) {
		struct xattr_at src, dst;
		int e;

		xattr_at_entry(&src, src_dirfd, src_name);
		xattr_at_entry(&dst, dirfd, name);
		e = copy_xattrs(opts, x, &src, &dst);
		if (e && !err && e != -ENOENT)
			err = e;
	}
	if (opts->preserve & PRESERVE_TIMESTAMPS) {
		struct timespec times[2] = { st->st_atim, st->st_mtim };

		if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0 && !err)
			err = neg_errno();
	}
	return err;
}
