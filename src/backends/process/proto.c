// SPDX-License-Identifier: MIT
/*
 * The process backend's wire format: encode and check batches and results,
 * and move one message with its descriptors over a SEQPACKET socket.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/process/proto.h"
#include "pcopy/job.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

size_t proto_job_size(size_t name_len, size_t dst_len, size_t link_len)
{
	size_t names = 0;

	names += name_len ? name_len + 1 : 0;
	names += dst_len ? dst_len + 1 : 0;
	names += link_len ? link_len + 1 : 0;
	return sizeof(struct proto_job) + ALIGN8(names);
}

static void put(struct proto_writer *wr, const void *p, size_t n)
{
	if (!n)
		return;
	memcpy(wr->buf + wr->len, p, n);
	wr->len += n;
}

/* Write the message's size and record count into its header. */
static size_t finish_msg(struct proto_writer *wr, size_t size_off, size_t nr_off)
{
	uint32_t size = (uint32_t)wr->len;

	memcpy(wr->buf + size_off, &size, sizeof(size));
	memcpy(wr->buf + nr_off, &wr->nr, sizeof(wr->nr));
	return wr->len;
}

void proto_batch_start(struct proto_writer *wr, void *buf, size_t cap, uint32_t flags)
{
	struct proto_batch_hdr hdr = { .type = PROTO_BATCH, .flags = flags };

	wr->buf = buf;
	wr->cap = cap;
	wr->len = 0;
	wr->nr = wr->nr_dirs = 0;
	put(wr, &hdr, sizeof(hdr));
}

int proto_batch_add_dir(struct proto_writer *wr, const struct proto_dir *dir)
{
	if (wr->nr || wr->nr_dirs >= PROTO_DIRS_MAX || wr->cap - wr->len < sizeof(*dir))
		return -E2BIG;
	put(wr, dir, sizeof(*dir));
	wr->nr_dirs++;
	return 0;
}

/* Length of @s with its NUL, or 0 for NULL; -1 when over PROTO_NAME_MAX. */
static long name_bytes(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strnlen(s, PROTO_NAME_MAX) + 1;
	return n > PROTO_NAME_MAX ? -1 : (long)n;
}

int proto_batch_add(struct proto_writer *wr, const struct proto_job *rec, const char *name,
		    const char *dst_name, const char *link_name)
{
	struct proto_job r = *rec;
	long nl, dl, ll;
	size_t end;

	if (dst_name && name && !strcmp(dst_name, name))
		dst_name = NULL;
	nl = name_bytes(name);
	dl = name_bytes(dst_name);
	ll = name_bytes(link_name);
	if (nl < 0 || dl < 0 || ll < 0)
		return -ENAMETOOLONG;
	end = wr->len + sizeof(r) + ALIGN8((size_t)(nl + dl + ll));
	if (wr->nr >= PROTO_BATCH_MAX || end > wr->cap)
		return -E2BIG;
	r.name_len = (uint16_t)nl;
	r.dst_len = (uint16_t)dl;
	r.link_len = (uint16_t)ll;
	put(wr, &r, sizeof(r));
	put(wr, name, (size_t)nl);
	put(wr, dst_name, (size_t)dl);
	put(wr, link_name, (size_t)ll);
	memset(wr->buf + wr->len, 0, end - wr->len);
	wr->len = end;
	wr->nr++;
	return 0;
}

size_t proto_batch_end(struct proto_writer *wr)
{
	memcpy(wr->buf + offsetof(struct proto_batch_hdr, nr_dirs), &wr->nr_dirs,
	       sizeof(wr->nr_dirs));
	return finish_msg(wr, offsetof(struct proto_batch_hdr, size),
			  offsetof(struct proto_batch_hdr, nr_jobs));
}

/*
 * Point *out at the name of @len bytes at @p (0: absent). It must end in
 * its only NUL: a name with a NUL inside would be a different name.
 */
