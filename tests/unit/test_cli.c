// SPDX-License-Identifier: MIT
/*
 * Unit tests for cli_parse(): the values each option sets, operand handling,
 * and the usage errors. cli_parse() exits on errors, so every case runs in a
 * forked child whose exit status and output the parent checks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "pcopy/cli.h"
#include "pcopy/options.h"

/* The argv of a case: ARGS("-a", "x", "y") is { "pcopy", "-a", "x", "y", NULL }. */
#define ARGS(...) ((const char *[]){ "pcopy", __VA_ARGS__, NULL })

/* Inside a check: note a failed expectation (printed by the parent) and go on. */
#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("  expected: %s\n", #cond);                                         \
			ok = false;                                                                \
		}                                                                                  \
	} while (0)

#define CP_P (PRESERVE_MODE | PRESERVE_OWNERSHIP | PRESERVE_TIMESTAMPS)
#define TEST_UMASK 027

typedef bool check_fn(const struct pcopy_opts *o);

static int failures;

/* What a child printed (stdout and stderr together) and how it ended. */
struct outcome {
	int status; /* exit status, or -1 if killed */
	char out[16384];
};

static void run_child(const char *const *args, check_fn *check, int out_fd)
{
	char *argv[64];
	struct pcopy_opts o;
	int argc = 0;

	/* cli_parse() reorders argv, so give it a copy it may change. */
	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	cli_parse(argc, argv, &o);
	fflush(stdout);
	exit(!check || check(&o) ? 0 : 1);
}

/* Run cli_parse(@args) in a child, then @check (if any) on what it parsed. */
static void run_cli(const char *const *args, check_fn *check, struct outcome *res)
{
	int fds[2], wstatus;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) || (pid = fork()) < 0) {
		perror("test_cli");
		exit(1);
	}
	if (pid == 0) {
		close(fds[0]);
		run_child(args, check, fds[1]);
	}
	close(fds[1]);
	while ((n = read(fds[0], res->out + len, sizeof(res->out) - 1 - len)) > 0)
		len += n;
	res->out[len] = '\0';
	close(fds[0]);
	waitpid(pid, &wstatus, 0);
	res->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

static void print_args(const char *const *args)
{
	for (const char *const *a = args; *a; a++)
		printf(" %s", *a);
}

/* Record a failure of @args: @why, then what the child printed. */
static void fail(const char *const *args, const char *why, const struct outcome *res)
{
	printf("FAIL:");
	print_args(args);
	printf("\n  %s (exit status %d)\n%s", why, res->status, res->out);
	failures++;
}

/* @args must parse, and @check must accept the result. */
static void expect_ok(const char *const *args, check_fn *check)
{
	struct outcome res;

	run_cli(args, check, &res);
	if (res.status != 0)
		fail(args, "expected a successful parse with these values", &res);
}

/* @args must be a usage error: exit 2, "pcopy: @message", then the --help hint. */
static void expect_usage(const char *const *args, const char *message)
{
	struct outcome res;
	char want[512];

	run_cli(args, NULL, &res);
	snprintf(want, sizeof(want), "pcopy: %s", message);
	if (res.status != 2)
		fail(args, "expected exit status 2", &res);
	else if (!strstr(res.out, want))
		fail(args, message, &res);
	else if (!strstr(res.out, "\nTry 'pcopy --help' for more information.\n"))
		fail(args, "expected the --help hint", &res);
}

/* @args names a feature that has not landed: exit 2 and "pcopy: @what: not supported yet". */
static __attribute__((unused)) void expect_refused(const char *const *args, const char *what)
{
	struct outcome res;
	char want[256];

	run_cli(args, NULL, &res);
	snprintf(want, sizeof(want), "pcopy: %s: not supported yet\n", what);
	if (res.status != 2 || strcmp(res.out, want))
		fail(args, want, &res);
}

/* @args must exit 0 having printed something containing @text. */
static void expect_info(const char *const *args, const char *text)
{
	struct outcome res;

	run_cli(args, NULL, &res);
	if (res.status != 0 || !strstr(res.out, text))
		fail(args, text, &res);
}

