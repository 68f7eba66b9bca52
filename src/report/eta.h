/* SPDX-License-Identifier: MIT */
/*
 * The ETA model, private to progress.c and its unit test: the time left is
 * seconds-per-file times the files left plus seconds-per-byte times the
 * bytes left (many small files and a few big ones do not go at the same
 * byte rate). Both costs come from a least-squares fit of the time between
 * samples against the files and bytes done in it, older samples weighed
 * down exponentially; the shown ETA counts down in real time and moves
 * towards the fitted one only as fast as the smoothing allows. Pure
 * arithmetic: time is passed in, never read.
 */
#ifndef PCOPY_PROGRESS_ETA_H
#define PCOPY_PROGRESS_ETA_H

#include <stdbool.h>
#include <stdint.h>

/* Time constant of the fit (seconds): older samples weigh e^(-age/tau). */
#define ETA_FIT_TAU_S 4.0
/* Time constant of the shown ETA's approach to the fitted one. */
#define ETA_SHOW_TAU_S 3.0
/* No ETA before this much time was sampled. */
#define ETA_MIN_SAMPLED_S 0.5

struct eta_model {
	/* Decayed sums of the normal equations: f files, b bytes, t seconds. */
	double sff, sfb, sbb, sft, sbt;
	double sampled; /* seconds covered by the samples */
	double last_t;	/* time of the last sample */
	uint64_t last_files, last_bytes;
	bool started;	/* a first sample was taken */
	double shown;	/* the ETA last returned; < 0: none yet */
	double shown_t; /* when */
};

void eta_init(struct eta_model *m);

/* Feed the counters (files and bytes done so far) at time @t seconds. */
void eta_sample(struct eta_model *m, double t, uint64_t files, uint64_t bytes);

/* Fitted seconds per file and per byte, each >= 0; false while unknown. */
bool eta_costs(const struct eta_model *m, double *per_file, double *per_byte);

/*
 * The smoothed ETA at time @t for what is left, or -1 while unknown. Each
 * call moves the shown value: call it once per display tick. Between two
 * calls dt apart it goes from "the last value minus dt" a share
 * dt/(ETA_SHOW_TAU_S + dt) of the way to the fitted estimate, no further.
 */
double eta_estimate(struct eta_model *m, double t, uint64_t files_left, uint64_t bytes_left);

#endif /* PCOPY_PROGRESS_ETA_H */