static bool take_name(const char *p, uint16_t len, const char **out)
{
	*out = NULL;
	if (!len)
		return true;
	if (len > PROTO_NAME_MAX || p[len - 1] != '\0' || strlen(p) != (size_t)len - 1)
		return false;
	*out = p;
	return true;
}

/* Does the record point at directories of the batch, with what its kind needs? */
static bool job_is_complete(const struct proto_job_view *v, const struct proto_batch_view *b)
{
	const struct proto_job *r = &v->rec;
	bool task = b->hdr.flags & PROTO_BATCH_TASK;

	if (r->dir >= b->nr_dirs || (r->kind == JOB_CHUNK) != task)
		return false;
	if (r->finish)
		return r->kind == JOB_CHUNK && !(r->finish & ~PROTO_FINISH_ALL) &&
		       (r->finish & PROTO_FINISH) && v->name && r->link_dir == PROTO_NO_DIR &&
		       b->dst_fd[r->dir] >= 0;
	if (r->kind == JOB_HARDLINK)
		return v->name && v->link_name && r->link_dir < b->nr_dirs &&
		       b->dst_fd[r->link_dir] >= 0;
	if (r->link_dir != PROTO_NO_DIR || v->link_name)
		return false;
	switch (r->kind) {
	case JOB_CHUNK:
		return r->length && r->offset + r->length > r->offset;
	case JOB_FILE:
	case JOB_SYMLINK:
	case JOB_SPECIAL:
		return v->name != NULL;
	}
	return false;
}

/* Check the job record at @pos of @buf (@len bytes); returns its end, or 0. */
static size_t parse_job(const unsigned char *buf, size_t len, size_t pos,
			const struct proto_batch_view *b, struct proto_job_view *v)
{
	const char *names;
	size_t total;

	if (len - pos < sizeof(v->rec))
		return 0;
	memcpy(&v->rec, buf + pos, sizeof(v->rec));
	total = (size_t)v->rec.name_len + v->rec.dst_len + v->rec.link_len;
	pos += sizeof(v->rec);
	if (len - pos < ALIGN8(total))
		return 0;
	names = (const char *)buf + pos;
	if (!take_name(names, v->rec.name_len, &v->name) ||
	    !take_name(names + v->rec.name_len, v->rec.dst_len, &v->dst_name) ||
	    !take_name(names + v->rec.name_len + v->rec.dst_len, v->rec.link_len, &v->link_name))
		return 0;
	if (v->dst_name && !v->name)
		return 0;
	if (!v->dst_name)
		v->dst_name = v->name;
	if (!job_is_complete(v, b))
		return 0;
	return pos + ALIGN8(total);
}

/* Read the directory records and number the descriptors; returns how many there must be. */
static unsigned parse_dirs(const unsigned char *p, struct proto_batch_view *view)
{
	unsigned fd = 0;

	for (unsigned i = 0; i < view->nr_dirs; i++) {
		struct proto_dir *d = &view->dirs[i];

		memcpy(d, p + sizeof(view->hdr) + i * sizeof(*d), sizeof(*d));
		view->src_fd[i] = (d->flags & PROTO_DIR_SRC) ? (int)fd++ : -1;
		view->dst_fd[i] = (d->flags & PROTO_DIR_DST) ? (int)fd++ : -1;
	}
	view->task_src_fd = view->task_dst_fd = view->task_journal_fd = -1;
	if (view->hdr.flags & PROTO_BATCH_TASK) {
		view->task_src_fd = (int)fd++;
		view->task_dst_fd = (int)fd++;
		if (view->hdr.flags & PROTO_BATCH_JOURNAL)
			view->task_journal_fd = (int)fd++;
	}
	return fd;
}