static bool check_defaults(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->preserve == 0 && o->deref == DEREF_NEVER);
	EXPECT(!o->force && !o->no_clobber && !o->update && !o->one_file_system);
	EXPECT(!o->no_target_dir && o->target_dir == NULL);
	EXPECT(o->reflink == REFLINK_AUTO && o->sparse == SPARSE_AUTO);
	EXPECT(o->nr_excludes == 0 && o->excludes == NULL);
	EXPECT(!o->verbose && !o->quiet && !o->dry_run && !o->verify && !o->fsync);
	EXPECT(o->backend == BACKEND_AUTO);
	EXPECT(o->jobs >= 2 && o->jobs <= PCOPY_JOBS_MAX);
	EXPECT(o->queue_depth == PCOPY_QUEUE_DEPTH_DEFAULT);
	EXPECT(o->chunk_size == PCOPY_CHUNK_SIZE_DEFAULT);
	EXPECT(o->progress == PROGRESS_NONE); /* stderr is a pipe, not a terminal */
	EXPECT(o->summary == SUMMARY_NONE);
	EXPECT(o->nr_sources == 1 && !strcmp(o->sources[0], "src"));
	EXPECT(!strcmp(o->dest, "dst"));
	EXPECT(o->umask == TEST_UMASK);
	EXPECT(umask(0) == TEST_UMASK); /* read, and left as it was */
	return ok;
}

static bool check_archive(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->deref == DEREF_NEVER && o->preserve == PRESERVE_ALL);
	return ok;
}

static bool check_archive_then_L(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->deref == DEREF_ALWAYS && o->preserve == PRESERVE_ALL);
	return ok;
}

static bool check_p(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->preserve == CP_P && o->deref == DEREF_NEVER);
	return ok;
}

static bool check_d(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->preserve == PRESERVE_LINKS && o->deref == DEREF_NEVER);
	return ok;
}

static bool check_H(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->deref == DEREF_COMMAND_LINE);
	return ok;
}

static bool check_xattr_links(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->preserve == (PRESERVE_XATTR | PRESERVE_LINKS));
	return ok;
}

static bool check_all_but_owner_xattr(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->preserve == (PRESERVE_ALL & ~(PRESERVE_OWNERSHIP | PRESERVE_XATTR)));
	return ok;
}

static bool check_flags(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->force && o->no_clobber && o->update && o->one_file_system && o->verbose);
	EXPECT(!o->quiet);
	return ok;
}

static bool check_quiet_wins(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->quiet && !o->verbose && o->progress == PROGRESS_NONE);
	EXPECT(o->summary == SUMMARY_JSON);
	return ok;
}

static bool check_reflink_always(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->reflink == REFLINK_ALWAYS);
	return ok;
}

static bool check_reflink_never_sparse_always(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->reflink == REFLINK_NEVER && o->sparse == SPARSE_ALWAYS);
	return ok;
}

static bool check_sparse_never(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->sparse == SPARSE_NEVER && o->reflink == REFLINK_AUTO);
	return ok;
}

static bool check_thread_limits(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->backend == BACKEND_THREAD);
	EXPECT(o->jobs == 1 && o->queue_depth == 4096);
	EXPECT(o->chunk_size == 64 << 10);
	return ok;
}

static bool check_upper_limits(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->backend == BACKEND_AUTO);
	EXPECT(o->jobs == 1024 && o->queue_depth == 1);
	EXPECT(o->chunk_size == 1ull << 40);
	return ok;
}

static bool check_jobs_8_chunk_3m(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->jobs == 8 && o->chunk_size == 3 << 20);
	return ok;
}

static bool check_bare_progress_summary(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->progress == PROGRESS_PLAIN); /* bare, and stderr is not a terminal */
	EXPECT(o->summary == SUMMARY_TEXT);
	return ok;
}

static bool check_progress_json(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->progress == PROGRESS_JSON && o->summary == SUMMARY_NONE);
	return ok;
}

static bool check_progress_bar(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->progress == PROGRESS_BAR);
	return ok;
}

static bool check_process(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->backend == BACKEND_PROCESS);
	return ok;
}

static bool check_uring(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->backend == BACKEND_URING);
	return ok;
}

static bool check_backup_options(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->nr_excludes == 2);
	EXPECT(o->nr_excludes == 2 && !strcmp(o->excludes[0], "*.o") &&
	       !strcmp(o->excludes[1], "build/"));
	EXPECT(o->dry_run && o->verify && o->fsync);
	return ok;
}

