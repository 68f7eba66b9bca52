// SPDX-License-Identifier: MIT
/*
 * The progress reporter: lock-free per-thread counters, a display thread
 * that wakes at most 10 times a second, and the one lock every line of
 * pcopy's output goes through so that nothing interleaves mid-line.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pcopy/bwlimit.h"
#include "pcopy/clock.h"
#include "pcopy/json.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/quote.h"
#include "pcopy/util.h"
#include "report/eta.h"
#include "report/render.h"

#define CACHE_LINE 64

/* Display intervals: the bar at 10 Hz, JSON for scripts, plain for logs. */
#define BAR_INTERVAL_NS (100 * 1000000ull)
#define JSON_INTERVAL_NS (250 * 1000000ull)
#define PLAIN_INTERVAL_NS (5000 * 1000000ull)
/* Time constant of the throughput average: steady, yet follows changes. */
#define RATE_TAU_S 3.0

/* One reporting thread's counters, alone on its cache lines. */
struct progress_slot {
	_Alignas(CACHE_LINE) _Atomic uint64_t count[NR_PROGRESS_COUNTERS];
};
_Static_assert(sizeof(struct progress_slot) % CACHE_LINE == 0, "slots share cache lines");

struct progress {
	struct progress_slot *slots; /* owned, nr_slots of them */
	unsigned nr_slots;
	struct bwlimit *bw; /* --bwlimit; owned (shared memory), or NULL */
	/* Written by the walker only; kept off the slots' cache lines. */
	_Alignas(CACHE_LINE) _Atomic uint64_t total[NR_PROGRESS_TOTALS];
	atomic_bool walk_done;
	/* Written by the counting scan's thread only. */
	_Alignas(CACHE_LINE) _Atomic uint64_t scan_total[NR_PROGRESS_TOTALS];
	atomic_bool scan_done;
	/* MPI: what the other ranks reported, added to every snapshot. */
	_Atomic uint64_t remote_count[NR_PROGRESS_COUNTERS];
	_Atomic uint64_t remote_total[NR_PROGRESS_TOTALS];
	unsigned ranks;			    /* MPI ranks for the summary; 0 outside MPI */
	progress_message_hook message_hook; /* set: messages go there, not to stderr */
	void *message_ctx;

	/* Settings, fixed by progress_new(). */
	_Alignas(CACHE_LINE) progress_clock_fn clock;
	uint64_t start_ns;
	enum progress_mode mode; /* PROGRESS_NONE under -q */
	enum summary_mode summary;
	bool json_errors;	  /* error lines as JSON objects */
	bool verbose;		  /* -v or --dry-run lines, not silenced */
	bool itemize;		  /* --itemize-changes lines, not silenced */
	bool deleting, linking;	  /* --delete, --link-dest: their summary keys */
	bool ansi;		  /* stderr is a terminal that knows ESC[K */
	bool out_on_bar_tty;	  /* stdout is the terminal the bar is on */
	bool utf8;		  /* the locale's charset is UTF-8: block graphics */
	unsigned columns;	  /* $COLUMNS, or 0 */
	unsigned jobs;		  /* -j, for the summary */
	const char *backend_name; /* borrowed, for the summary */

	/* Display state, under lock. */
	pthread_mutex_t lock; /* held while writing any line */
	pthread_cond_t wake;  /* signalled to stop the display thread */
	pthread_t thread;
	bool thread_running;
	bool stopping;
	size_t bar_len;	  /* columns the bar shows now; 0 = cleared */
	uint64_t last_ns; /* clock and bytes at the last rate sample */
	uint64_t last_bytes;
	double rate; /* smoothed bytes/s; < 0 before a sample */
	struct eta_model eta;
	/* The large file being copied (progress_large_file()), or NULL. */
	char *big_name;
	uint64_t big_size;
	uint64_t big_start; /* PC_BYTES when it was announced */
	int out_err;	    /* first failed write to stdout (-errno), or 0 */
};

/* The slot progress_count() writes in this thread (see progress_bind_slot). */
static _Thread_local unsigned slot_index;

/*
 * Zeroed memory on its own cache lines: malloc() aligns to 16 bytes only,
 * and the slots must not share a line. @size is a multiple of CACHE_LINE
 * (the size of a cache-line-aligned struct always is).
 */
static void *zalloc_aligned(size_t size)
{
	void *mem = aligned_alloc(CACHE_LINE, size);

	if (!mem)
		die("out of memory");
	return memset(mem, 0, size);
}

