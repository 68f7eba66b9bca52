// SPDX-License-Identifier: MIT
/* Byte buffers for MPI messages: what is put is read back in order. */
#include <stdlib.h>
#include <string.h>

#include "engine/mpi/mpi_internal.h"
#include "pcopy/util.h"

void wire_put(struct wire *w, const void *data, size_t len)
{
	if (w->len + len > w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 4096;
		while (w->alloc < w->len + len)
			w->alloc *= 2;
		w->buf = xrealloc(w->buf, w->alloc);
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void wire_put_u32(struct wire *w, uint32_t v)
{
	wire_put(w, &v, sizeof(v));
}

void wire_put_str(struct wire *w, const char *s)
{
	wire_put(w, s, strlen(s) + 1);
}

void wire_get(struct wire *w, void *data, size_t len)
{
	if (w->bad || w->len - w->pos < len) {
		w->bad = true;
		memset(data, 0, len);
		return;
	}
	memcpy(data, w->buf + w->pos, len);
	w->pos += len;
}

uint32_t wire_get_u32(struct wire *w)
{
	uint32_t v;

	wire_get(w, &v, sizeof(v));
	return v;
}

const char *wire_get_str(struct wire *w)
{
	const char *s = w->buf + w->pos, *nul;

	if (w->bad || w->pos >= w->len || !(nul = memchr(s, '\0', w->len - w->pos))) {
		w->bad = true;
		return "";
	}
	w->pos += (size_t)(nul - s) + 1;
	return s;
}

void wire_reset(struct wire *w)
{
	w->len = w->pos = 0;
	w->bad = false;
}

void wire_release(struct wire *w)
{
	free(w->buf);
	*w = (struct wire){ 0 };
}

void wire_recv(struct wire *w, const MPI_Status *st, MPI_Comm comm)
{
	int count;

	MPI_Get_count(st, MPI_BYTE, &count);
	wire_reset(w);
	if ((size_t)count + 1 > w->alloc) {
		w->alloc = (size_t)count + 1;
		w->buf = xrealloc(w->buf, w->alloc);
	}
	MPI_Recv(w->buf, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, comm, MPI_STATUS_IGNORE);
	w->len = (size_t)count;
}