static bool check_three_into_dir(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->nr_sources == 3 && o->target_dir == NULL);
	EXPECT(o->nr_sources == 3 && !strcmp(o->sources[0], "a") && !strcmp(o->sources[1], "b") &&
	       !strcmp(o->sources[2], "c"));
	EXPECT(!strcmp(o->dest, "dir"));
	return ok;
}

static bool check_target_dir(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->target_dir && !strcmp(o->target_dir, "dir") && !strcmp(o->dest, "dir"));
	EXPECT(o->nr_sources == 2 && !strcmp(o->sources[0], "a") && !strcmp(o->sources[1], "b"));
	return ok;
}

static bool check_no_target_dir(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->no_target_dir && o->target_dir == NULL);
	EXPECT(o->nr_sources == 1 && !strcmp(o->sources[0], "a") && !strcmp(o->dest, "dir"));
	return ok;
}

static bool check_dash_operand(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->nr_sources == 1 && !strcmp(o->sources[0], "-x") && !strcmp(o->dest, "-v"));
	EXPECT(!o->one_file_system && !o->verbose);
	return ok;
}

static bool check_link_to_dir(const struct pcopy_opts *o)
{
	bool ok = true;

	EXPECT(o->nr_sources == 2 && !strcmp(o->dest, "link-to-dir"));
	return ok;
}

static void test_values(void)
{
	expect_ok(ARGS("src", "dst"), check_defaults);
	expect_ok(ARGS("-a", "src", "dst"), check_archive);
	expect_ok(ARGS("--archive", "src", "dst"), check_archive);
	expect_ok(ARGS("-L", "-a", "src", "dst"), check_archive);
	expect_ok(ARGS("-a", "-L", "src", "dst"), check_archive_then_L);
	expect_ok(ARGS("-p", "src", "dst"), check_p);
	expect_ok(ARGS("--preserve", "src", "dst"), check_p);
	expect_ok(ARGS("--preserve=all", "--no-preserve=links,xattr", "-p", "src", "dst"), check_p);
	expect_ok(ARGS("-d", "src", "dst"), check_d);
	expect_ok(ARGS("-L", "-d", "src", "dst"), check_d);
	expect_ok(ARGS("-H", "src", "dst"), check_H);
	expect_ok(ARGS("-P", "-H", "src", "dst"), check_H);
	expect_ok(ARGS("--preserve=xattr,links", "src", "dst"), check_xattr_links);
	expect_ok(ARGS("-a", "--no-preserve=ownership,xattr", "src", "dst"),
		  check_all_but_owner_xattr);
	expect_ok(ARGS("-fnuxv", "src", "dst"), check_flags);
	expect_ok(ARGS("--force", "--no-clobber", "--update", "--one-file-system", "--verbose",
		       "src", "dst"),
		  check_flags);
	expect_ok(ARGS("-v", "-q", "--progress=json", "--summary=json", "src", "dst"),
		  check_quiet_wins);
	expect_ok(ARGS("--reflink", "src", "dst"), check_reflink_always);
	expect_ok(ARGS("--reflink=always", "src", "dst"), check_reflink_always);
	expect_ok(ARGS("--reflink=never", "--sparse=always", "src", "dst"),
		  check_reflink_never_sparse_always);
	expect_ok(ARGS("--reflink=always", "--reflink=auto", "--sparse", "never", "src", "dst"),
		  check_sparse_never);
	expect_ok(ARGS("-B", "thread", "-j", "1", "--queue-depth=4096", "--chunk-size=64K", "src",
		       "dst"),
		  check_thread_limits);
	expect_ok(ARGS("--backend=auto", "--jobs=1024", "--queue-depth", "1", "--chunk-size=1TiB",
		       "src", "dst"),
		  check_upper_limits);
	expect_ok(ARGS("-B", "process", "src", "dst"), check_process);
	expect_ok(ARGS("--backend=uring", "src", "dst"), check_uring);
	expect_ok(ARGS("-j8", "--chunk-size=3MiB", "src", "dst"), check_jobs_8_chunk_3m);
	expect_ok(ARGS("-j", "008", "--chunk-size=3145728B", "src", "dst"), check_jobs_8_chunk_3m);
	expect_ok(ARGS("--progress", "--summary", "src", "dst"), check_bare_progress_summary);
	expect_ok(ARGS("--progress=json", "src", "dst"), check_progress_json);
	expect_ok(ARGS("--progress=none", "--progress=bar", "src", "dst"), check_progress_bar);
	expect_ok(ARGS("--exclude=*.o", "--dry-run", "--verify", "--exclude", "build/", "--fsync",
		       "src", "dst"),
		  check_backup_options);
}

