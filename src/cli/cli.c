// SPDX-License-Identifier: MIT
/*
 * The command line, parsed with glibc argp as in "Argp Example 3": an option
 * table, parse_opt() filling struct pcopy_opts, and the cross-option and
 * operand checks at ARGP_KEY_END. Any usage error exits with status 2.
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/argmatch.h"
#include "cli/cli_backup.h"
#include "config.h"
#include "pcopy/cli.h"
#include "pcopy/options.h"
#include "pcopy/quote.h"
#include "pcopy/size.h"
#include "pcopy/util.h"

/* Read by argp for --version. */
const char *argp_program_version = "pcopy " PCOPY_VERSION;

/* cp's own status for the option conflicts GNU's tests check (cp-i.sh, sparse.sh). */
#define EXIT_CP_USAGE 1

/* What -p and a bare --preserve keep, as in cp. */
#define PRESERVE_CP_P (PRESERVE_MODE | PRESERVE_OWNERSHIP | PRESERVE_TIMESTAMPS)

/* Long options without a short form: keys above any character. */
enum {
	OPT_PRESERVE = 256,
	OPT_NO_PRESERVE,
	OPT_REFLINK,
	OPT_SPARSE,
	OPT_EXCLUDE,
	OPT_DRY_RUN,
	OPT_VERIFY,
	OPT_FSYNC,
	OPT_QUEUE_DEPTH,
	OPT_CHUNK_SIZE,
	OPT_PROGRESS,
	OPT_SUMMARY,
	OPT_UPDATE,
	OPT_BACKUP,
	OPT_REMOVE_DESTINATION,
	OPT_ATTRIBUTES_ONLY,
	OPT_COPY_CONTENTS,
	OPT_PARENTS,
	OPT_STRIP_TRAILING_SLASHES,
	OPT_KEEP_DIRECTORY_SYMLINK,
	OPT_CONTEXT,
	OPT_DEBUG,
};

/* The help text below spells these numbers out; keep them in step. */
_Static_assert(PCOPY_JOBS_MAX == 1024, "update the --jobs help");
_Static_assert(PCOPY_QUEUE_DEPTH_MAX == 4096, "update the --queue-depth help");
_Static_assert(PCOPY_QUEUE_DEPTH_DEFAULT == 64, "update the --queue-depth help");
_Static_assert(PCOPY_CHUNK_SIZE_MIN == 64ull << 10, "update the --chunk-size help");
_Static_assert(PCOPY_CHUNK_SIZE_MAX == 1ull << 40, "update the --chunk-size help");
_Static_assert(PCOPY_CHUNK_SIZE_DEFAULT == 64ull << 20, "update the --chunk-size help");