/* Whether stdout and stderr are the same terminal (-v lines meet the bar). */
static bool same_tty(void)
{
	struct stat out, err;

	if (!isatty(STDOUT_FILENO) || !isatty(STDERR_FILENO))
		return false;
	if (fstat(STDOUT_FILENO, &out) || fstat(STDERR_FILENO, &err))
		return true;
	return out.st_rdev == err.st_rdev;
}

/*
 * Whether the locale's character set is UTF-8, read from the environment
 * as setlocale(LC_CTYPE, "") would (pcopy never calls it: its messages
 * and quoting stay in the C locale).
 */
static bool locale_is_utf8(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" }, *v = NULL;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]) && !(v && *v); i++)
		v = getenv(vars[i]);
	return v && (strcasestr(v, "UTF-8") || strcasestr(v, "utf8"));
}

/* Read what the environment says about the terminal, once. */
static void progress_probe_terminal(struct progress *p)
{
	const char *term = getenv("TERM"), *cols = getenv("COLUMNS");

	p->utf8 = locale_is_utf8();

	p->ansi = isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb");
	p->out_on_bar_tty = same_tty();
	if (cols)
		p->columns = (unsigned)strtoul(cols, NULL, 10);
}

struct progress *progress_new(const struct pcopy_opts *opts, unsigned nr_slots,
			      const char *backend_name, progress_clock_fn clock)
{
	struct progress *p = zalloc_aligned(sizeof(*p));
	pthread_condattr_t attr;

	nr_slots = nr_slots ? nr_slots : 1;
	p->slots = zalloc_aligned(nr_slots * sizeof(*p->slots));
	p->nr_slots = nr_slots;
	p->clock = clock ? clock : clock_now_ns;
	p->start_ns = p->last_ns = p->clock();
	p->rate = -1;
	eta_init(&p->eta);
	/* The start is a sample: nothing done at time 0. */
	eta_sample(&p->eta, 0, 0, 0);
	if (opts) {
		p->mode = opts->quiet ? PROGRESS_NONE : opts->progress;
		p->json_errors = opts->progress == PROGRESS_JSON;
		p->summary = opts->summary;
		p->verbose = (opts->verbose || opts->dry_run) && !opts->quiet;
		p->itemize = opts->itemize && !opts->quiet;
		p->deleting = opts->delete_extraneous;
		p->linking = opts->nr_link_dests > 0;
		p->jobs = opts->jobs;
	}
	p->backend_name = backend_name;
	if (opts && opts->bwlimit)
		p->bw = bwlimit_new(opts->bwlimit);
	progress_probe_terminal(p);
	pthread_mutex_init(&p->lock, NULL);
	/* The display thread sleeps on real monotonic time, whatever @clock is. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	return p;
}

void progress_throttle(struct progress *p, uint64_t n)
{
	if (p && p->bw && n)
		bwlimit_consume(p->bw, n);
}

void progress_bind_slot(struct progress *p, unsigned slot)
{
	if (p)
		slot_index = slot % p->nr_slots;
}

/*
 * A relaxed add on this thread's own cache line: uncontended, a few
 * nanoseconds. It is an atomic read-modify-write all the same, so that
 * threads that never bound a slot can share slot 0 without losing counts.
 */
void progress_count(struct progress *p, enum progress_counter c, uint64_t n)
{
	unsigned slot = slot_index;

	if (!p)
		return;
	/* An index bound for a bigger reporter (tests make several): slot 0. */
	if (slot >= p->nr_slots)
		slot = 0;
	atomic_fetch_add_explicit(&p->slots[slot].count[c], n, memory_order_relaxed);
}

void progress_add_total(struct progress *p, enum progress_total t, uint64_t n)
{
	if (p)
		atomic_fetch_add_explicit(&p->total[t], n, memory_order_relaxed);
}

void progress_walk_done(struct progress *p)
{
	/* Release: whoever sees walk_done also sees the final totals. */
	if (p)
		atomic_store_explicit(&p->walk_done, true, memory_order_release);
}

bool progress_shown(const struct progress *p)
{
	return p && p->mode != PROGRESS_NONE;
}

void progress_scan_add(struct progress *p, uint64_t files, uint64_t bytes)
{
	if (!p)
		return;
	atomic_fetch_add_explicit(&p->scan_total[PT_FILES], files, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->scan_total[PT_BYTES], bytes, memory_order_relaxed);
}

void progress_scan_done(struct progress *p)
{
	if (p)
		atomic_store_explicit(&p->scan_done, true, memory_order_release);
}

void progress_snapshot(struct progress *p, struct progress_snapshot *snap)
{
	unsigned s, c;

	memset(snap, 0, sizeof(*snap));
	if (!p)
		return;
	snap->walk_done = atomic_load_explicit(&p->walk_done, memory_order_acquire);
	snap->scan_done = atomic_load_explicit(&p->scan_done, memory_order_acquire);
	for (c = 0; c < NR_PROGRESS_TOTALS; c++)
		snap->scan_total[c] = atomic_load_explicit(&p->scan_total[c], memory_order_relaxed);
	for (c = 0; c < NR_PROGRESS_TOTALS; c++)
		snap->total[c] = atomic_load_explicit(&p->total[c], memory_order_relaxed);
	for (s = 0; s < p->nr_slots; s++)
		for (c = 0; c < NR_PROGRESS_COUNTERS; c++)
			snap->count[c] +=
				atomic_load_explicit(&p->slots[s].count[c], memory_order_relaxed);
	for (c = 0; c < NR_PROGRESS_COUNTERS; c++)
		snap->count[c] += atomic_load_explicit(&p->remote_count[c], memory_order_relaxed);
	for (c = 0; c < NR_PROGRESS_TOTALS; c++)
		snap->total[c] += atomic_load_explicit(&p->remote_total[c], memory_order_relaxed);
	snap->elapsed = (double)(p->clock() - p->start_ns) / 1e9;
}

/* write(2) all of @buf, retrying short writes; errors are dropped. */
/* Returns 0 or the negative errno of a failed write. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Remember the first failed write to stdout (-v lines, the json summary):
 * the run then fails, as coreutils' close_stdout makes cp fail. */
static void note_stdout(struct progress *p, int fd, int err)
{
	if (err && fd == STDOUT_FILENO && !p->out_err)
		p->out_err = err;
}

/* Erase the bar if it is shown (lock held), so that a line can follow. */
static void bar_clear_locked(struct progress *p)
{
	char blank[PROGRESS_LINE_MAX + 2];

	if (!p->bar_len)
		return;
	if (p->ansi) {
		write_all(STDERR_FILENO, "\r\033[K", 4);
	} else {
		/* No escape sequences: overwrite with spaces. */
		blank[0] = '\r';
		memset(blank + 1, ' ', p->bar_len);
		blank[p->bar_len + 1] = '\r';
		write_all(STDERR_FILENO, blank, p->bar_len + 2);
	}
	p->bar_len = 0;
}

/* Columns of the terminal now: re-read at each redraw, so SIGWINCH needs no handler. */
static unsigned bar_width(const struct progress *p)
{
	struct winsize ws;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	return p->columns ? p->columns : 80;
}

/* Columns of @len bytes of UTF-8 @s: its characters (the bar is one line). */
static size_t line_columns(const char *s, size_t len)
{
	size_t cols = 0;

	for (size_t i = 0; i < len; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

/* Draw @line over the bar (lock held); @final ends it with a newline. */
static void bar_draw_locked(struct progress *p, const char *line, size_t len, bool final)
{
	char buf[2 * PROGRESS_LINE_MAX + 8];
	size_t n = 0, cols = line_columns(line, len);

	buf[n++] = '\r';
	memcpy(buf + n, line, len);
	n += len;
	if (p->ansi) {
		memcpy(buf + n, "\033[K", 3);
		n += 3;
	} else {
		/* Pad over the rest of a longer previous line. */
		for (size_t c = cols; c < p->bar_len && n < sizeof(buf) - 1; c++)
			buf[n++] = ' ';
	}
	if (final)
		buf[n++] = '\n';
	write_all(STDERR_FILENO, buf, n);
	p->bar_len = final ? 0 : cols;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * The large file announced last, if it is likely still the one being
 * copied and big enough to dominate: a quarter of all bytes, or five
 * seconds of copying at the current rate.
 */
static const char *big_file_shown(const struct progress *p, const struct progress_view *v)
{
	uint64_t since;

	if (!p->big_name || v->finished)
		return NULL;
	since = v->bytes - p->big_start;
	if (v->bytes < p->big_start || since >= p->big_size)
		return NULL;
	if (p->big_size * 4 >= v->bytes_total || (p->rate > 0 && p->big_size >= p->rate * 5))
		return p->big_name;
	return NULL;
}

/*
 * The view of @snap for display (lock held, rate and ETA model already
 * sampled). Until the walk ends the totals are the larger of the walker's
 * and the counting scan's, final once the scan is done; then the walker's.
 * Totals never show less than what is done: a worker's count can be seen
 * before the walker's total, and a file can grow while it is copied.
 */
static void progress_view_of(struct progress *p, const struct progress_snapshot *snap,
			     struct progress_view *v)
{
	uint64_t files_total = snap->total[PT_FILES], bytes_total = snap->total[PT_BYTES];

	memset(v, 0, sizeof(*v));
	if (!snap->walk_done) {
		files_total = max_u64(files_total, snap->scan_total[PT_FILES]);
		bytes_total = max_u64(bytes_total, snap->scan_total[PT_BYTES]);
	}
	v->bytes = snap->count[PC_BYTES];
	v->files = snap->count[PC_FILES];
	v->errors = snap->count[PC_ERRORS];
	v->bytes_total = max_u64(bytes_total, v->bytes);
	v->files_total = max_u64(files_total, v->files);
	v->walk_done = snap->walk_done;
	v->totals_final = snap->walk_done || snap->scan_done;
	v->elapsed = snap->elapsed;
	v->rate = p->rate;
	v->utf8 = p->utf8;
	v->eta = -1;
	/* The ETA is only honest once the totals are final. */
	if (v->totals_final)
		v->eta = eta_estimate(&p->eta, snap->elapsed, v->files_total - v->files,
				      v->bytes_total - v->bytes);
	v->name = big_file_shown(p, v);
}

/* Fold the bytes done since the last sample into the moving average. */
static void rate_sample_locked(struct progress *p, uint64_t bytes, uint64_t now)
{
	double dt = (double)(now - p->last_ns) / 1e9, inst;

	if (now <= p->last_ns || bytes < p->last_bytes)
		return;
	inst = (double)(bytes - p->last_bytes) / dt;
	/* dt/(tau+dt) is 1-exp(-dt/tau) to first order: tick-rate independent. */
	if (p->rate < 0)
		p->rate = inst;
	else
		p->rate += (inst - p->rate) * dt / (RATE_TAU_S + dt);
	p->last_ns = now;
	p->last_bytes = bytes;
}

/* Write @v in the display mode (lock held); @exit_status >= 0 is the end. */
static void progress_show_locked(struct progress *p, const struct progress_view *v, int exit_status)
{
	char line[PROGRESS_LINE_MAX];
	struct json_buf b;
	size_t len;

	switch (p->mode) {
	case PROGRESS_BAR:
		len = progress_render_bar(line, sizeof(line), v, bar_width(p));
		bar_draw_locked(p, line, len, exit_status >= 0);
		break;
	case PROGRESS_PLAIN:
		len = progress_render_plain(line, sizeof(line) - 1, v);
		line[len++] = '\n';
		write_all(STDERR_FILENO, line, len);
		break;
	case PROGRESS_JSON:
		json_buf_init(&b);
		progress_render_json(&b, exit_status >= 0 ? "done" : "progress", v, exit_status);
		json_add(&b, "\n", 1);
		write_all(STDERR_FILENO, b.buf, b.len);
		json_buf_release(&b);
		break;
	case PROGRESS_NONE:
		break;
	}
}

void progress_tick(struct progress *p)
{
	struct progress_snapshot snap;
	struct progress_view v;

	if (!p || p->mode == PROGRESS_NONE)
		return;
	progress_snapshot(p, &snap);
	pthread_mutex_lock(&p->lock);
	rate_sample_locked(p, snap.count[PC_BYTES], p->start_ns + (uint64_t)(snap.elapsed * 1e9));
	eta_sample(&p->eta, snap.elapsed, snap.count[PC_FILES], snap.count[PC_BYTES]);
	progress_view_of(p, &snap, &v);
	progress_show_locked(p, &v, -1);
	pthread_mutex_unlock(&p->lock);
}

static uint64_t progress_interval(const struct progress *p)
{
	switch (p->mode) {
	case PROGRESS_BAR:
		return BAR_INTERVAL_NS;
	case PROGRESS_JSON:
		return JSON_INTERVAL_NS;
	default:
		return PLAIN_INTERVAL_NS;
	}
}

/* The display thread: one tick per interval until progress_finish(). */
static void *progress_display(void *arg)
{
	struct progress *p = arg;
	uint64_t interval = progress_interval(p), deadline = clock_now_ns();
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		deadline += interval;
		ts.tv_sec = deadline / 1000000000u;
		ts.tv_nsec = deadline % 1000000000u;
		while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &ts) != ETIMEDOUT)
			;
		if (p->stopping)
			break;
		pthread_mutex_unlock(&p->lock);
		progress_tick(p);
		pthread_mutex_lock(&p->lock);
		/* After a stall (suspended, slow terminal) do not catch up. */
		if (deadline + interval < clock_now_ns())
			deadline = clock_now_ns();
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void progress_start(struct progress *p)
{
	sigset_t all, old;

	if (!p || p->mode == PROGRESS_NONE || p->thread_running)
		return;
	/* Signals belong to the threads that handle them, not the display. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->thread_running = !pthread_create(&p->thread, NULL, progress_display, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Write one whole line to @fd under the output lock, clearing the bar. */
static void progress_write_line(struct progress *p, int fd, const char *line, size_t len)
{
	if (!p) {
		(void)write_all(fd, line, len);
		return;
	}
	pthread_mutex_lock(&p->lock);
	/* The bar redraws at the next tick, below the new line. */
	if (fd == STDERR_FILENO || p->out_on_bar_tty)
		bar_clear_locked(p);
	note_stdout(p, fd, write_all(fd, line, len));
	pthread_mutex_unlock(&p->lock);
}

void progress_verbose(struct progress *p, const char *src, const char *dst)
{
	progress_verbose_backup(p, src, dst, NULL);
}

void progress_verbose_backup(struct progress *p, const char *src, const char *dst,
			     const char *backup)
{
	char *qs, *qd, *qb, *line;

	if (p && !p->verbose)
		return;
	qs = quote_name(src, true);
	qd = quote_name(dst, true);
	qb = backup ? quote_name(backup, true) : NULL;
	line = qb ? xasprintf("%s -> %s (backup: %s)\n", qs, qd, qb)
		  : xasprintf("%s -> %s\n", qs, qd);
	free(qb);
	progress_write_line(p, STDOUT_FILENO, line, strlen(line));
	free(line);
	free(qd);
	free(qs);
}

void progress_verbose_action(struct progress *p, const char *verb, const char *path)
{
	char *qp, *line;

	if (p && !p->verbose)
		return;
	qp = quote_name(path, false);
	line = xasprintf("%s %s\n", verb, qp);
	progress_write_line(p, STDOUT_FILENO, line, strlen(line));
	free(line);
	free(qp);
}

void progress_itemize(struct progress *p, const char *code, const char *path, const char *suffix)
{
	char *qp, *line;

	if (p && !p->itemize)
		return;
	qp = quote_name(path, false);
	line = xasprintf("%s %s%s\n", code, qp, suffix);
	progress_write_line(p, STDOUT_FILENO, line, strlen(line));
	free(line);
	free(qp);
}

void progress_debug(struct progress *p, const char *text)
{
	char *line = xasprintf("%s\n", text);

	progress_write_line(p, STDOUT_FILENO, line, strlen(line));
	free(line);
}

void progress_large_file(struct progress *p, const char *path, uint64_t size)
{
	struct progress_snapshot snap;

	if (!progress_shown(p))
		return;
	progress_snapshot(p, &snap);
	pthread_mutex_lock(&p->lock);
	/* The newest: the walker is at most a queue of jobs ahead. */
	free(p->big_name);
	p->big_name = xstrdup(path);
	p->big_size = size;
	p->big_start = snap.count[PC_BYTES];
	pthread_mutex_unlock(&p->lock);
}

void progress_local_snapshot(struct progress *p, struct progress_snapshot *snap)
{
	progress_snapshot(p, snap);
	if (!p)
		return;
	for (unsigned c = 0; c < NR_PROGRESS_COUNTERS; c++)
		snap->count[c] -= atomic_load_explicit(&p->remote_count[c], memory_order_relaxed);
	for (unsigned c = 0; c < NR_PROGRESS_TOTALS; c++)
		snap->total[c] -= atomic_load_explicit(&p->remote_total[c], memory_order_relaxed);
}

void progress_set_remote(struct progress *p, const uint64_t count[NR_PROGRESS_COUNTERS],
			 const uint64_t total[NR_PROGRESS_TOTALS])
{
	if (!p)
		return;
	for (unsigned c = 0; c < NR_PROGRESS_COUNTERS; c++)
		atomic_store_explicit(&p->remote_count[c], count[c], memory_order_relaxed);
	for (unsigned c = 0; c < NR_PROGRESS_TOTALS; c++)
		atomic_store_explicit(&p->remote_total[c], total[c], memory_order_relaxed);
}

void progress_set_ranks(struct progress *p, unsigned ranks)
{
	if (p)
		p->ranks = ranks;
}

void progress_set_message_hook(struct progress *p, progress_message_hook hook, void *ctx)
{
	if (!p)
		return;
	p->message_ctx = ctx;
	p->message_hook = hook;
}

void progress_message_worded(struct progress *p, const char *path, const char *message, int err)
{
	struct json_buf b;

	if (p && (p->message_hook || p->json_errors)) {
		progress_message(p, path, message, err);
		return;
	}
	json_buf_init(&b);
	json_addf(&b, "%s: %s\n", prog_name(), message);
	progress_write_line(p, STDERR_FILENO, b.buf, b.len);
	json_buf_release(&b);
}

void progress_message(struct progress *p, const char *path, const char *message, int err)
{
	struct json_buf b;
	char *q;

	if (p && p->message_hook) {
		p->message_hook(p->message_ctx, path, message, err);
		return;
	}
	json_buf_init(&b);
	if (p && p->json_errors) {
		progress_render_json_error(&b, path, message, err);
	} else if (path) {
		q = quote_name(path, false);
		json_addf(&b, "%s: %s: %s", prog_name(), q, message);
		free(q);
	} else {
		json_addf(&b, "%s: %s", prog_name(), message);
	}
	json_add(&b, "\n", 1);
	progress_write_line(p, STDERR_FILENO, b.buf, b.len);
	json_buf_release(&b);
}

/* Print the --summary, if one was asked for (even under -q). */
static void progress_print_summary(struct progress *p, const struct progress_snapshot *snap,
				   int exit_status)
{
	struct progress_summary s = {
		.snap = snap,
		.backend = p->backend_name,
		.jobs = p->jobs,
		.ranks = p->ranks,
		.exit_status = exit_status,
		.deleting = p->deleting,
		.linking = p->linking,
	};
	struct json_buf b;

	if (p->summary == SUMMARY_NONE)
		return;
	json_buf_init(&b);
	if (p->summary == SUMMARY_JSON) {
		progress_render_summary_json(&b, &s, false);
		note_stdout(p, STDOUT_FILENO, write_all(STDOUT_FILENO, b.buf, b.len));
	} else if (p->json_errors) {
		/* Keep stderr all JSON: the text summary becomes an event. */
		progress_render_summary_json(&b, &s, true);
		write_all(STDERR_FILENO, b.buf, b.len);
	} else {
		progress_render_summary_text(&b, &s);
		write_all(STDERR_FILENO, b.buf, b.len);
	}
	json_buf_release(&b);
}

/* Stop and join the display thread, if it runs. */
static void progress_stop(struct progress *p)
{
	if (!p->thread_running)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->thread_running = false;
}

int progress_finish(struct progress **pp, int exit_status)
{
	struct progress *p = *pp;
	struct progress_snapshot snap;
	struct progress_view v;
	int out_err;

	if (!p)
		return 0;
	progress_stop(p);
	progress_snapshot(p, &snap);
	/* The last line and the summary count what was copied: the content
	 * of the files copied, not every byte moved on the way (a failed
	 * file's data, chunks redone after a worker died). */
	snap.count[PC_BYTES] = snap.count[PC_FILE_BYTES];
	pthread_mutex_lock(&p->lock);
	/* The last line shows the whole run: average rate, nothing left. */
	p->rate = snap.elapsed > 0 ? (double)snap.count[PC_BYTES] / snap.elapsed : 0;
	progress_view_of(p, &snap, &v);
	v.finished = true;
	v.eta = 0;
	progress_show_locked(p, &v, exit_status < 0 ? 0 : exit_status);
	pthread_mutex_unlock(&p->lock);
	progress_print_summary(p, &snap, exit_status);
	out_err = p->out_err;
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->big_name);
	free(p->slots);
	bwlimit_free(&p->bw);
	free(p);
	*pp = NULL;
	return out_err;
}
