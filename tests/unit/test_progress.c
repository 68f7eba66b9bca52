// SPDX-License-Identifier: MIT
/*
 * Unit tests for the progress reporter: lock-free counters under threads,
 * rendering (human units, bar layout at 80/40/20 columns), and the output
 * of every mode driven by an injected clock (git's progress_test_ns idea).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcopy/json.h"
#include "pcopy/options.h"
#include "pcopy/progress.h"
#include "pcopy/report.h"
#include "report/render.h"

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

#define CHECK_STR(got, want)                                                                       \
	CHECK(!strcmp((got), (want)), "got\n  [%s]\nwant\n  [%s]", (got), (want))

#define SEC 1000000000ull

/* The injected clock: tests move it by hand. */
static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	return fake_ns;
}

/* ---- capturing stdout / stderr ---- */

struct capture {
	int fd;	   /* the descriptor redirected */
	int saved; /* its original, restored by capture_end() */
	FILE *tmp;
};

static void capture_begin(struct capture *c, int fd)
{
	fflush(stdout);
	c->fd = fd;
	c->tmp = tmpfile();
	c->saved = dup(fd);
	dup2(fileno(c->tmp), fd);
}

/* Restore the descriptor and return what was written to it (malloc'd). */
static char *capture_end(struct capture *c)
{
	long len;
	char *buf;

	fflush(stdout);
	dup2(c->saved, c->fd);
	close(c->saved);
	len = ftell(c->tmp) >= 0 ? lseek(fileno(c->tmp), 0, SEEK_END) : 0;
	buf = calloc(1, (size_t)len + 1);
	if (pread(fileno(c->tmp), buf, (size_t)len, 0) != len)
		CHECK(0, "short read of the capture");
	fclose(c->tmp);
	return buf;
}

/* ---- counters ---- */

#define NR_THREADS 8
#define NR_ADDS 200000

struct worker {
	struct progress *p;
	unsigned slot; /* UINT32_MAX: never bind (share slot 0) */
};

static void *count_worker(void *arg)
{
	struct worker *w = arg;

	if (w->slot != UINT32_MAX)
		progress_bind_slot(w->p, w->slot);
	for (unsigned i = 0; i < NR_ADDS; i++) {
		progress_count(w->p, PC_BYTES, 3);
		progress_count(w->p, PC_FILES, 1);
	}
	return NULL;
}

/* Snapshots taken while workers run never go backwards. */
static void *snapshot_reader(void *arg)
{
	struct progress_snapshot prev = { 0 }, snap;
	struct progress *p = arg;

	for (int i = 0; i < 20000; i++) {
		progress_snapshot(p, &snap);
		for (int c = 0; c < NR_PROGRESS_COUNTERS; c++)
			if (snap.count[c] < prev.count[c])
				return (void *)1;
		prev = snap;
	}
	return NULL;
}

static void test_counters(bool bind)
{
	struct progress *p = progress_new(NULL, NR_THREADS, "thread", NULL);
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS], reader;
	struct progress_snapshot snap;
	void *backwards;

	pthread_create(&reader, NULL, snapshot_reader, p);
	for (unsigned i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .p = p, .slot = bind ? i : UINT32_MAX };
		pthread_create(&t[i], NULL, count_worker, &w[i]);
	}
	for (unsigned i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_join(reader, &backwards);
	progress_snapshot(p, &snap);
	CHECK(!backwards, "a snapshot went backwards (bind=%d)", bind);
	CHECK(snap.count[PC_BYTES] == 3ull * NR_ADDS * NR_THREADS, "bytes %llu (bind=%d)",
	      (unsigned long long)snap.count[PC_BYTES], bind);
	CHECK(snap.count[PC_FILES] == (uint64_t)NR_ADDS * NR_THREADS, "files %llu",
	      (unsigned long long)snap.count[PC_FILES]);
	CHECK(snap.count[PC_ERRORS] == 0, "errors %llu", (unsigned long long)snap.count[PC_ERRORS]);
	progress_finish(&p, 0);
	CHECK(p == NULL, "progress_finish() must clear the pointer");
}