/* One entry per option, grouped as --help shows them. */
/* clang-format off */
static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Copying:", 1 },
	{ "force", 'f', NULL, 0,
	  "if an existing destination file cannot be opened, remove it and try again (ignored "
	  "with -n)" },
	{ "interactive", 'i', NULL, 0, "prompt before overwrite (overrides a previous -n)" },
	{ "no-clobber", 'n', NULL, 0,
	  "never overwrite an existing file (overrides a previous -i)" },
	{ "update", OPT_UPDATE, "UPDATE", OPTION_ARG_OPTIONAL,
	  "which existing destination files to replace: all (the default), none (like -n), or "
	  "older (what a bare --update means: only when SOURCE is newer than the destination "
	  "or the destination is missing)" },
	{ NULL, 'u', NULL, 0, "same as --update=older" },
	{ "backup", OPT_BACKUP, "CONTROL", OPTION_ARG_OPTIONAL,
	  "make a backup of each existing destination file: none (off), numbered (t), "
	  "existing (nil, the default) or simple (never); default from VERSION_CONTROL" },
	{ NULL, 'b', NULL, 0, "like --backup but does not accept an argument" },
	{ "suffix", 'S', "SUFFIX", 0,
	  "backup suffix (default: SIMPLE_BACKUP_SUFFIX, else '~')" },
	{ "remove-destination", OPT_REMOVE_DESTINATION, NULL, 0,
	  "remove each existing destination file before copying (contrast with --force)" },
	{ "link", 'l', NULL, 0, "hard link files instead of copying" },
	{ "symbolic-link", 's', NULL, 0, "make symbolic links instead of copying" },
	{ "attributes-only", OPT_ATTRIBUTES_ONLY, NULL, 0,
	  "do not copy the file data, just the attributes" },
	{ "copy-contents", OPT_COPY_CONTENTS, NULL, 0,
	  "copy the contents of special files (FIFOs, devices) as regular files" },
	{ "parents", OPT_PARENTS, NULL, 0, "use full source file name under DIRECTORY" },
	{ "strip-trailing-slashes", OPT_STRIP_TRAILING_SLASHES, NULL, 0,
	  "remove any trailing slashes from each SOURCE" },
	{ "keep-directory-symlink", OPT_KEEP_DIRECTORY_SYMLINK, NULL, 0,
	  "follow existing symlinks to directories in the destination" },
	{ "one-file-system", 'x', NULL, 0, "stay on the file systems of the sources" },
	{ "target-directory", 't', "DIR", 0, "copy every SOURCE into DIR" },
	{ "no-target-directory", 'T', NULL, 0, "treat DEST as a normal file" },
	{ "recursive", 'R', NULL, 0,
	  "accepted and ignored: directories are always copied recursively" },
	{ NULL, 'r', NULL, OPTION_ALIAS, NULL },
	{ "reflink", OPT_REFLINK, "WHEN", OPTION_ARG_OPTIONAL,
	  "clone extents where the file system can: auto (the default), always (what a bare "
	  "--reflink means) or never" },
	{ "sparse", OPT_SPARSE, "WHEN", 0,
	  "auto (the default: holes stay holes), always (runs of zeros become holes too) or "
	  "never" },
	{ "exclude", OPT_EXCLUDE, "PATTERN", 0,
	  "skip paths matching the glob PATTERN, relative to the source; repeatable" },
	{ "dry-run", OPT_DRY_RUN, NULL, 0, "print what would be copied, write nothing" },
	{ "verify", OPT_VERIFY, NULL, 0,
	  "compare every copied file with its source afterwards (fast hash)" },
	{ "fsync", OPT_FSYNC, NULL, 0,
	  "make every file and directory durable before reporting success" },

	{ NULL, 0, NULL, 0, "Attributes and symbolic links:", 2 },
	{ "archive", 'a', NULL, 0, "same as -P --preserve=all" },
	{ NULL, 'p', NULL, 0, "same as --preserve=mode,ownership,timestamps" },
	{ NULL, 'd', NULL, 0, "same as --no-dereference --preserve=links" },
	{ "preserve", OPT_PRESERVE, "LIST", OPTION_ARG_OPTIONAL,
	  "preserve the attributes in the comma-separated LIST: mode, ownership, timestamps, "
	  "links, context, xattr, all (default: mode,ownership,timestamps)" },
	{ "no-preserve", OPT_NO_PRESERVE, "LIST", 0, "do not preserve the attributes in LIST" },
	{ "no-dereference", 'P', NULL, 0, "copy symbolic links as links (the default)" },
	{ "dereference", 'L', NULL, 0, "follow every symbolic link in the sources" },
	{ NULL, 'H', NULL, 0, "follow symbolic links named on the command line" },
	{ NULL, 'Z', NULL, 0,
	  "set the SELinux context of copies to the default type (without SELinux: nothing)" },
	{ "context", OPT_CONTEXT, "CTX", OPTION_ARG_OPTIONAL,
	  "like -Z, or set the SELinux or SMACK context to CTX (without SELinux: a warning)" },

	{ NULL, 0, NULL, 0, "Execution:", 3 },
	{ "backend", 'B', "NAME", 0,
	  "auto (the default), thread, process, uring, or mpi (under mpirun or srun)" },
	{ "jobs", 'j', "N", 0,
	  "worker threads or processes, 1 to 1024 (default: the online CPUs, at least 2)" },
	{ "queue-depth", OPT_QUEUE_DEPTH, "N", 0,
	  "io_uring operations in flight, 1 to 4096 (default 64)" },
	{ "chunk-size", OPT_CHUNK_SIZE, "SIZE", 0,
	  "files larger than SIZE are split into chunks copied in parallel; 64K to 1T, K M G T "
	  "are powers of 1024 (default 64M)" },

	{ NULL, 0, NULL, 0, "Output:", 4 },
	{ "verbose", 'v', NULL, 0, "print 'SOURCE' -> 'DEST' for each entry copied" },
	{ "debug", OPT_DEBUG, NULL, 0,
	  "print how each file was copied (clone, copy_file_range, read/write; holes)" },
	{ "quiet", 'q', NULL, 0, "print nothing but errors and an explicit --summary" },
	{ "progress", OPT_PROGRESS, "MODE", OPTION_ARG_OPTIONAL,
	  "bar, plain, json or none (default: bar when stderr is a terminal, else none; a bare "
	  "--progress means bar on a terminal, else plain)" },
	{ "summary", OPT_SUMMARY, "FORMAT", OPTION_ARG_OPTIONAL,
	  "print a summary at the end: text (the default, on stderr) or json (on stdout)" },

	{ NULL, 0, NULL, 0, "Informational options:", -1 },
	{ NULL },
};

