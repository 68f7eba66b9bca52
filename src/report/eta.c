// SPDX-License-Identifier: MIT
/* The ETA model: see eta.h. */
#include <math.h>

#include "report/eta.h"

/* Ridge weight, relative to each variable's own scale: keeps the 2x2 solve
 * stable when files and bytes move in step (a tree of same-size files). */
#define ETA_RIDGE 0.01
/* Bounds of a sample's weight (see eta_weight()). */
#define ETA_WEIGHT_MIN 0.01
#define ETA_WEIGHT_MAX 100.0

void eta_init(struct eta_model *m)
{
	*m = (struct eta_model){ .shown = -1 };
}

/*
 * The weight of a sample: (dt / predicted dt)^2 at the costs fitted so
 * far, so that residuals count relative to the work of their tick. Plain
 * least squares would let the ticks that did the most work (the fast ones)
 * dominate, and a copy that slows down would take many time constants to
 * show it.
 */
static double eta_weight(const struct eta_model *m, double dt, double df, double db)
{
	double a, b, pred, w;

	if (!eta_costs(m, &a, &b))
		return 1;
	pred = a * df + b * db;
	if (!(pred > 0))
		return 1;
	w = (dt / pred) * (dt / pred);
	return w < ETA_WEIGHT_MIN ? ETA_WEIGHT_MIN : w > ETA_WEIGHT_MAX ? ETA_WEIGHT_MAX : w;
}

void eta_sample(struct eta_model *m, double t, uint64_t files, uint64_t bytes)
{
	double dt, df, db, keep, w;

	if (!m->started || t <= m->last_t || files < m->last_files || bytes < m->last_bytes) {
		if (!m->started || t > m->last_t) {
			m->started = true;
			m->last_t = t;
			m->last_files = files;
			m->last_bytes = bytes;
		}
		return;
	}
	dt = t - m->last_t;
	df = (double)(files - m->last_files);
	db = (double)(bytes - m->last_bytes);
	keep = exp(-dt / ETA_FIT_TAU_S);
	w = eta_weight(m, dt, df, db);
	m->sff = m->sff * keep + w * df * df;
	m->sfb = m->sfb * keep + w * df * db;
	m->sbb = m->sbb * keep + w * db * db;
	m->sft = m->sft * keep + w * df * dt;
	m->sbt = m->sbt * keep + w * db * dt;
	m->sampled += dt;
	m->last_t = t;
	m->last_files = files;
	m->last_bytes = bytes;
}

/*
 * Least squares of dt ~ a*df + b*db with a, b >= 0: the 2x2 normal
 * equations (ridge-damped); when one cost comes out negative, the best fit
 * is on that boundary and the other variable alone explains the time.
 */
bool eta_costs(const struct eta_model *m, double *per_file, double *per_byte)
{
	double aff = m->sff * (1 + ETA_RIDGE), abb = m->sbb * (1 + ETA_RIDGE);
	double det = aff * abb - m->sfb * m->sfb, a = 0, b = 0;

	if (m->sampled < ETA_MIN_SAMPLED_S || (m->sff <= 0 && m->sbb <= 0))
		return false;
	if (m->sff > 0 && m->sbb > 0 && det > 0) {
		a = (m->sft * abb - m->sbt * m->sfb) / det;
		b = (m->sbt * aff - m->sft * m->sfb) / det;
	}
	if (!(a > 0 && b > 0)) {
		/* One variable alone: the one that fits better (or exists). */
		double fa = m->sff > 0 ? m->sft * m->sft / m->sff : -1;
		double fb = m->sbb > 0 ? m->sbt * m->sbt / m->sbb : -1;

		a = fa >= fb ? m->sft / m->sff : 0;
		b = fa >= fb ? 0 : m->sbt / m->sbb;
	}
	*per_file = a > 0 && isfinite(a) ? a : 0;
	*per_byte = b > 0 && isfinite(b) ? b : 0;
	return *per_file > 0 || *per_byte > 0;
}

double eta_estimate(struct eta_model *m, double t, uint64_t files_left, uint64_t bytes_left)
{
	double a, b, raw, dt, pred, step;

	if (!eta_costs(m, &a, &b))
		return m->shown >= 0 ? fmax(m->shown - (t - m->shown_t), 0) : -1;
	raw = a * (double)files_left + b * (double)bytes_left;
	if (!files_left && !bytes_left)
		raw = 0;
	if (m->shown < 0) {
		m->shown = raw;
		m->shown_t = t;
		return raw;
	}
	dt = t > m->shown_t ? t - m->shown_t : 0;
	/* Count down in real time, then move a share of the way to the fit:
	 * an exponential average of time constant ETA_SHOW_TAU_S. */
	pred = fmax(m->shown - dt, 0);
	step = (raw - pred) * dt / (ETA_SHOW_TAU_S + dt);
	m->shown = fmax(pred + step, 0);
	m->shown_t = t;
	return m->shown;
}
