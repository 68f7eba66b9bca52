// SPDX-License-Identifier: MIT
/*
 * The bar line: fields laid out for a terminal width, counted in columns
 * (the graphic is UTF-8 block characters in a UTF-8 locale, ASCII
 * otherwise; a file name may hold any bytes and is made safe to print).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/render.h"

/* Bar fields, in the order they are kept as the width shrinks. */
enum bar_field {
	BF_PERCENT, /* never dropped */
	BF_BYTES,   /* never dropped */
	BF_GRAPHIC, /* at least BAR_GRAPHIC_MIN cells: fits in 40 columns */
	BF_ETA,
	BF_RATE,
	BF_FILES,
	BF_ERRORS,
	BF_ELAPSED,
	BF_NAME,
	NR_BAR_FIELDS
};

/* The order fields appear in on the line. */
static const enum bar_field bar_order[] = {
	BF_PERCENT, BF_GRAPHIC, BF_BYTES, BF_FILES, BF_ERRORS, BF_RATE, BF_ETA, BF_ELAPSED, BF_NAME,
};

#define BAR_FIELD_MAX 48
#define BAR_GRAPHIC_MIN 5 /* cells; narrower is not worth drawing */
#define BAR_GRAPHIC_MAX 40
#define BAR_GRAPHIC_MID 20 /* cells the graphic gets before the name grows */
#define BAR_NAME_MIN 12	   /* columns of a file name worth showing */

/* "1.50/3.00 GiB", or "512 MiB/3.00 GiB" when the units differ. */
static void progress_bytes_pair(char *buf, size_t size, uint64_t done, uint64_t total)
{
	char a[16], b[16], *unit_a, *unit_b;

	progress_human(a, sizeof(a), done);
	progress_human(b, sizeof(b), total);
	unit_a = strchr(a, ' ');
	unit_b = strchr(b, ' ');
	if (unit_a && unit_b && !strcmp(unit_a, unit_b))
		*unit_a = '\0';
	snprintf(buf, size, "%s/%s", a, b);
}

/* Share done, 0..1, by bytes, or by files when there are no bytes. */
static double bar_fraction(const struct progress_view *v)
{
	uint64_t done = v->bytes, total = v->bytes_total;

	if (!total) {
		done = v->files;
		total = v->files_total;
	}
	if (!total)
		return v->totals_final ? 1 : 0;
	return done >= total ? 1 : (double)done / (double)total;
}

/* Fill @f with the ASCII fields ("" when a field has nothing to say). */
static void bar_fields(char f[NR_BAR_FIELDS][BAR_FIELD_MAX], const struct progress_view *v)
{
	const char *more = v->totals_final ? "" : "+"; /* totals still growing */
	unsigned pct = progress_percent(v);
	char a[16];

	memset(f, 0, NR_BAR_FIELDS * BAR_FIELD_MAX);
	/* A share of a total that still grows is an upper bound: "~". */
	if (v->totals_final)
		snprintf(f[BF_PERCENT], BAR_FIELD_MAX, "%3u%%", pct);
	else
		snprintf(f[BF_PERCENT], BAR_FIELD_MAX, "~%2u%%", pct > 99 ? 99 : pct);
	progress_bytes_pair(f[BF_BYTES], BAR_FIELD_MAX, v->bytes, v->bytes_total);
	strcat(f[BF_BYTES], more);
	snprintf(f[BF_FILES], BAR_FIELD_MAX, "%" PRIu64 "/%" PRIu64 "%s files", v->files,
		 v->files_total, more);
	if (v->errors)
		snprintf(f[BF_ERRORS], BAR_FIELD_MAX, "%" PRIu64 " error%s", v->errors,
			 v->errors == 1 ? "" : "s");
	if (v->rate >= 0) {
		progress_human(a, sizeof(a), (uint64_t)v->rate);
		snprintf(f[BF_RATE], BAR_FIELD_MAX, "%s/s", a);
	}
	progress_duration(a, sizeof(a), v->elapsed);
	if (v->finished) {
		snprintf(f[BF_ETA], BAR_FIELD_MAX, "done in %s", a);
		return;
	}
	snprintf(f[BF_ELAPSED], BAR_FIELD_MAX, "%s elapsed", a);
	if (!v->totals_final) {
		snprintf(f[BF_ETA], BAR_FIELD_MAX, "scanning");
	} else {
		progress_duration(a, sizeof(a), v->eta);
		snprintf(f[BF_ETA], BAR_FIELD_MAX, "ETA %s", a);
	}
}