int proto_batch_parse(const void *buf, size_t len, unsigned nr_fds, struct proto_batch_view *view)
{
	const unsigned char *p = buf;
	size_t pos;

	if (len < sizeof(view->hdr))
		return -EBADMSG;
	memcpy(&view->hdr, p, sizeof(view->hdr));
	view->nr_dirs = view->hdr.nr_dirs;
	if (view->hdr.type != PROTO_BATCH || view->hdr.size != len || !view->hdr.nr_jobs ||
	    view->hdr.nr_jobs > PROTO_BATCH_MAX || !view->nr_dirs ||
	    view->nr_dirs > PROTO_DIRS_MAX ||
	    len - sizeof(view->hdr) < view->nr_dirs * sizeof(struct proto_dir))
		return -EBADMSG;
	if (parse_dirs(p, view) != nr_fds)
		return -EBADMSG;
	pos = sizeof(view->hdr) + view->nr_dirs * sizeof(struct proto_dir);
	for (view->nr_jobs = 0; view->nr_jobs < view->hdr.nr_jobs; view->nr_jobs++) {
		pos = parse_job(p, len, pos, view, &view->jobs[view->nr_jobs]);
		if (!pos)
			return -EBADMSG;
	}
	return pos == len ? 0 : -EBADMSG;
}

void proto_results_start(struct proto_writer *wr, void *buf, size_t cap)
{
	struct proto_results_hdr hdr = { .type = PROTO_RESULTS };

	wr->buf = buf;
	wr->cap = cap;
	wr->len = 0;
	wr->nr = wr->nr_dirs = 0;
	put(wr, &hdr, sizeof(hdr));
}

int proto_results_add(struct proto_writer *wr, const struct proto_result *res)
{
	if (wr->nr >= PROTO_BATCH_MAX || wr->cap - wr->len < sizeof(*res))
		return -E2BIG;
	put(wr, res, sizeof(*res));
	wr->nr++;
	return 0;
}

size_t proto_results_end(struct proto_writer *wr, uint64_t bytes)
{
	memcpy(wr->buf + offsetof(struct proto_results_hdr, bytes), &bytes, sizeof(bytes));
	return finish_msg(wr, offsetof(struct proto_results_hdr, size),
			  offsetof(struct proto_results_hdr, nr_results));
}

int proto_results_parse(const void *buf, size_t len, struct proto_results_hdr *hdr)
{
	if (len < sizeof(*hdr))
		return -EBADMSG;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->type != PROTO_RESULTS || hdr->size != len || hdr->nr_results > PROTO_BATCH_MAX ||
	    len != sizeof(*hdr) + (size_t)hdr->nr_results * sizeof(struct proto_result))
		return -EBADMSG;
	return 0;
}

void proto_result_get(const void *buf, unsigned i, struct proto_result *res)
{
	const unsigned char *p = buf;

	memcpy(res, p + sizeof(struct proto_results_hdr) + i * sizeof(*res), sizeof(*res));
}

int proto_send(int sock, const void *buf, size_t len, const int *fds, unsigned nr_fds)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nr_fds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.space;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nr_fds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* SEQPACKET sends all or nothing. */
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Collect the descriptors of @msg into @fds; false if any are not ours to keep. */
static bool take_fds(struct msghdr *msg, int *fds, unsigned *nr_fds)
{
	bool ok = !(msg->msg_flags & MSG_CTRUNC);

	*nr_fds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			ok = false;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*nr_fds < PROTO_FDS_MAX)
				fds[(*nr_fds)++] = fd;
			else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

ssize_t proto_recv(int sock, void *buf, size_t cap, int *fds, unsigned *nr_fds, int flags)
{
	union {
		struct cmsghdr align;
		/* Room for one descriptor too many, so that excess shows. */
		char space[CMSG_SPACE(sizeof(int) * (PROTO_FDS_MAX + 1))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.space,
		.msg_controllen = sizeof(ctl.space),
	};
	ssize_t n;

	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!take_fds(&msg, fds, nr_fds) || (msg.msg_flags & MSG_TRUNC)) {
		for (unsigned i = 0; i < *nr_fds; i++)
			close(fds[i]);
		*nr_fds = 0;
		return -EBADMSG;
	}
	return n;
}