static const char args_doc[] = "SOURCE DEST\nSOURCE... DIRECTORY\n-t DIRECTORY SOURCE...";

static const char doc[] =
	"Copy SOURCE to DEST, or several SOURCEs into DIRECTORY, in parallel. "
	"Directories are copied recursively."
	"\vExit status: 0 if everything was copied, 1 if some files failed, 2 on a usage "
	"error, 130 or 143 when interrupted by SIGINT or SIGTERM.";
/* clang-format on */

/* Who decides about an existing destination file: cp's x.interactive, last one wins. */
enum cli_inter {
	INTER_UNSPECIFIED,
	INTER_ALWAYS_NO, /* -n */
	INTER_SKIP,	 /* --update=none */
	INTER_ASK,	 /* -i */
};

/* What parse_opt() fills: the options, and the operands until KEY_END sorts them. */
struct cli_state {
	struct pcopy_opts *opts;
	char **operands; /* borrowed from argv */
	size_t nr_operands;
	enum cli_inter inter;
	bool make_backups;	     /* -b, --backup or -S given */
	const char *version_control; /* --backup=CONTROL, or NULL */
	bool require_context;	     /* --preserve=context given explicitly */
	bool set_context;	     /* -Z or --context */
	bool deref_set;		     /* -a, -d, -P, -H or -L given */
	const char *context;	     /* --context=CTX */
};

/* clang-format off */
static const struct keyword backend_words[] = {
	{ "auto", BACKEND_AUTO },
	{ "thread", BACKEND_THREAD },
	{ "process", BACKEND_PROCESS },
	{ "uring", BACKEND_URING },
	{ "mpi", BACKEND_MPI },
	{ NULL, 0 },
};

/* In cp's order, so that "Valid arguments are:" reads the same. */
static const struct keyword reflink_words[] = {
	{ "auto", REFLINK_AUTO },
	{ "always", REFLINK_ALWAYS },
	{ "never", REFLINK_NEVER },
	{ NULL, 0 },
};

static const struct keyword sparse_words[] = {
	{ "never", SPARSE_NEVER },
	{ "auto", SPARSE_AUTO },
	{ "always", SPARSE_ALWAYS },
	{ NULL, 0 },
};

static const struct keyword progress_words[] = {
	{ "bar", PROGRESS_BAR },
	{ "plain", PROGRESS_PLAIN },
	{ "json", PROGRESS_JSON },
	{ "none", PROGRESS_NONE },
	{ NULL, 0 },
};

static const struct keyword summary_words[] = {
	{ "text", SUMMARY_TEXT },
	{ "json", SUMMARY_JSON },
	{ NULL, 0 },
};

static const struct keyword preserve_words[] = {
	{ "mode", PRESERVE_MODE },
	{ "timestamps", PRESERVE_TIMESTAMPS },
	{ "ownership", PRESERVE_OWNERSHIP },
	{ "links", PRESERVE_LINKS },
	{ "context", PRESERVE_CONTEXT },
	{ "xattr", PRESERVE_XATTR },
	{ "all", PRESERVE_ALL }, /* context too, but not required: never kept here */
	{ NULL, 0 },
};

/* gnulib's backupfile.c: the words of --backup and VERSION_CONTROL. */
static const struct keyword backup_words[] = {
	{ "none", BACKUP_NONE },
	{ "off", BACKUP_NONE },
	{ "simple", BACKUP_SIMPLE },
	{ "never", BACKUP_SIMPLE },
	{ "existing", BACKUP_EXISTING },
	{ "nil", BACKUP_EXISTING },
	{ "numbered", BACKUP_NUMBERED },
	{ "t", BACKUP_NUMBERED },
	{ NULL, 0 },
};