/*
 * The graphic of @inner cells for share @frac: "[=====>    ]" in ASCII,
 * full blocks and an eighth-block edge in UTF-8. Returns bytes written
 * (at most 3 * inner + 2).
 */
static size_t bar_graphic(char *out, unsigned inner, double frac, bool utf8)
{
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	unsigned units = (unsigned)(frac * inner * 8), full = units / 8, i;
	size_t n = 0;

	out[n++] = '[';
	for (i = 0; i < inner; i++) {
		const char *cell = i < full ? "█" : i == full ? eighths[units % 8] : "";

		if (!utf8)
			cell = i < full ? "=" : i == full ? ">" : " ";
		if (!*cell)
			cell = " ";
		memcpy(out + n, cell, strlen(cell));
		n += strlen(cell);
	}
	out[n++] = ']';
	return n;
}

/* Columns of a code point: 2 from U+1100 up (wide CJK and the like; an
 * overestimate for others, so that the line never wraps). */
static unsigned cp_columns(unsigned cp)
{
	return cp >= 0x1100 ? 2 : 1;
}

/* Length of the valid UTF-8 sequence at @s (0 if invalid); sets *cp. */
static size_t utf8_seq(const unsigned char *s, unsigned *cp)
{
	size_t len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (!len || s[0] >= 0xf5)
		return 0;
	*cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms and surrogates are not valid. */
	if ((len == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp < 0xe000))) ||
	    (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;
	return len;
}

/* One character of a name at @s: its bytes, and its columns in *cols. */
static size_t name_char(const unsigned char *s, bool utf8, unsigned *cols)
{
	unsigned cp = 0;
	size_t len = s[0] >= 0x80 && utf8 ? utf8_seq(s, &cp) : 0;

	*cols = len ? cp_columns(cp) : 1;
	return len ? len : 1;
}

static unsigned name_width(const char *name, bool utf8)
{
	const unsigned char *s = (const unsigned char *)name;
	unsigned total = 0, w;

	for (size_t i = 0; s[i];) {
		i += name_char(s + i, utf8, &w);
		total += w;
	}
	return total;
}

/*
 * @name made safe for the terminal (control bytes and, outside UTF-8,
 * every non-ASCII byte become '?') and cut to @cols columns by keeping its
 * end, where the file name is, after "..." (or "…"). Returns the bytes
 * written to @out (room for 4 * @cols + 4) and the columns in *used.
 */
static size_t bar_name(char *out, const char *name, unsigned cols, bool utf8, unsigned *used)
{
	const unsigned char *s = (const unsigned char *)name;
	unsigned total = name_width(name, utf8), w, dots = utf8 ? 1 : 3;
	size_t i, len, n = 0;

	*used = 0;
	i = 0;
	if (total > cols) {
		/* Skip characters until the rest fits beside the ellipsis. */
		for (; s[i] && total + dots > cols; i += len) {
			len = name_char(s + i, utf8, &w);
			total -= w;
		}
		memcpy(out, utf8 ? "…" : "...", 3);
		n = 3;
		*used = dots;
	}
	*used += total;
	for (; s[i]; i += len) {
		len = name_char(s + i, utf8, &w);
		if (len > 1)
			memcpy(out + n, s + i, len);
		else
			out[n] = s[i] < 0x20 || s[i] >= 0x7f ? '?' : (char)s[i];
		n += len;
	}
	return n;
}

/* The line being built: bytes in @buf, columns in @cols. */
struct bar_line {
	char *buf;
	size_t size, len;
	unsigned cols;
};