static void test_totals_and_null(void)
{
	struct progress *p = progress_new(NULL, 1, "thread", fake_clock);
	struct progress_snapshot snap;

	fake_ns = 5 * SEC;
	progress_finish(&p, 0);
	p = progress_new(NULL, 2, "thread", fake_clock);
	progress_add_total(p, PT_FILES, 3);
	progress_add_total(p, PT_BYTES, 300);
	progress_bind_slot(p, 7); /* out of range: wraps, never overflows */
	progress_count(p, PC_DIRS, 2);
	progress_bind_slot(p, 0);
	fake_ns += 2 * SEC;
	progress_snapshot(p, &snap);
	CHECK(snap.total[PT_FILES] == 3 && snap.total[PT_BYTES] == 300, "totals");
	CHECK(snap.count[PC_DIRS] == 2, "dirs %llu", (unsigned long long)snap.count[PC_DIRS]);
	CHECK(!snap.walk_done, "walk not done yet");
	CHECK(snap.elapsed == 2.0, "elapsed %f from the injected clock", snap.elapsed);
	progress_walk_done(p);
	progress_snapshot(p, &snap);
	CHECK(snap.walk_done, "walk done");
	progress_finish(&p, 0);

	/* Every entry point accepts NULL. */
	progress_start(NULL);
	progress_bind_slot(NULL, 1);
	progress_count(NULL, PC_BYTES, 1);
	progress_add_total(NULL, PT_BYTES, 1);
	progress_walk_done(NULL);
	progress_snapshot(NULL, &snap);
	CHECK(snap.count[PC_BYTES] == 0, "NULL snapshot is zero");
	progress_finish(&p, 0);
}

/* ---- report.c ---- */

static void test_report(void)
{
	struct progress *p = progress_new(NULL, 2, "thread", NULL);
	struct progress_snapshot snap;
	struct capture c;
	char *out;

	for (int code = PCOPY_EBASE + 1; code < PCOPY_EMAX; code++) {
		const char *msg = report_strerror(-code);

		CHECK(strcmp(msg, "Unknown error") && strcmp(msg, "internal error"),
		      "no message for code %d", code);
		CHECK(report_errno(-code) > 0 && report_errno(-code) < PCOPY_EBASE,
		      "errno %d for code %d", report_errno(-code), code);
	}
	CHECK_STR(report_strerror(-EACCES), "Permission denied");
	CHECK_STR(report_strerror(-PCOPY_ECHANGED), "file changed as we read it");
	CHECK_STR(report_strerror(-PCOPY_EOVERWRITE_DIR),
		  "cannot overwrite directory with non-directory");
	CHECK_STR(report_strerror(-99999), "Unknown error");
	CHECK(report_errno(-EACCES) == EACCES, "EACCES stays");
	CHECK(report_errno(-PCOPY_EOVERWRITE_DIR) == EISDIR, "EOVERWRITE_DIR is EISDIR");
	CHECK(report_errno(-PCOPY_EVANISHED) == ENOENT, "EVANISHED is ENOENT");
	CHECK(report_errno(-PCOPY_EBASE) == EIO, "not a code: EIO");

	/* Counted in the caller's slot, printed as "pcopy: PATH: MESSAGE". */
	capture_begin(&c, STDERR_FILENO);
	progress_bind_slot(p, 1);
	report_error(p, "a\nb", -ENOSPC);
	report_error_msg(p, "x", -EIO, "content differs");
	progress_bind_slot(p, 0);
	report_error(NULL, "z", -EPERM); /* no reporter: printed, not counted */
	out = capture_end(&c);
	progress_snapshot(p, &snap);
	CHECK(snap.count[PC_ERRORS] == 2, "%llu errors", (unsigned long long)snap.count[PC_ERRORS]);
	CHECK_STR(out, "pcopy: 'a'$'\\n''b': No space left on device\n"
		       "pcopy: x: content differs\n"
		       "pcopy: z: Operation not permitted\n");
	free(out);
	progress_finish(&p, 1);
}

/* ---- rendering ---- */