/* --update=, of coreutils 9.3 and later. */
enum { UPDATE_ALL, UPDATE_NONE, UPDATE_OLDER };
static const struct keyword update_words[] = {
	{ "all", UPDATE_ALL },
	{ "none", UPDATE_NONE },
	{ "older", UPDATE_OLDER },
	{ NULL, 0 },
};
/* clang-format on */

/* Quote a name for a message the way cp does ('name'). Leaks: we are about to exit. */
static const char *q(const char *name)
{
	return quote_name(name, true);
}

/*
 * Report a usage error as SPEC section 8 words it and exit with @status.
 * Not argp_error(): the glibc of Debian 12 words its hint "Try `pcopy
 * --help' or `pcopy --usage'", and the hint must read the same whichever
 * way the error was found (see cli_parse() for getopt's own errors).
 */
__attribute__((noreturn, format(printf, 2, 3))) static void usage_exit(int status, const char *fmt,
								       ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog_name());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_hint();
	exit(status);
}

#define usage_error(...) usage_exit(EXIT_USAGE, __VA_ARGS__)

/* PRESERVE_* bits of a comma-separated list such as "mode,timestamps". */
static unsigned parse_attr_list(const char *option, const char *arg)
{
	unsigned bits = 0;

	for (;;) {
		size_t len = strcspn(arg, ",");

		bits |= argmatch_len(option, arg, len, preserve_words, EXIT_USAGE);
		if (!arg[len])
			return bits;
		arg += len + 1;
	}
}

/* A count for @option within [@min, @max]; a usage error otherwise. */
static unsigned parse_count(const char *option, const char *arg, unsigned min, unsigned max)
{
	unsigned n = 0;

	if (uint_parse(arg, min, max, &n))
		usage_error("invalid argument %s for '%s'; allowed: %u to %u", q(arg), option, min,
			    max);
	return n;
}

static uint64_t parse_chunk_size(const char *arg)
{
	uint64_t size = 0;

	if (size_parse(arg, &size) || size < PCOPY_CHUNK_SIZE_MIN || size > PCOPY_CHUNK_SIZE_MAX)
		usage_error("invalid argument %s for '--chunk-size'; allowed: 64K to 1T", q(arg));
	return size;
}

static void add_exclude(struct pcopy_opts *o, const char *pattern)
{
	o->excludes = xrealloc(o->excludes, (o->nr_excludes + 1) * sizeof(*o->excludes));
	o->excludes[o->nr_excludes++] = pattern;
}