static void test_operands(void)
{
	expect_ok(ARGS("a", "b", "c", "dir"), check_three_into_dir);
	expect_ok(ARGS("-r", "a", "-R", "b", "--recursive", "c", "dir"), check_three_into_dir);
	expect_ok(ARGS("-t", "dir", "a", "b"), check_target_dir);
	expect_ok(ARGS("a", "b", "--target-directory=dir"), check_target_dir);
	expect_ok(ARGS("-T", "a", "dir"), check_no_target_dir);
	expect_ok(ARGS("--", "-x", "-v"), check_dash_operand);
	expect_ok(ARGS("a", "b", "link-to-dir"), check_link_to_dir);
}

static void test_operand_errors(void)
{
	expect_usage(ARGS("-a"), "missing file operand");
	expect_usage(ARGS("src"), "missing destination file operand after 'src'");
	expect_usage(ARGS("-t", "dir"), "missing file operand");
	expect_usage(ARGS("a", "b", "file"), "target 'file' is not a directory");
	expect_usage(ARGS("a", "b", "missing"), "target 'missing' is not a directory");
	expect_usage(ARGS("a", "b", "file/sub"), "target 'file/sub' is not a directory");
	expect_usage(ARGS("-t", "file", "a"), "target 'file' is not a directory");
	expect_usage(ARGS("-t", "missing", "a"), "target 'missing' is not a directory");
	expect_usage(ARGS("-t", "dir", "-T", "a", "b"),
		     "cannot combine --target-directory (-t) and --no-target-directory (-T)");
	expect_usage(ARGS("-T", "a", "b", "dir"), "extra operand 'dir'");
	expect_usage(ARGS("-t", "dir", "-t", "dir", "a"), "multiple target directories specified");
}

static void test_option_errors(void)
{
	expect_usage(ARGS("--bogus", "a", "b"), "unrecognized option '--bogus'");
	expect_usage(ARGS("-W", "a", "b"), "invalid option -- 'W'");
	expect_usage(ARGS("a", "b", "-j"), "option requires an argument -- 'j'");
	expect_usage(ARGS("--verbose=yes", "a", "b"), "option '--verbose' doesn't allow");
	expect_usage(ARGS("-j", "0", "a", "b"),
		     "invalid argument '0' for '--jobs'; allowed: 1 to 1024");
	expect_usage(ARGS("-j", "1025", "a", "b"), "invalid argument '1025' for '--jobs'");
	expect_usage(ARGS("--jobs=-1", "a", "b"), "invalid argument '-1' for '--jobs'");
	expect_usage(ARGS("--jobs=", "a", "b"), "invalid argument '' for '--jobs'");
	expect_usage(ARGS("-j", "4x", "a", "b"), "invalid argument '4x' for '--jobs'");
	expect_usage(ARGS("--queue-depth=0", "a", "b"),
		     "invalid argument '0' for '--queue-depth'; allowed: 1 to 4096");
	expect_usage(ARGS("--queue-depth=4097", "a", "b"),
		     "invalid argument '4097' for '--queue-depth'");
	expect_usage(ARGS("--chunk-size=1K", "a", "b"),
		     "invalid argument '1K' for '--chunk-size'; allowed: 64K to 1T");
	expect_usage(ARGS("--chunk-size=65535", "a", "b"), "invalid argument '65535'");
	expect_usage(ARGS("--chunk-size=2T", "a", "b"), "invalid argument '2T'");
	expect_usage(ARGS("--chunk-size=1025G", "a", "b"), "invalid argument '1025G'");
	expect_usage(ARGS("--chunk-size=64KB", "a", "b"), "invalid argument '64KB'");
	expect_usage(ARGS("--chunk-size=99999999999999999999", "a", "b"),
		     "invalid argument '99999999999999999999' for '--chunk-size'");
	/* GNU argmatch's words and list, one value per line (synonyms share one). */
	expect_usage(ARGS("--backend=fast", "a", "b"),
		     "invalid argument 'fast' for '--backend'\nValid arguments are:\n  - 'auto'\n"
		     "  - 'thread'\n  - 'process'\n  - 'uring'\n  - 'mpi'\n");
	expect_usage(ARGS("--reflink=sometimes", "a", "b"),
		     "invalid argument 'sometimes' for '--reflink'\nValid arguments are:\n"
		     "  - 'auto'\n  - 'always'\n  - 'never'\n");
	expect_usage(ARGS("--sparse=maybe", "a", "b"),
		     "invalid argument 'maybe' for '--sparse'\nValid arguments are:\n"
		     "  - 'never'\n  - 'auto'\n  - 'always'\n");
	expect_usage(ARGS("--sparse=a", "a", "b"), "ambiguous argument 'a' for '--sparse'");
	expect_usage(ARGS("--progress=fancy", "a", "b"),
		     "invalid argument 'fancy' for '--progress'\nValid arguments are:\n"
		     "  - 'bar'\n  - 'plain'\n  - 'json'\n  - 'none'\n");
	expect_usage(ARGS("--summary=xml", "a", "b"),
		     "invalid argument 'xml' for '--summary'\nValid arguments are:\n"
		     "  - 'text'\n  - 'json'\n");
	expect_usage(ARGS("--preserve=mode,acl", "a", "b"),
		     "invalid argument 'acl' for '--preserve'\nValid arguments are:\n"
		     "  - 'mode'\n  - 'timestamps'\n  - 'ownership'\n  - 'links'\n"
		     "  - 'context'\n  - 'xattr'\n  - 'all'\n");
	expect_usage(ARGS("--backup=x", "a", "b"),
		     "invalid argument 'x' for 'backup type'\nValid arguments are:\n"
		     "  - 'none', 'off'\n  - 'simple', 'never'\n  - 'existing', 'nil'\n"
		     "  - 'numbered', 't'\n");
	expect_usage(ARGS("--preserve=mode,", "a", "b"), "ambiguous argument '' for '--preserve'");
	expect_usage(ARGS("--no-preserve=", "a", "b"), "ambiguous argument '' for '--no-preserve'");
}