static void test_human(void)
{
	static const struct {
		uint64_t n;
		const char *want;
	} t[] = {
		{ 0, "0 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.00 KiB" },
		{ 1536, "1.50 KiB" },
		{ 10189, "9.95 KiB" }, /* 9.9502: still two decimals */
		{ 10236, "10.0 KiB" }, /* 9.996 rounds up: one decimal */
		{ 10 * 1024, "10.0 KiB" },
		{ 102348, "99.9 KiB" },
		{ 102349, "100 KiB" }, /* 99.9502 */
		{ 100 * 1024, "100 KiB" },
		{ 1023 * 1024, "1023 KiB" },
		{ 1 << 20, "1.00 MiB" },
		{ 5905580032ull, "5.50 GiB" },
		{ 1ull << 40, "1.00 TiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	static const struct {
		double s;
		const char *want;
	} d[] = {
		{ 0, "0:00" },	     { 59.9, "0:59" }, { 61, "1:01" },		{ 3600, "1:00:00" },
		{ 3723, "1:02:03" }, { -1, "--:--" },  { 360000, ">99:59:59" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		progress_human(buf, sizeof(buf), t[i].n);
		CHECK_STR(buf, t[i].want);
	}
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		progress_duration(buf, sizeof(buf), d[i].s);
		CHECK_STR(buf, d[i].want);
	}
}

static void test_percent(void)
{
	struct progress_view v = { .bytes = 1, .bytes_total = 3 };

	CHECK(progress_percent(&v) == 33, "1/3 bytes");
	v = (struct progress_view){ .files = 1, .files_total = 4 };
	CHECK(progress_percent(&v) == 25, "no bytes: by files");
	v = (struct progress_view){ .totals_final = true };
	CHECK(progress_percent(&v) == 100, "nothing to copy, totals final");
	v = (struct progress_view){ 0 };
	CHECK(progress_percent(&v) == 0, "nothing yet, still walking");
	v = (struct progress_view){ .bytes = 5, .bytes_total = 4 };
	CHECK(progress_percent(&v) == 100, "more than the total is 100");
}

/* A copy half done, the walk still running. */
static const struct progress_view scanning = {
	.bytes = 3ull << 29,
	.bytes_total = 3ull << 30,
	.files = 120,
	.files_total = 400,
	.elapsed = 14.2,
	.rate = 85.3 * 1048576,
	.eta = -1,
};

static void check_bar(const struct progress_view *v, unsigned width, const char *want)
{
	char line[PROGRESS_LINE_MAX];
	size_t len = progress_render_bar(line, sizeof(line), v, width);

	CHECK(len == strlen(line), "returned length %zu != %zu", len, strlen(line));
	CHECK(len < width, "%zu columns at width %u: [%s]", len, width, line);
	CHECK_STR(line, want);
}

static void test_bar_layout(void)
{
	struct progress_view v = scanning;

	/* Totals still growing: "+", "~" and "scanning", and a graphic. */
	check_bar(&v, 120,
		  "~50% [====================>                   ] 1.50/3.00 GiB+ 120/400+ files "
		  "85.3 MiB/s scanning 0:14 elapsed");
	check_bar(&v, 40, "~50% [====>   ] 1.50/3.00 GiB+ scanning");
	check_bar(&v, 30, "~50% [===>   ] 1.50/3.00 GiB+");
	check_bar(&v, 20, "~50% 1.50/3.00 GiB+");
	check_bar(&v, 10, "~50% 1.50");
	/* Totals final (the walk or the scan done): ETA, the graphic grows to 40. */
	v.totals_final = true;
	v.eta = 21.5;
	check_bar(
		&v, 80,
		" 50% [=====>     ] 1.50/3.00 GiB 120/400 files 85.3 MiB/s ETA 0:21 0:14 elapsed");
	check_bar(&v, 120,
		  " 50% [====================>                   ] 1.50/3.00 GiB 120/400 files "
		  "85.3 MiB/s ETA 0:21 0:14 elapsed");
	v.errors = 2;
	check_bar(
		&v, 80,
		" 50% [=======>       ] 1.50/3.00 GiB 120/400 files 2 errors 85.3 MiB/s ETA 0:21");
	check_bar(&v, 40, " 50% [====>    ] 1.50/3.00 GiB ETA 0:21");
	/* The ETA goes before the graphic (of at least 5 cells). */
	v.bytes = 512ull << 20;
	check_bar(&v, 40, " 16% [=>    ] 512 MiB/3.00 GiB ETA 0:21");
	check_bar(&v, 34, " 16% [=>       ] 512 MiB/3.00 GiB");
	v = scanning;
	v.walk_done = v.totals_final = v.finished = true;
	v.bytes = v.bytes_total;
	v.files = v.files_total;
	check_bar(
		&v, 80,
		"100% [====================] 3.00/3.00 GiB 400/400 files 85.3 MiB/s done in 0:14");
	check_bar(&v, 40, "100% [=====] 3.00/3.00 GiB done in 0:14");
	/* Zero or one column: nothing, never a wrap. */
	check_bar(&v, 1, "");
}

/* Columns of a UTF-8 line: its characters (none is wide in these tests). */
static size_t columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* UTF-8 blocks, and the large file's name cut at its start, made safe. */
static void test_bar_utf8_and_name(void)
{
	struct progress_view v = scanning;
	char line[PROGRESS_LINE_MAX];

	v.totals_final = true;
	v.eta = 21.5;
	v.utf8 = true;
	v.bytes = (3ull << 30) * 4 / 10; /* 39.99%: 3.6 of 9 cells */
	progress_render_bar(line, sizeof(line), &v, 40);
	CHECK_STR(line, " 39% [███▌     ] 1.20/3.00 GiB ETA 0:21");
	v.bytes = (3ull << 30) * 45 / 100 + (3ull << 30) / 1000; /* 45.1% */
	v.name = "data/images/very-long-directory-name/disk\001\n.img";
	progress_render_bar(line, sizeof(line), &v, 120);
	/* The graphic stops at 20 cells for the name, cut at its start. */
	CHECK_STR(line, " 45% [█████████           ] 1.35/3.00 GiB 120/400 files "
			"85.3 MiB/s ETA 0:21 0:14 elapsed …ong-directory-name/disk?\?.img");
	CHECK(columns(line) == 119, "%zu columns", columns(line));
	v.utf8 = false;
	v.name = "caf\xc3\xa9/x";
	progress_render_bar(line, sizeof(line), &v, 200);
	CHECK(strstr(line, "ETA 0:21 0:14 elapsed caf?\?/x") && strlen(line) <= 199, "[%s]", line);
	CHECK(strstr(line, "] 1.35/3.00 GiB") && strstr(line, "=>    ") && !strstr(line, "█"),
	      "ASCII graphic: [%s]", line);
	/* The name goes first when the width shrinks. */
	progress_render_bar(line, sizeof(line), &v, 80);
	CHECK(!strstr(line, "caf"), "no name at 80 columns: [%s]", line);
}

/* Each narrower width keeps a subset of the wider line's fields. */
static void test_bar_drop_order(void)
{
	char wide[PROGRESS_LINE_MAX], narrow[PROGRESS_LINE_MAX];
	struct progress_view v = scanning;
	const char *fields[] = { "files", "MiB/s", "scanning", "elapsed", "[" };

	for (unsigned w = 100; w > 20; w--) {
		progress_render_bar(wide, sizeof(wide), &v, w);
		progress_render_bar(narrow, sizeof(narrow), &v, w - 1);
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			CHECK(strstr(wide, fields[f]) || !strstr(narrow, fields[f]),
			      "'%s' reappears at width %u", fields[f], w - 1);
		CHECK(strstr(narrow, "~50%") && strstr(narrow, "GiB"), "percent and bytes stay");
	}
}

static void test_plain_line(void)
{
	char line[PROGRESS_LINE_MAX];
	struct progress_view v = scanning;

	progress_render_plain(line, sizeof(line), &v);
	CHECK_STR(line, "pcopy: 1.50 GiB of 3.00 GiB+, 120 of 400+ files, 85.3 MiB/s, "
			"0 errors, elapsed 0:14, ETA scanning");
	v.totals_final = true;
	v.eta = 21.5;
	progress_render_plain(line, sizeof(line), &v);
	CHECK_STR(line, "pcopy: 50%, 1.50 GiB of 3.00 GiB, 120 of 400 files, 85.3 MiB/s, "
			"0 errors, elapsed 0:14, ETA 0:21");
	v.finished = v.walk_done = true;
	progress_render_plain(line, sizeof(line), &v);
	CHECK_STR(line, "pcopy: done: 1.50 GiB in 120 files, 85.3 MiB/s, 0 errors, elapsed 0:14");
}

/* ---- whole modes, with the injected clock ---- */

static struct pcopy_opts mode_opts(enum progress_mode mode)
{
	struct pcopy_opts o = { 0 };

	o.progress = mode;
	o.jobs = 4;
	return o;
}

static void test_json_mode(void)
{
	struct pcopy_opts o = mode_opts(PROGRESS_JSON);
	struct progress *p;
	struct capture c;
	char *out;

	fake_ns = 1 * SEC;
	p = progress_new(&o, 2, "thread", fake_clock);
	capture_begin(&c, STDERR_FILENO);
	progress_add_total(p, PT_FILES, 40);
	progress_add_total(p, PT_BYTES, 4194304);
	progress_count(p, PC_BYTES, 1048576);
	progress_count(p, PC_FILES, 12);
	fake_ns += 1500000000ull;
	progress_tick(p);
	report_error(p, "a/it's \"q\"\n\xff", -EACCES);
	report_error_msg(p, NULL, -PCOPY_ECHANGED, "file changed as we read it");
	progress_message(p, NULL, "worker 2 killed by signal 9", 0);
	progress_walk_done(p);
	progress_count(p, PC_BYTES, 1048576);
	fake_ns += 1 * SEC;
	progress_tick(p);
	progress_count(p, PC_BYTES, 2097152);
	progress_count(p, PC_FILES, 28);
	fake_ns += SEC / 2;
	/* The files retired as copied (engine.c count_done). */
	progress_count(p, PC_FILE_BYTES, 4194304);
	progress_finish(&p, 1);
	out = capture_end(&c);
	/*
	 * rate: 1 MiB in 1.5 s = 699051 at the first sample; then 1 MiB in 1 s
	 * moves it 1/(3+1) of the way to 1048576: 786432; ETA 2 MiB / that =
	 * 2.7 s at that byte rate, but the model sees that the first 1.5 s
	 * also did 12 files: 1 s per MiB and 0.5/12 s per file, so 2 MiB and
	 * 28 files take 3.2 s. The done event has the average rate: 4 MiB / 3 s.
	 */
	CHECK_STR(out,
		  "{\"event\":\"progress\",\"elapsed\":1.500,\"bytes\":1048576,\"bytes_total\":"
		  "4194304,"
		  "\"files\":12,\"files_total\":40,\"errors\":0,\"rate\":699051,\"eta\":null,"
		  "\"walk_done\":false,\"totals_final\":false}\n"
		  "{\"event\":\"error\",\"path\":\"a/it's \\\"q\\\"\\n\xef\xbf\xbd\","
		  "\"path_b64\":\"YS9pdCdzICJxIgr/\",\"message\":\"Permission "
		  "denied\",\"errno\":13}\n"
		  "{\"event\":\"error\",\"path\":null,\"message\":\"file changed as we read it\","
		  "\"errno\":11}\n"
		  "{\"event\":\"warning\",\"path\":null,\"message\":\"worker 2 killed by signal "
		  "9\"}\n"
		  "{\"event\":\"progress\",\"elapsed\":2.500,\"bytes\":2097152,\"bytes_total\":"
		  "4194304,"
		  "\"files\":12,\"files_total\":40,\"errors\":2,\"rate\":786432,\"eta\":3.2,"
		  "\"walk_done\":true,\"totals_final\":true}\n"
		  "{\"event\":\"done\",\"elapsed\":3.000,\"bytes\":4194304,\"bytes_total\":4194304,"
		  "\"files\":40,\"files_total\":40,\"errors\":2,\"rate\":1398101,\"eta\":0.0,"
		  "\"walk_done\":true,\"totals_final\":true,\"exit\":1}\n");
	free(out);
}

static void test_bar_mode(void)
{
	struct pcopy_opts o = mode_opts(PROGRESS_BAR);
	struct progress *p;
	struct capture c;
	char *out, *line, *save;
	int nr_lines = 0;

	setenv("COLUMNS", "40", 1);
	setenv("LC_ALL", "C", 1); /* an ASCII graphic */
	fake_ns = 0;
	capture_begin(&c, STDERR_FILENO);
	p = progress_new(&o, 1, "thread", fake_clock);
	progress_add_total(p, PT_BYTES, 3ull << 30);
	progress_add_total(p, PT_FILES, 400);
	progress_count(p, PC_BYTES, 3ull << 29);
	fake_ns = 2 * SEC;
	progress_tick(p);
	report_error(p, "bad", -EIO);
	progress_tick(p);
	progress_walk_done(p);
	progress_count(p, PC_BYTES, 3ull << 29);
	progress_count(p, PC_FILE_BYTES, 3ull << 30);
	fake_ns = 4 * SEC;
	progress_finish(&p, 1);
	out = capture_end(&c);
	/*
	 * Not a terminal, so no escapes: the bar is cleared with spaces, the
	 * error line starts at column 0, the final line ends the output.
	 */
	CHECK_STR(out, "\r~50% [====>   ] 1.50/3.00 GiB+ scanning"
		       "\r                                       \r"
		       "pcopy: bad: Input/output error\n"
		       "\r~50% [====>   ] 1.50/3.00 GiB+ scanning"
		       "\r100% [=====] 3.00/3.00 GiB done in 0:04\n");
	/* Every segment between \r and \n fits in 39 columns. */
	for (line = strtok_r(out, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		CHECK(strlen(line) <= 39, "segment wider than 39 columns: [%s]", line);
		nr_lines++;
	}
	CHECK(nr_lines == 5, "%d segments", nr_lines);
	free(out);
	unsetenv("COLUMNS");
	unsetenv("LC_ALL");
}

/* The bar names a large file while it dominates, not after it is done. */
static void test_bar_large_file(void)
{
	struct pcopy_opts o = mode_opts(PROGRESS_BAR);
	char *out, *first, *second, *save;
	struct progress *p;
	struct capture c;

	setenv("COLUMNS", "200", 1);
	setenv("LC_ALL", "C", 1);
	fake_ns = 0;
	capture_begin(&c, STDERR_FILENO);
	p = progress_new(&o, 1, "thread", fake_clock);
	progress_add_total(p, PT_BYTES, 100 << 20);
	progress_add_total(p, PT_FILES, 3);
	progress_large_file(p, "src/disk.img", 80 << 20);
	progress_count(p, PC_BYTES, 10 << 20);
	fake_ns = SEC;
	progress_tick(p);
	progress_count(p, PC_BYTES, 80 << 20); /* past its size: another file now */
	fake_ns = 2 * SEC;
	progress_tick(p);
	progress_walk_done(p);
	progress_finish(&p, 0);
	out = capture_end(&c);
	first = strtok_r(out, "\r", &save);
	second = strtok_r(NULL, "\r", &save);
	CHECK(first && strstr(first, " elapsed src/disk.img"), "no name: [%s]", first);
	CHECK(second && !strstr(second, "disk.img"), "name after the file: [%s]", second);
	free(out);
	unsetenv("COLUMNS");
	unsetenv("LC_ALL");
}

static void test_plain_mode(void)
{
	struct pcopy_opts o = mode_opts(PROGRESS_PLAIN);
	struct progress *p;
	struct capture c;
	char *out;

	fake_ns = 0;
	capture_begin(&c, STDERR_FILENO);
	p = progress_new(&o, 1, "thread", fake_clock);
	progress_add_total(p, PT_FILES, 1);
	progress_add_total(p, PT_BYTES, 10 << 20);
	progress_count(p, PC_BYTES, 5 << 20);
	fake_ns = 5 * SEC;
	progress_tick(p);
	progress_walk_done(p);
	progress_count(p, PC_BYTES, 5 << 20);
	progress_count(p, PC_FILES, 1);
	progress_count(p, PC_FILE_BYTES, 10 << 20);
	fake_ns = 10 * SEC;
	progress_finish(&p, 0);
	out = capture_end(&c);
	CHECK_STR(out, "pcopy: 5.00 MiB of 10.0 MiB+, 0 of 1+ files, 1.00 MiB/s, 0 errors, "
		       "elapsed 0:05, ETA scanning\n"
		       "pcopy: done: 10.0 MiB in 1 files, 1.00 MiB/s, 0 errors, elapsed 0:10\n");
	free(out);
}

/* Summaries, and -q: silent but for errors and an explicit --summary. */
static void test_summary_and_quiet(void)
{
	struct pcopy_opts o = mode_opts(PROGRESS_PLAIN);
	struct capture out, err;
	struct progress *p;
	char *so, *se;

	o.quiet = true;
	o.verbose = true;
	o.summary = SUMMARY_JSON;
	fake_ns = 0;
	capture_begin(&out, STDOUT_FILENO);
	capture_begin(&err, STDERR_FILENO);
	p = progress_new(&o, 1, "thread", fake_clock);
	progress_start(p);
	progress_verbose(p, "a", "b");
	progress_count(p, PC_FILES, 7);
	progress_count(p, PC_DIRS, 3);
	progress_count(p, PC_BYTES, 123457);
	progress_count(p, PC_FILE_BYTES, 123457);
	/* Data of the file that failed ("x y"): moved, not copied. */
	progress_count(p, PC_BYTES, 1000);
	progress_count(p, PC_SKIPPED_EXCLUDED, 1);
	report_error(p, "x y", -ENOENT);
	fake_ns = 3200000000ull;
	progress_finish(&p, 1);
	se = capture_end(&err);
	so = capture_end(&out);
	CHECK_STR(se, "pcopy: 'x y': No such file or directory\n");
	CHECK_STR(so, "{\"backend\":\"thread\",\"jobs\":4,\"elapsed\":3.200,\"files\":7,\"dirs\":3,"
		      "\"symlinks\":0,\"hardlinks\":0,\"specials\":0,\"bytes\":123457,"
		      "\"skipped\":{\"unchanged\":0,\"no_clobber\":0,\"excluded\":1},"
		      "\"errors\":1,\"exit\":1}\n");
	free(so);
	free(se);

	o = mode_opts(PROGRESS_NONE);
	o.summary = SUMMARY_TEXT;
	capture_begin(&err, STDERR_FILENO);
	p = progress_new(&o, 1, "uring", fake_clock);
	progress_count(p, PC_FILES, 2);
	progress_count(p, PC_BYTES, 3 << 20);
	progress_count(p, PC_FILE_BYTES, 3 << 20);
	fake_ns += 2 * SEC;
	progress_finish(&p, 0);
	se = capture_end(&err);
	CHECK_STR(se, "files:        2\ndirectories:  0\nsymlinks:     0\n"
		      "bytes:        3145728 (3.00 MiB)\nerrors:       0\nelapsed:      2.00 s\n"
		      "average rate: 1.50 MiB/s\nbackend:      uring (4 jobs)\n");
	free(se);
}

/* -v lines from many threads arrive whole, quoted as cp -v quotes. */
struct verbose_arg {
	struct progress *p;
	int id;
};

static void *verbose_worker(void *arg)
{
	struct verbose_arg *a = arg;
	char src[64], dst[64];

	for (int i = 0; i < 500; i++) {
		snprintf(src, sizeof(src), "src/t%d/file %d", a->id, i);
		snprintf(dst, sizeof(dst), "dst/t%d/file %d", a->id, i);
		progress_verbose(a->p, src, dst);
	}
	return NULL;
}

static void test_verbose(void)
{
	struct pcopy_opts o = mode_opts(PROGRESS_NONE);
	struct verbose_arg a[NR_THREADS];
	pthread_t t[NR_THREADS];
	struct progress *p;
	struct capture c;
	char *out, *line, *save, want[128];
	int n = 0, id, i;

	o.verbose = true;
	p = progress_new(&o, NR_THREADS, "thread", NULL);
	capture_begin(&c, STDOUT_FILENO);
	progress_verbose(p, "a", "it's");
	for (id = 0; id < NR_THREADS; id++) {
		a[id] = (struct verbose_arg){ p, id };
		pthread_create(&t[id], NULL, verbose_worker, &a[id]);
	}
	for (id = 0; id < NR_THREADS; id++)
		pthread_join(t[id], NULL);
	progress_finish(&p, 0);
	out = capture_end(&c);
	CHECK(!strncmp(out, "'a' -> \"it's\"\n", 14), "first line: %.20s", out);
	for (line = strtok_r(out + 14, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "'src/t%d/file %d'", &id, &i) != 2) {
			CHECK(0, "mangled line [%s]", line);
			break;
		}
		snprintf(want, sizeof(want), "'src/t%d/file %d' -> 'dst/t%d/file %d'", id, i, id,
			 i);
		CHECK_STR(line, want);
		n++;
	}
	CHECK(n == NR_THREADS * 500, "%d lines", n);
	free(out);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * Run the real display thread in @mode for about 1.3 s of counting;
 * returns what it wrote on stderr and stores the seconds it ran in *secs.
 */
static char *run_display(enum progress_mode mode, double *secs)
{
	struct pcopy_opts o = mode_opts(mode);
	struct timespec step = { 0, 10 * 1000000 }, t0, t1;
	struct progress *p;
	struct capture c;

	capture_begin(&c, STDERR_FILENO);
	p = progress_new(&o, 1, "thread", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	progress_start(p);
	for (int i = 0; i < 130; i++) {
		progress_count(p, PC_BYTES, 1000);
		progress_count(p, PC_FILE_BYTES, 1000);
		nanosleep(&step, NULL);
	}
	progress_walk_done(p);
	progress_finish(&p, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return capture_end(&c);
}

/* JSON lines from the display thread: at most 4 a second, then done. */
static void test_display_json(void)
{
	int nr_progress = 0, nr_done = 0;
	uint64_t prev_bytes = 0, bytes;
	char *out, *line, *save;
	double secs;

	out = run_display(PROGRESS_JSON, &secs);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *b = strstr(line, "\"bytes\":");

		nr_progress += starts_with(line, "{\"event\":\"progress\",");
		nr_done += starts_with(line, "{\"event\":\"done\",");
		CHECK(b && sscanf(b, "\"bytes\":%" SCNu64, &bytes) == 1, "no bytes in [%s]", line);
		CHECK(bytes >= prev_bytes, "bytes went backwards: [%s]", line);
		prev_bytes = bytes;
	}
	/*
	 * One line per 0.25 s, never more often; a loaded machine may delay
	 * a tick but the display must have ticked in 1.3 s or more.
	 */
	CHECK(nr_progress >= 1 && nr_progress <= (int)(secs / 0.25), "%d progress lines in %.2f s",
	      nr_progress, secs);
	CHECK(nr_done == 1 && prev_bytes == 130000, "done line last, with every byte");
	free(out);
}

/* The bar redraws at most 10 times a second. */
static void test_display_bar(void)
{
	int nr_draws = -1; /* the final line is not a redraw */
	double secs;
	char *out = run_display(PROGRESS_BAR, &secs), *c;

	for (c = out; (c = strchr(c, '%')); c++)
		nr_draws++;
	CHECK(nr_draws >= 1 && nr_draws <= (int)(secs / 0.1), "%d redraws in %.2f s", nr_draws,
	      secs);
	CHECK(strstr(out, "100% ") && out[strlen(out) - 1] == '\n', "final line: [%s]", out);
	free(out);
}

int main(void)
{
	/* Messages start with the name as invoked (prog_name()): be pcopy. */
	program_invocation_short_name = (char *)"pcopy";
	test_counters(true);
	test_counters(false);
	test_totals_and_null();
	test_report();
	test_human();
	test_percent();
	test_bar_layout();
	test_bar_drop_order();
	test_bar_utf8_and_name();
	test_plain_line();
	test_json_mode();
	test_bar_mode();
	test_plain_mode();
	test_bar_large_file();
	test_summary_and_quiet();
	test_verbose();
	test_display_json();
	test_display_bar();
	if (failures)
		printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