/* cp's interactive/update/backup options. Returns ARGP_ERR_UNKNOWN for the others. */
static error_t parse_overwrite(int key, char *arg, struct cli_state *cs)
{
	switch (key) {
	case 'n':
		cs->inter = INTER_ALWAYS_NO;
		break;
	case 'i':
		cs->inter = INTER_ASK;
		break;
	case 'u':
		cs->opts->update = true;
		break;
	case OPT_UPDATE:
		if (!arg) {
			cs->opts->update = true;
		} else if (cs->inter != INTER_ALWAYS_NO) { /* -n takes precedence, as in cp */
			unsigned u = argmatch("--update", arg, update_words);

			cs->opts->update = u == UPDATE_OLDER;
			cs->inter = u == UPDATE_NONE ? INTER_SKIP : INTER_UNSPECIFIED;
		}
		break;
	case 'b':
	case OPT_BACKUP:
		cs->make_backups = true;
		if (arg)
			cs->version_control = arg;
		break;
	case 'S':
		cs->make_backups = true;
		cs->opts->backup_suffix = arg;
		break;
	case OPT_REMOVE_DESTINATION:
		cs->opts->remove_destination = true;
		break;
	case 'Z':
	case OPT_CONTEXT:
		cs->set_context = true;
		if (arg)
			cs->context = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Options that take no argument. Returns ARGP_ERR_UNKNOWN for the others. */
static error_t parse_switch(int key, struct pcopy_opts *o)
{
	switch (key) {
	case 'a':
		o->deref = DEREF_NEVER;
		o->preserve |= PRESERVE_ALL;
		break;
	case 'p':
		o->preserve |= PRESERVE_CP_P;
		break;
	case 'd':
		o->deref = DEREF_NEVER;
		o->preserve |= PRESERVE_LINKS;
		break;
	case 'P':
		o->deref = DEREF_NEVER;
		break;
	case 'L':
		o->deref = DEREF_ALWAYS;
		break;
	case 'H':
		o->deref = DEREF_COMMAND_LINE;
		break;
	case 'f':
		o->force = true;
		break;
	case 'l':
		o->hard_link = true;
		break;
	case 's':
		o->symbolic_link = true;
		break;
	case OPT_ATTRIBUTES_ONLY:
		o->attributes_only = true;
		break;
	case OPT_COPY_CONTENTS:
		o->copy_contents = true;
		break;
	case OPT_PARENTS:
		o->parents = true;
		break;
	case OPT_STRIP_TRAILING_SLASHES:
		o->strip_trailing_slashes = true;
		break;
	case OPT_KEEP_DIRECTORY_SYMLINK:
		o->keep_directory_symlink = true;
		break;
	case OPT_DEBUG:
		o->debug = true;
		break;
	case 'x':
		o->one_file_system = true;
		break;
	case 'T':
		o->no_target_dir = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case OPT_VERIFY:
		o->verify = true;
		break;
	case OPT_FSYNC:
		o->fsync = true;
		break;
	case 'r':
	case 'R':
		break; /* cp compatibility: directories are always copied recursively */
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Options that take an argument (@arg is NULL for a bare optional one).
 * Returns ARGP_ERR_UNKNOWN for the others.
 */
static error_t parse_valued(int key, char *arg, struct pcopy_opts *o)
{
	switch (key) {
	case 't':
		if (o->target_dir)
			usage_error("multiple target directories specified");
		o->target_dir = arg;
		break;
	case OPT_PRESERVE:
		o->preserve |= arg ? parse_attr_list("--preserve", arg) : PRESERVE_CP_P;
		break;
	case OPT_NO_PRESERVE: {
		unsigned bits = parse_attr_list("--no-preserve", arg);

		o->preserve &= ~bits;
		o->explicit_no_preserve_mode |= bits & PRESERVE_MODE;
		break;
	}
	case OPT_REFLINK:
		o->reflink = arg ? argmatch("--reflink", arg, reflink_words) : REFLINK_ALWAYS;
		break;
	case OPT_SPARSE:
		o->sparse = argmatch("--sparse", arg, sparse_words);
		break;
	case OPT_EXCLUDE:
		add_exclude(o, arg);
		break;
	case 'B':
		o->backend = argmatch("--backend", arg, backend_words);
		break;
	case 'j':
		o->jobs = parse_count("--jobs", arg, 1, PCOPY_JOBS_MAX);
		break;
	case OPT_QUEUE_DEPTH:
		o->queue_depth = parse_count("--queue-depth", arg, 1, PCOPY_QUEUE_DEPTH_MAX);
		break;
	case OPT_CHUNK_SIZE:
		o->chunk_size = parse_chunk_size(arg);
		break;
	case OPT_PROGRESS:
		o->progress = arg		      ? argmatch("--progress", arg, progress_words)
			      : isatty(STDERR_FILENO) ? PROGRESS_BAR
						      : PROGRESS_PLAIN;
		break;
	case OPT_SUMMARY:
		o->summary = arg ? argmatch("--summary", arg, summary_words) : SUMMARY_TEXT;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* An SELinux kernel has selinuxfs mounted (libselinux's test, without libselinux). */
static bool selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

/* -Z, --context, --preserve=context as cp behaves on a kernel without SELinux. */
static void check_context(const struct cli_state *cs)
{
	if (selinux_enabled()) {
		if (cs->set_context || cs->require_context)
			die("SELinux contexts: not supported yet");
		return;
	}
	if (cs->require_context) {
		fflush(stdout);
		fprintf(stderr,
			"%s: cannot preserve security context without an SELinux-enabled "
			"kernel\n",
			prog_name());
		exit(EXIT_CP_USAGE);
	}
	if (cs->context)
		fprintf(stderr,
			"%s: warning: ignoring --context; it requires an SELinux-enabled "
			"kernel\n",
			prog_name());
}

/* The backup suffix: -S, else SIMPLE_BACKUP_SUFFIX, else "~"; never one with a '/'. */
static const char *backup_suffix(const char *suffix)
{
	if (!suffix)
		suffix = getenv("SIMPLE_BACKUP_SUFFIX");
	return suffix && *suffix && !strchr(suffix, '/') ? suffix : "~";
}

/* gnulib's xget_version(): --backup=CONTROL, else VERSION_CONTROL, else existing. */
static enum backup_type backup_type(const struct cli_state *cs)
{
	const char *env = getenv("VERSION_CONTROL");

	if (!cs->make_backups)
		return BACKUP_NONE;
	if (cs->version_control && *cs->version_control)
		return argmatch("backup type", cs->version_control, backup_words);
	if (env && *env)
		return argmatch("$VERSION_CONTROL", env, backup_words);
	return BACKUP_EXISTING;
}

/* The checks cp's main() makes after its options, in cp's order and with its status. */
static void check_cp_options(struct cli_state *cs)
{
	struct pcopy_opts *o = cs->opts;

	if (o->hard_link && o->symbolic_link)
		usage_exit(EXIT_CP_USAGE, "cannot make both hard and symbolic links");
	cs->make_backups |= o->backup_dir != NULL; /* --backup-dir implies --backup (rsync) */
	if (cs->make_backups && cs->inter == INTER_ALWAYS_NO)
		usage_exit(EXIT_CP_USAGE,
			   "options --backup and --no-clobber are mutually exclusive");
	if (o->reflink == REFLINK_ALWAYS && o->sparse != SPARSE_AUTO)
		usage_exit(EXIT_CP_USAGE, "--reflink can be used only with --sparse=auto");
	/* cp -l follows symlinks unless told otherwise, even with -R. */
	if (o->hard_link && !cs->deref_set)
		o->deref = DEREF_ALWAYS;
	o->backup = backup_type(cs);
	/* rsync: no suffix in a --backup-dir unless -S gives one. */
	o->backup_suffix =
		o->backup_dir && !o->backup_suffix ? "" : backup_suffix(o->backup_suffix);
	o->no_clobber = cs->inter == INTER_ALWAYS_NO || cs->inter == INTER_SKIP;
	o->interactive = cs->inter == INTER_ASK;
	cs->require_context = o->preserve & PRESERVE_CONTEXT;
	o->preserve &= ~PRESERVE_CONTEXT;
	check_context(cs);
}

/* Fail with "pcopy: WHAT: not supported yet" (exit 2) when @cond holds. */
static void refuse_if(bool cond, const char *what)
{
	if (cond)
		die("%s: not supported yet", what);
}

/*
 * Options that are parsed but whose behaviour has not landed yet: refused
 * rather than silently ignored. A feature lands by deleting its line.
 */
static void refuse_unsupported(const struct pcopy_opts *o)
{
	if (o->backend != BACKEND_MPI)
		return;
#ifndef PCOPY_HAVE_MPI
	die("--backend=mpi: this pcopy was built without MPI (meson setup -Dmpi=enabled)");
#endif
	refuse_if(o->deref == DEREF_ALWAYS, "-L with --backend=mpi");
	refuse_if(o->interactive, "-i with --backend=mpi");
	refuse_if(o->hard_link, "-l with --backend=mpi");
	refuse_if(o->symbolic_link, "-s with --backend=mpi");
	refuse_if(o->parents, "--parents with --backend=mpi");
	refuse_if(o->keep_directory_symlink, "--keep-directory-symlink with --backend=mpi");
	refuse_if(o->dry_run, "--dry-run with --backend=mpi");
}

/*
 * Several sources need a directory to go into. Checked here, following
 * symlinks as cp does, so that the mistake is a usage error before anything
 * is written (SPEC section 8).
 */
static void require_directory(const char *path)
{
	struct stat st;
	int err = stat(path, &st) ? errno : 0; /* before q() may change errno */

	if (err == ENOENT || err == ENOTDIR || (!err && !S_ISDIR(st.st_mode)))
		usage_error("target %s is not a directory", q(path));
	if (err)
		usage_error("target %s: %s", q(path), strerror(err));
}

static bool is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Check the operand count against -t/-T and split operands into sources and dest. */
static void set_operands(struct cli_state *cs)
{
	struct pcopy_opts *o = cs->opts;
	size_t n = cs->nr_operands;

	if (o->target_dir && o->no_target_dir)
		usage_error("cannot combine --target-directory (-t) "
			    "and --no-target-directory (-T)");
	if (n == 0)
		usage_error("missing file operand");
	if (n == 1 && !o->target_dir)
		usage_error("missing destination file operand after %s", q(cs->operands[0]));
	if (n > 2 && o->no_target_dir)
		usage_error("extra operand %s", q(cs->operands[2]));

	if (o->parents && !o->target_dir && n == 2 && !is_directory(cs->operands[1]))
		usage_exit(EXIT_CP_USAGE, "with --parents, the destination must be a directory");
	if (o->target_dir) {
		require_directory(o->target_dir);
		o->dest = o->target_dir;
	} else {
		if (n > 2)
			require_directory(cs->operands[n - 1]);
		o->dest = cs->operands[--n];
	}
	/* As cp: only sources copied into a directory lose their slashes. */
	if (o->strip_trailing_slashes &&
	    (o->target_dir || n > 1 || (!o->no_target_dir && is_directory(o->dest))))
		for (size_t i = 0; i < n; i++)
			for (size_t len = strlen(cs->operands[i]);
			     len > 1 && cs->operands[i][len - 1] == '/';)
				cs->operands[i][--len] = '\0';
	o->sources = xmalloc(n * sizeof(*o->sources));
	memcpy(o->sources, cs->operands, n * sizeof(*o->sources));
	o->nr_sources = n;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_state *cs = state->input;
	struct pcopy_opts *o = cs->opts;

	switch (key) {
	case ARGP_KEY_INIT:
		/*
		 * No stream for argp's own error output: after getopt has named
		 * a bad option, argp would add its differently worded hint and
		 * exit. Without a stream it returns instead, and cli_parse()
		 * adds ours. --help and --version use out_stream, unchanged.
		 */
		state->err_stream = NULL;
		state->child_inputs[0] = o; /* cli_backup_argp */
		return 0;
	case ARGP_KEY_ARGS:
		/* All operands at once; argp has moved them after the options. */
		cs->operands = state->argv + state->next;
		cs->nr_operands = state->argc - state->next;
		return 0;
	case ARGP_KEY_END:
		check_cp_options(cs);
		refuse_unsupported(o);
		set_operands(cs);
		if (o->debug) /* cp: --debug implies -v */
			o->verbose = true;
		if (o->quiet) { /* -q wins over -v and progress (SPEC section 8) */
			o->verbose = false;
			o->debug = false;
			o->progress = PROGRESS_NONE;
		}
		return 0;
	}
	if (key > 0 && key < 256 && strchr("adPHL", key))
		cs->deref_set = true;
	if (parse_switch(key, o) == 0 || parse_overwrite(key, arg, cs) == 0)
		return 0;
	return parse_valued(key, arg, o);
}

/* Online CPUs, at least 2 so that the walk and a copy overlap, at most the -j limit. */
static unsigned default_jobs(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 2)
		return 2;
	return cpus > PCOPY_JOBS_MAX ? PCOPY_JOBS_MAX : (unsigned)cpus;
}

void opts_init(struct pcopy_opts *opts)
{
	*opts = (struct pcopy_opts){
		.preserve = 0,
		.deref = DEREF_NEVER,
		.reflink = REFLINK_AUTO,
		.sparse = SPARSE_AUTO,
		.backend = BACKEND_AUTO,
		.jobs = default_jobs(),
		.queue_depth = PCOPY_QUEUE_DEPTH_DEFAULT,
		.chunk_size = PCOPY_CHUNK_SIZE_DEFAULT,
		.progress = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_NONE,
		.summary = SUMMARY_NONE,
	};
	/* The umask can only be read by setting it; put it back at once. */
	opts->umask = umask(0);
	umask(opts->umask);
}

void opts_release(struct pcopy_opts *opts)
{
	free(opts->sources);
	opts->sources = NULL;
	opts->nr_sources = 0;
	free(opts->excludes);
	opts->excludes = NULL;
	opts->nr_excludes = 0;
	cli_backup_release(opts);
}

void cli_parse(int argc, char **argv, struct pcopy_opts *opts)
{
	static const struct argp_child children[] = {
		{ &cli_backup_argp, 0, NULL, 0 },
		{ NULL },
	};
	static const struct argp argp = { options, parse_opt, args_doc, doc, children };
	struct cli_state cs = { .opts = opts };
	error_t err;

	argp_err_exit_status = EXIT_USAGE;
	opts_init(opts);
	/*
	 * getopt names the program by argv[0] as given: make it the base name
	 * so that its messages start with "pcopy:" like all the others.
	 */
	if (argc > 0 && argv[0])
		argv[0] = basename(argv[0]);
	argmatch_cp_abbreviations(argc, argv);
	err = argp_parse(&argp, argc, argv, 0, NULL, &cs);
	if (err == EINVAL) { /* getopt has printed what was wrong */
		usage_hint();
		exit(EXIT_USAGE);
	}
	if (err)
		die("%s", strerror(err));
}