static void test_refused(void)
{
#ifdef PCOPY_HAVE_MPI
	expect_refused(ARGS("--backend=mpi", "-L", "a", "b"), "-L with --backend=mpi");
	expect_refused(ARGS("--backend=mpi", "--dry-run", "a", "b"),
		       "--dry-run with --backend=mpi");
#else
	struct outcome res;
	const char *const *args = ARGS("--backend=mpi", "a", "b");
	const char *want = "pcopy: --backend=mpi: this pcopy was built without MPI "
			   "(meson setup -Dmpi=enabled)\n";

	run_cli(args, NULL, &res);
	if (res.status != 2 || strcmp(res.out, want))
		fail(args, want, &res);
#endif
}

static void test_info(void)
{
	expect_info(ARGS("--help"), "Usage: pcopy [OPTION...] SOURCE DEST");
	expect_info(ARGS("--help"), "--chunk-size=SIZE");
	expect_info(ARGS("--usage"), "[--queue-depth=N]");
	expect_info(ARGS("--version"), "pcopy " PCOPY_VERSION "\n");
}

/* A scratch directory to run in: dir/, file, link-to-dir -> dir. */
static char *make_scratch(void)
{
	static char path[] = "/tmp/test_cli.XXXXXX";
	FILE *f;

	if (!mkdtemp(path) || chdir(path) || mkdir("dir", 0755) || symlink("dir", "link-to-dir") ||
	    !(f = fopen("file", "w")) || fclose(f)) {
		perror("test_cli: scratch directory");
		exit(1);
	}
	return path;
}

static void remove_scratch(const char *path)
{
	if (unlink("file") || unlink("link-to-dir") || rmdir("dir") || chdir("/") || rmdir(path))
		perror("test_cli: removing the scratch directory");
}

int main(void)
{
	/* Messages start with the name as invoked (prog_name()): be pcopy. */
	program_invocation_short_name = (char *)"pcopy";
	char *scratch = make_scratch();

	umask(TEST_UMASK);
	test_values();
	test_operands();
	test_operand_errors();
	test_option_errors();
	test_refused();
	test_info();
	remove_scratch(scratch);
	if (failures) {
		printf("%d case(s) failed\n", failures);
		return EXIT_FAILURE;
	}
	printf("all cli cases passed\n");
	return EXIT_SUCCESS;
}
