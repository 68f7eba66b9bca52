// SPDX-License-Identifier: MIT
/*
 * Unit tests of the ETA model (src/report/eta.c) and of the totals the
 * display takes from the counting scan, time driven by hand.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "report/eta.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			putchar('\n');                                                             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define TICK 0.25

/*
 * A copier with a true cost of @a s per file and @b s per byte, spending
 * share @small of each tick on small files (of @small_size bytes) and the
 * rest on big ones: feed @ticks ticks to @m from time *t.
 */
static void run(struct eta_model *m, double *t, uint64_t *files, uint64_t *bytes, double a,
		double b, double small, unsigned ticks)
{
	for (unsigned i = 0; i < ticks; i++) {
		double s = small < 0 ? (i % 3) / 2.0 : small; /* < 0: a varying mix */
		double nf = s * TICK / (a + 4096 * b);	      /* 4 KiB small files */

		*files += (uint64_t)nf;
		*bytes += (uint64_t)(nf * 4096 + (1 - s) * TICK / b);
		*t += TICK;
		eta_sample(m, *t, *files, *bytes);
	}
}

/* A mix of small and big files: both costs come out of the fit. */
static void test_costs(void)
{
	const double a = 2e-3, b = 1e-8; /* 500 files/s, 100 MB/s */
	uint64_t files = 0, bytes = 0;
	struct eta_model m;
	double t = 0, pf, pb, eta;

	eta_init(&m);
	eta_sample(&m, 0, 0, 0);
	CHECK(!eta_costs(&m, &pf, &pb), "costs before any sample");
	CHECK(eta_estimate(&m, 0, 10, 10) < 0, "an ETA before any sample");
	run(&m, &t, &files, &bytes, a, b, -1, 40);
	CHECK(eta_costs(&m, &pf, &pb), "no costs after 10 s");
	CHECK(fabs(pf / a - 1) < 0.05 && fabs(pb / b - 1) < 0.05, "costs %g s/file, %g s/B", pf,
	      pb);
	/* 1000 small files left take 2 s, 1 GB left 10 s: not the same bytes/s. */
	eta = eta_estimate(&m, t, 1000, 1000 * 4096);
	CHECK(fabs(eta - 1000 * (a + 4096 * b)) < 0.1, "small files: ETA %.2f", eta);
	eta_init(&m);
	eta_sample(&m, 0, 0, 0);
	t = files = bytes = 0;
	run(&m, &t, &files, &bytes, a, b, -1, 40);
	eta = eta_estimate(&m, t, 1, 1000000000);
	CHECK(fabs(eta - 10) < 0.5, "one big file: ETA %.2f", eta);
}

/* Files and bytes in step (same-size files): the ETA is still right. */
static void test_collinear(void)
{
	uint64_t files = 0, bytes = 0;
	struct eta_model m;
	double t = 0, eta;

	eta_init(&m);
	eta_sample(&m, 0, 0, 0);
	run(&m, &t, &files, &bytes, 2e-3, 1e-8, 1.0, 40);
	eta = eta_estimate(&m, t, 5000, 5000 * 4096);
	CHECK(fabs(eta / (5000 * (2e-3 + 4096e-8)) - 1) < 0.03, "same-size files: ETA %.2f", eta);
}

/*
 * The copy slows down 4x at once: the shown ETA counts down, then rises
 * towards the new estimate, each tick a share dt/(tau + dt) of the way and
 * never past it, and gets there within 30 s.
 */
static void test_smoothing(void)
{
	const double a = 2e-3, b = 1e-8;
	uint64_t files = 0, bytes = 0, left_f = 20000, left_b = 20000ull * 4096;
	struct eta_model m;
	double t = 0, prev, eta = 0, raw;

	eta_init(&m);
	eta_sample(&m, 0, 0, 0);
	run(&m, &t, &files, &bytes, a, b, 1.0, 40);
	prev = eta_estimate(&m, t, left_f, left_b);
	for (int i = 0; i < 120; i++) {
		double pred;

		double pf, pb, fit;

		run(&m, &t, &files, &bytes, 4 * a, 4 * b, 1.0, 1);
		CHECK(eta_costs(&m, &pf, &pb), "no costs");
		fit = pf * left_f + pb * left_b;
		eta = eta_estimate(&m, t, left_f, left_b);
		pred = fmax(prev - TICK, 0);
		CHECK(fabs(eta - pred) <= fabs(fit - pred) * TICK / (ETA_SHOW_TAU_S + TICK) + 1e-9,
		      "tick %d: %.3f after %.3f jumps more than the smoothing allows", i, eta,
		      prev);
		CHECK(eta >= fmin(pred, fit) - 1e-9 && eta <= fmax(pred, fit) + 1e-9,
		      "tick %d: %.3f overshoots", i, eta);
		prev = eta;
	}
	raw = 4 * (left_f * a + left_b * b);
	CHECK(fabs(eta / raw - 1) < 0.1, "ETA %.2f, not near %.2f after 30 s", eta, raw);
	/* A short ETA under a longer estimate rises, faster than time passes. */
	m.shown = 0.2;
	for (int i = 0; i < 10; i++)
		eta = eta_estimate(&m, t += 0.1, left_f, left_b);
	CHECK(eta > 1, "ETA %.2f: a short one does not rise towards %.2f", eta, raw);
}

/* The display's totals: the scan's until the walk ends, final once it is done. */
static void test_scan_totals(void)
{
	struct pcopy_opts o = { 0 };
	struct progress_snapshot snap;
	struct progress *p;

	o.progress = PROGRESS_JSON;
	p = progress_new(&o, 1, "thread", NULL);
	CHECK(progress_shown(p) && !progress_shown(NULL), "progress_shown");
	progress_add_total(p, PT_FILES, 10);
	progress_scan_add(p, 100, 1000);
	progress_snapshot(p, &snap);
	CHECK(snap.total[PT_FILES] == 10 && snap.scan_total[PT_FILES] == 100 &&
		      snap.scan_total[PT_BYTES] == 1000 && !snap.scan_done,
	      "scan totals apart from the walker's");
	progress_scan_done(p);
	progress_snapshot(p, &snap);
	CHECK(snap.scan_done && !snap.walk_done, "scan done, walk not");
	progress_scan_add(NULL, 1, 1);
	progress_scan_done(NULL);
	/* What the display makes of them is checked through JSON in test_progress. */
	o.progress = PROGRESS_NONE;
	fflush(stdout);
	progress_finish(&p, 0);
	p = progress_new(&o, 1, "thread", NULL);
	CHECK(!progress_shown(p), "no display under none");
	progress_finish(&p, 0);
}

int main(void)
{
	test_costs();
	test_collinear();
	test_smoothing();
	test_scan_totals();
	if (failures)
		printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
