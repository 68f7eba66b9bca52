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
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
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
		return v->totals_final ? 100 : 0;
	if (done >= total)
		return 100;
	return (unsigned)((double)done * 100 / (double)total);
}

size_t progress_render_plain(char *buf, size_t size, const struct progress_view *v)
{
	const char *more = v->totals_final ? "" : "+";
	char done[16], total[16], rate[16], el[16], eta[24], pct[8] = "";
	int n;

	progress_human(done, sizeof(done), v->bytes);
	progress_human(total, sizeof(total), v->bytes_total);
	progress_human(rate, sizeof(rate), v->rate > 0 ? (uint64_t)v->rate : 0);
	progress_duration(el, sizeof(el), v->elapsed);
	if (!v->totals_final) {
		snprintf(eta, sizeof(eta), "scanning");
	} else {
		progress_duration(eta, sizeof(eta), v->eta);
		/* Only a final total makes a percentage. */
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
	json_addf(b, "\"walk_done\":%s,\"totals_final\":%s", v->walk_done ? "true" : "false",
		  v->totals_final ? "true" : "false");
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
		json_addf(b, "backend:      %s (%u ranks x %u jobs)\n",
			  s->backend ? s->backend : "none", s->ranks, s->jobs);
	else
		json_addf(b, "backend:      %s (%u jobs)\n", s->backend ? s->backend : "none",
			  s->jobs);
}
