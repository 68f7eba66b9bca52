// SPDX-License-Identifier: MIT
/*
 * Text of the progress reporter: human units, the bar line laid out for a
 * terminal width, plain log lines, and the JSON objects of SPEC section 5.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pcopy/json.h"
#include "pcopy/report.h"
#include "report/render.h"

void progress_human(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%u B", (unsigned)bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* Three significant digits: the width stays steady as values grow. */
	if (v < 9.995)
		snprintf(buf, size, "%.2f %s", v, units[u]);
	else if (v < 99.95)
		snprintf(buf, size, "%.1f %s", v, units[u]);
	else
		snprintf(buf, size, "%.0f %s", v, units[u]);
}

void progress_duration(char *buf, size_t size, double secs)
{
	uint64_t s;

	if (!(secs >= 0)) {
		snprintf(buf, size, "--:--");
		return;
	}
	if (secs >= 100 * 3600.0) {
		snprintf(buf, size, ">99:59:59");
		return;
	}
	s = (uint64_t)secs;
	if (s >= 3600)
		snprintf(buf, size, "%u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
	else
		snprintf(buf, size, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

unsigned progress_percent(const struct progress_view *v)
{
	uint64_t done = v->bytes, total = v->bytes_total;

	if (!total) {
		done = v->files;
		total = v->files_total;
	}
	if (!total)
		return v->walk_done ? 100 : 0;
	if (done >= total)
		return 100;
	return (unsigned)((double)done * 100 / (double)total);
}

/* Bar fields, in the order they are dropped when the line is too wide. */
enum bar_field {
	BF_ELAPSED,
	BF_ERRORS,
	BF_FILES,
	BF_RATE,
	BF_ETA,
	BF_PERCENT, /* never dropped */
	BF_BYTES,   /* never dropped */
	NR_BAR_FIELDS
};

/* The order fields appear in on the line. */
static const enum bar_field bar_order[] = {
	BF_PERCENT, BF_BYTES, BF_FILES, BF_ERRORS, BF_RATE, BF_ETA, BF_ELAPSED,
};

#define BAR_FIELD_MAX 48
#define BAR_GRAPHIC_MIN 8 /* narrower than this is not worth drawing */
#define BAR_GRAPHIC_MAX 40

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

/* Fill @f with the text of every field ("" when a field has nothing to say). */
static void bar_fields(char f[NR_BAR_FIELDS][BAR_FIELD_MAX], const struct progress_view *v)
{
	const char *more = v->walk_done ? "" : "+"; /* totals still growing */
	char a[16];

	/*
	 * A percentage of a total that still grows says little (the walker
	 * runs just ahead of the copy, so it hovers near 100%): "--%" until
	 * the walk ends, and no graphic either.
	 */
	if (v->walk_done)
		snprintf(f[BF_PERCENT], BAR_FIELD_MAX, "%3u%%", progress_percent(v));
	else
		snprintf(f[BF_PERCENT], BAR_FIELD_MAX, " --%%");
	progress_bytes_pair(f[BF_BYTES], BAR_FIELD_MAX, v->bytes, v->bytes_total);
	strcat(f[BF_BYTES], more);
	snprintf(f[BF_FILES], BAR_FIELD_MAX, "%" PRIu64 "/%" PRIu64 "%s files", v->files,
		 v->files_total, more);
	f[BF_ERRORS][0] = '\0';
	if (v->errors)
		snprintf(f[BF_ERRORS], BAR_FIELD_MAX, "%" PRIu64 " error%s", v->errors,
			 v->errors == 1 ? "" : "s");
	f[BF_RATE][0] = '\0';
	if (v->rate >= 0) {
		progress_human(a, sizeof(a), (uint64_t)v->rate);
		snprintf(f[BF_RATE], BAR_FIELD_MAX, "%s/s", a);
	}
	progress_duration(a, sizeof(a), v->elapsed);
	if (v->finished) {
		snprintf(f[BF_ETA], BAR_FIELD_MAX, "done in %s", a);
		f[BF_ELAPSED][0] = '\0';
		return;
	}
	snprintf(f[BF_ELAPSED], BAR_FIELD_MAX, "%s elapsed", a);
	if (!v->walk_done) {
		snprintf(f[BF_ETA], BAR_FIELD_MAX, "scanning");
	} else {
		progress_duration(a, sizeof(a), v->eta);
		snprintf(f[BF_ETA], BAR_FIELD_MAX, "ETA %s", a);
	}
}

/* The graphic "[=====>    ]" of @inner cells for @percent. */
static size_t bar_graphic(char *out, unsigned inner, unsigned percent)
{
	unsigned full = inner * percent / 100, i;

	out[0] = '[';
	for (i = 0; i < inner; i++)
		out[1 + i] = i < full ? '=' : i == full ? '>' : ' ';
	out[1 + inner] = ']';
	return inner + 2;
}

/* Append @s to @buf (bounded by @size), with a space before unless first. */
static size_t bar_append(char *buf, size_t size, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (len && len + 1 < size)
		buf[len++] = ' ';
	if (len + n >= size)
		n = size - 1 - len;
	memcpy(buf + len, s, n);
	return len + n;
}

size_t progress_render_bar(char *buf, size_t size, const struct progress_view *v, unsigned width)
{
	char f[NR_BAR_FIELDS][BAR_FIELD_MAX], graphic[BAR_GRAPHIC_MAX + 3];
	size_t need = 0, len = 0, room, i;
	unsigned drop = 0;

	if (!size)
		return 0;
	room = width > 1 ? width - 1 : 0; /* never write the last column */
	if (room > size - 1)
		room = size - 1;
	bar_fields(f, v);
	for (i = 0; i < NR_BAR_FIELDS; i++)
		need += f[i][0] ? strlen(f[i]) + (need ? 1 : 0) : 0;
	/* The graphic goes first: it only shows when every field fits. */
	graphic[0] = '\0';
	if (v->walk_done && need + 1 + BAR_GRAPHIC_MIN + 2 <= room) {
		unsigned inner = room - need - 3;

		inner = inner > BAR_GRAPHIC_MAX ? BAR_GRAPHIC_MAX : inner;
		graphic[bar_graphic(graphic, inner, progress_percent(v))] = '\0';
	}
	while (need > room && drop < BF_PERCENT) {
		if (f[drop][0])
			need -= strlen(f[drop]) + 1;
		f[drop++][0] = '\0';
	}
	for (i = 0; i < sizeof(bar_order) / sizeof(bar_order[0]); i++) {
		if (f[bar_order[i]][0])
			len = bar_append(buf, room + 1, len, f[bar_order[i]]);
		if (bar_order[i] == BF_PERCENT && graphic[0])
			len = bar_append(buf, room + 1, len, graphic);
	}
	buf[len] = '\0';
	return len;
}

size_t progress_render_plain(char *buf, size_t size, const struct progress_view *v)
{
	const char *more = v->walk_done ? "" : "+";
	char done[16], total[16], rate[16], el[16], eta[24], pct[8] = "";
	int n;

	progress_human(done, sizeof(done), v->bytes);
	progress_human(total, sizeof(total), v->bytes_total);
	progress_human(rate, sizeof(rate), v->rate > 0 ? (uint64_t)v->rate : 0);
	progress_duration(el, sizeof(el), v->elapsed);
	if (!v->walk_done) {
		snprintf(eta, sizeof(eta), "scanning");
	} else {
		progress_duration(eta, sizeof(eta), v->eta);
		/* Only a final total makes a percentage (see bar_fields()). */
		snprintf(pct, sizeof(pct), "%u%%, ", progress_percent(v));
	}
	if (v->finished)
		n = snprintf(buf, size,
			     "pcopy: done: %s in %" PRIu64 " files, %s/s, %" PRIu64
			     " errors, elapsed %s",
			     done, v->files, rate, v->errors, el);
	else
		n = snprintf(buf, size,
			     "pcopy: %s%s of %s%s, %" PRIu64 " of %" PRIu64
			     "%s files, %s/s, %" PRIu64 " errors, elapsed %s, ETA %s",
			     pct, done, total, more, v->files, v->files_total, more, rate,
			     v->errors, el, eta);
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

void progress_render_json(struct json_buf *b, const char *event, const struct progress_view *v,
			  int exit_status)
{
	double rate = v->rate > 0 && isfinite(v->rate) ? v->rate : 0;

	json_addf(b,
		  "{\"event\":\"%s\",\"elapsed\":%.3f,\"bytes\":%" PRIu64
		  ",\"bytes_total\":%" PRIu64 ",\"files\":%" PRIu64 ",\"files_total\":%" PRIu64
		  ",\"errors\":%" PRIu64 ",\"rate\":%.0f,",
		  event, v->elapsed, v->bytes, v->bytes_total, v->files, v->files_total, v->errors,
		  rate);
	if (v->eta >= 0 && isfinite(v->eta))
		json_addf(b, "\"eta\":%.1f,", v->eta);
	else
		json_adds(b, "\"eta\":null,");
	json_addf(b, "\"walk_done\":%s", v->walk_done ? "true" : "false");
	if (exit_status >= 0)
		json_addf(b, ",\"exit\":%d", exit_status);
	json_adds(b, "}");
}

void progress_render_json_error(struct json_buf *b, const char *path, const char *message, int err)
{
	/* No error code: a warning (a worker lost), not a failed entry. */
	json_adds(b, err ? "{\"event\":\"error\"," : "{\"event\":\"warning\",");
	json_add_path(b, "path", path);
	json_adds(b, ",\"message\":");
	json_add_string(b, message, strlen(message));
	if (err)
		json_addf(b, ",\"errno\":%d", report_errno(err));
	json_adds(b, "}");
}

void progress_render_summary_json(struct json_buf *b, const struct progress_summary *s,
				  bool as_event)
{
	const uint64_t *c = s->snap->count;
	const char *backend = s->backend ? s->backend : "";
	char ranks[32] = "";

	json_adds(b, as_event ? "{\"event\":\"summary\",\"backend\":" : "{\"backend\":");
	json_add_string(b, backend, strlen(backend));
	if (s->ranks)
		snprintf(ranks, sizeof(ranks), ",\"ranks\":%u", s->ranks);
	json_addf(b,
		  "%s,\"jobs\":%u,\"elapsed\":%.3f,\"files\":%" PRIu64 ",\"dirs\":%" PRIu64
		  ",\"symlinks\":%" PRIu64 ",\"hardlinks\":%" PRIu64 ",\"specials\":%" PRIu64
		  ",\"bytes\":%" PRIu64,
		  ranks, s->jobs, s->snap->elapsed, c[PC_FILES], c[PC_DIRS], c[PC_SYMLINKS],
		  c[PC_HARDLINKS], c[PC_SPECIALS], c[PC_BYTES]);
	json_addf(b,
		  ",\"skipped\":{\"unchanged\":%" PRIu64 ",\"no_clobber\":%" PRIu64
		  ",\"excluded\":%" PRIu64 "}",
		  c[PC_SKIPPED_UNCHANGED], c[PC_SKIPPED_NO_CLOBBER], c[PC_SKIPPED_EXCLUDED]);
	/* SPEC 5's object, plus the counters of the options that were given. */
	if (s->deleting)
		json_addf(b, ",\"deleted\":%" PRIu64, c[PC_DELETED]);
	if (s->linking)
		json_addf(b, ",\"linked\":%" PRIu64, c[PC_LINKED]);
	json_addf(b, ",\"errors\":%" PRIu64 ",\"exit\":%d}\n", c[PC_ERRORS], s->exit_status);
}

void progress_render_summary_text(struct json_buf *b, const struct progress_summary *s)
{
	const uint64_t *c = s->snap->count;
	double el = s->snap->elapsed;
	char human[16];

	json_addf(b, "files:        %" PRIu64 "\n", c[PC_FILES]);
	json_addf(b, "directories:  %" PRIu64 "\n", c[PC_DIRS]);
	json_addf(b, "symlinks:     %" PRIu64 "\n", c[PC_SYMLINKS]);
	/* Rarer counters only when they say something. */
	if (c[PC_HARDLINKS])
		json_addf(b, "hard links:   %" PRIu64 "\n", c[PC_HARDLINKS]);
	if (c[PC_SPECIALS])
		json_addf(b, "specials:     %" PRIu64 "\n", c[PC_SPECIALS]);
	if (c[PC_SKIPPED_UNCHANGED] || c[PC_SKIPPED_NO_CLOBBER] || c[PC_SKIPPED_EXCLUDED])
		json_addf(b,
			  "skipped:      %" PRIu64 " unchanged, %" PRIu64 " no-clobber, %" PRIu64
			  " excluded\n",
			  c[PC_SKIPPED_UNCHANGED], c[PC_SKIPPED_NO_CLOBBER],
			  c[PC_SKIPPED_EXCLUDED]);
	if (c[PC_LINKED])
		json_addf(b, "linked:       %" PRIu64 "\n", c[PC_LINKED]);
	if (c[PC_DELETED])
		json_addf(b, "deleted:      %" PRIu64 "\n", c[PC_DELETED]);
	progress_human(human, sizeof(human), c[PC_BYTES]);
	json_addf(b, "bytes:        %" PRIu64 " (%s)\n", c[PC_BYTES], human);
	json_addf(b, "errors:       %" PRIu64 "\n", c[PC_ERRORS]);
	json_addf(b, "elapsed:      %.2f s\n", el);
	progress_human(human, sizeof(human), el > 0 ? (uint64_t)(c[PC_BYTES] / el) : 0);
	json_addf(b, "average rate: %s/s\n", human);
	if (s->ranks)
		json_addf(b, "backend:      %s (%u ranks x %u jobs)\n", s->backend ? s->backend : "none",
			  s->ranks, s->jobs);
	else
		json_addf(b, "backend:      %s (%u jobs)\n", s->backend ? s->backend : "none",
			  s->jobs);
}