/* Append @len bytes (@cols columns) with a space before unless first. */
static void bar_put(struct bar_line *l, const char *s, size_t len, unsigned cols)
{
	if (l->len && l->len + 1 < l->size) {
		l->buf[l->len++] = ' ';
		l->cols++;
	}
	if (l->len + len >= l->size)
		len = l->size - 1 - l->len;
	memcpy(l->buf + l->len, s, len);
	l->len += len;
	l->cols += cols;
}

/*
 * Which fields fit in @room columns, in the order of enum bar_field,
 * stopping at the first that does not (so a narrower line keeps a subset
 * of a wider one's fields). Returns the columns left over.
 */
static unsigned bar_choose(char f[NR_BAR_FIELDS][BAR_FIELD_MAX], bool show[NR_BAR_FIELDS],
			   const struct progress_view *v, unsigned room)
{
	unsigned used = (unsigned)(strlen(f[BF_PERCENT]) + 1 + strlen(f[BF_BYTES]));
	unsigned k;

	show[BF_PERCENT] = show[BF_BYTES] = true;
	for (k = BF_GRAPHIC; k < NR_BAR_FIELDS; k++) {
		unsigned need = k == BF_GRAPHIC ? BAR_GRAPHIC_MIN + 2
				: k == BF_NAME	? BAR_NAME_MIN
						: (unsigned)strlen(f[k]);

		if ((k == BF_NAME && !v->name) || (k != BF_GRAPHIC && k != BF_NAME && !f[k][0]))
			continue; /* nothing to say: takes no room */
		if (used + 1 + need > room)
			break;
		show[k] = true;
		used += 1 + need;
	}
	return room > used ? room - used : 0;
}

/* Add up to @want of *@spare columns to *@cols. */
static void bar_grow(unsigned *cols, unsigned want, unsigned *spare)
{
	want = want < *spare ? want : *spare;
	*cols += want;
	*spare -= want;
}

size_t progress_render_bar(char *buf, size_t size, const struct progress_view *v, unsigned width)
{
	char f[NR_BAR_FIELDS][BAR_FIELD_MAX], extra[4 * PROGRESS_LINE_MAX + 8];
	bool show[NR_BAR_FIELDS] = { false };
	struct bar_line l = { .buf = buf, .size = size };
	unsigned room, spare, inner = BAR_GRAPHIC_MIN, name_cols = 0, cols;
	size_t n;

	if (!size)
		return 0;
	room = width > 1 ? width - 1 : 0; /* never write the last column */
	if (room > PROGRESS_LINE_MAX / 4)
		room = PROGRESS_LINE_MAX / 4; /* graphic cells take 3 bytes */
	bar_fields(f, v);
	spare = bar_choose(f, show, v, room);
	/* Spare columns: the graphic to 20 cells, the name in full, the
	 * graphic to 40, then what is left to the name (cut at its start). */
	if (show[BF_GRAPHIC])
		bar_grow(&inner, BAR_GRAPHIC_MID - BAR_GRAPHIC_MIN, &spare);
	if (show[BF_NAME]) {
		unsigned w = name_width(v->name, v->utf8);

		name_cols = BAR_NAME_MIN;
		bar_grow(&name_cols, w > BAR_NAME_MIN ? w - BAR_NAME_MIN : 0, &spare);
	}
	if (show[BF_GRAPHIC])
		bar_grow(&inner, BAR_GRAPHIC_MAX - inner, &spare);
	name_cols += spare;
	for (size_t i = 0; i < sizeof(bar_order) / sizeof(bar_order[0]); i++) {
		enum bar_field k = bar_order[i];

		if (!show[k])
			continue;
		if (k == BF_GRAPHIC) {
			n = bar_graphic(extra, inner, bar_fraction(v), v->utf8);
			bar_put(&l, extra, n, inner + 2);
		} else if (k == BF_NAME) {
			n = bar_name(extra, v->name, name_cols, v->utf8, &cols);
			bar_put(&l, extra, n, cols);
		} else {
			bar_put(&l, f[k], strlen(f[k]), (unsigned)strlen(f[k]));
		}
	}
	/* Percent and bytes wider than the room: cut (ASCII only there). */
	if (l.cols > room && l.len > room)
		l.len = room;
	buf[l.len] = '\0';
	return l.len;
}
