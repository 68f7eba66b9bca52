/* SPDX-License-Identifier: MIT */
/*
 * The parsed command line: what to copy, where, and how. Filled once by
 * cli_parse(), then passed around as `const struct pcopy_opts *`.
 */
#ifndef PCOPY_OPTIONS_H
#define PCOPY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Which engine executes the jobs (SPEC section 4). */
enum backend_kind {
	BACKEND_AUTO,	 /* pick the fastest available one */
	BACKEND_THREAD,	 /* pthread pool */
	BACKEND_PROCESS, /* forked worker processes */
	BACKEND_URING,	 /* io_uring asynchronous I/O */
	BACKEND_MPI,	 /* one engine per Open MPI rank */
	NR_BACKEND_KINDS
};

/* --reflink */
enum reflink_mode {
	REFLINK_AUTO,	/* clone when the file system can, else copy */
	REFLINK_ALWAYS, /* clone or fail that file */
	REFLINK_NEVER,	/* always copy the bytes */
};

/* --sparse */
enum sparse_mode {
	SPARSE_AUTO,   /* holes in the source stay holes */
	SPARSE_ALWAYS, /* also turn runs of zeros into holes */
	SPARSE_NEVER,  /* write every byte, holes become zeros */
};

/* -P / -H / -L */
enum deref_mode {
	DEREF_NEVER,	    /* -P: copy symlinks as symlinks (default) */
	DEREF_COMMAND_LINE, /* -H: follow symlinks named on the command line */
	DEREF_ALWAYS,	    /* -L: follow every symlink */
};

/* --progress */
enum progress_mode {
	PROGRESS_NONE,
	PROGRESS_BAR,	/* one redrawn line on a terminal */
	PROGRESS_PLAIN, /* a line every few seconds, for logs */
	PROGRESS_JSON,	/* one JSON object per line on stderr */
};

/* --summary */
enum summary_mode {
	SUMMARY_NONE,
	SUMMARY_TEXT, /* on stderr */
	SUMMARY_JSON, /* one object on stdout */
};

/* -b / --backup: how a replaced destination is kept (cp's version control) */
enum backup_type {
	BACKUP_NONE,	 /* none, off: no backup */
	BACKUP_SIMPLE,	 /* simple, never: NAME + suffix */
	BACKUP_EXISTING, /* existing, nil: numbered if NAME.~N~ exist, else simple */
	BACKUP_NUMBERED, /* numbered, t: NAME.~N~ */
};

/* --preserve attributes, as a bit set */
#define PRESERVE_MODE (1u << 0)	      /* permission bits and POSIX ACLs */
#define PRESERVE_OWNERSHIP (1u << 1)  /* uid and gid */
#define PRESERVE_TIMESTAMPS (1u << 2) /* atime and mtime, nanoseconds */
#define PRESERVE_LINKS (1u << 3)      /* hard links inside the copy */
#define PRESERVE_XATTR (1u << 4)      /* extended attributes */
#define PRESERVE_CONTEXT (1u << 5)    /* SELinux context: never kept here */
#define PRESERVE_ALL                                                                               \
	(PRESERVE_MODE | PRESERVE_OWNERSHIP | PRESERVE_TIMESTAMPS | PRESERVE_LINKS | PRESERVE_XATTR)

/* Limits of SPEC section 8 ("Value limits"). */
#define PCOPY_JOBS_MAX 1024
#define PCOPY_QUEUE_DEPTH_MAX 4096
#define PCOPY_CHUNK_SIZE_MIN (64ull << 10)
#define PCOPY_CHUNK_SIZE_MAX (1ull << 40)
#define PCOPY_CHUNK_SIZE_DEFAULT (64ull << 20)
#define PCOPY_QUEUE_DEPTH_DEFAULT 64

struct pcopy_opts {
	unsigned preserve;		/* PRESERVE_* bits */
	bool explicit_no_preserve_mode; /* --no-preserve=mode (or all) was given */
	enum deref_mode deref;		/* symlink handling for sources */
	bool force;			/* -f: replace unwritable destination files */
	bool no_clobber;		/* -n, --update=none: never overwrite an existing file */
	bool interactive;		/* -i: ask before overwriting (on stderr, from stdin) */
	bool update;			/* -u, --update=older: copy only newer or missing files */
	bool remove_destination;	/* --remove-destination: unlink before creating */
	enum backup_type backup;	/* -b, --backup */
	const char *backup_suffix;	/* -S or SIMPLE_BACKUP_SUFFIX, else "~" */
	bool hard_link;			/* -l: hard link files instead of copying */
	bool symbolic_link;		/* -s: make symbolic links instead of copying */
	bool attributes_only;		/* --attributes-only: no data */
	bool copy_contents;		/* --copy-contents: read special files as files */
	bool parents;			/* --parents: source path under the directory */
	bool strip_trailing_slashes;	/* --strip-trailing-slashes on sources */
	bool keep_directory_symlink;	/* --keep-directory-symlink */
	bool debug;			/* --debug: the copy method of each file */
	bool one_file_system;		/* -x: do not descend into other mounts */
	bool no_target_dir;		/* -T: treat DEST as a normal file */
	bool omit_dirs;			/* invoked as cp without -r/-R/-a: skip directories */
	const char *target_dir;		/* -t DIR, or NULL; borrowed from argv */
	enum reflink_mode reflink;	/* --reflink */
	enum sparse_mode sparse;	/* --sparse */
	const char **excludes;		/* --exclude patterns; owned array, borrowed strings */
	size_t nr_excludes;
	/* rsync's backup options (issue 19) */
	bool delete_extraneous;	 /* --delete: remove what the source does not have */
	bool delete_excluded;	 /* --delete-excluded: excluded names go too */
	const char **link_dests; /* --link-dest DIRs; owned array, borrowed strings */
	size_t nr_link_dests;
	const char *backup_dir; /* --backup-dir: backups go there, not beside; or NULL */
	bool checksum;		/* -c: -u compares contents (xxHash3) */
	bool size_only;		/* --size-only: -u compares sizes only */
	unsigned modify_window; /* --modify-window: -u's mtimes equal within N s */
	bool *rule_include;	/* --include: excludes[i] is an include rule when
				   i < nr_rule_flags and rule_include[i]; owned */
	size_t nr_rule_flags;
	const char **files_from; /* --files-from paths; owned array, strings in owned */
	size_t nr_files_from;
	char **owned; /* buffers read from the *-from FILEs; owned */
	size_t nr_owned;
	uint64_t bwlimit;	   /* --bwlimit: bytes per second, 0 for none */
	bool itemize;		   /* --itemize-changes: rsync's change lines */
	bool verbose;		   /* -v: name each entry on stdout */
	bool quiet;		   /* -q: nothing but errors (and --summary) */
	bool dry_run;		   /* --dry-run: list, write nothing */
	bool verify;		   /* --verify: hash-compare after copying */
	bool fsync;		   /* --fsync: durable before success */
	enum backend_kind backend; /* -B */
	unsigned jobs;		   /* -j: workers, 1..PCOPY_JOBS_MAX */
	unsigned queue_depth;	   /* --queue-depth, 1..PCOPY_QUEUE_DEPTH_MAX */
	uint64_t chunk_size;	   /* --chunk-size in bytes */
	bool no_resume;		   /* --no-resume: partials of chunked files are discarded */
	enum progress_mode progress;
	enum summary_mode summary;
	const char **sources; /* source operands; owned array, borrowed strings */
	size_t nr_sources;
	const char *dest; /* destination operand (or the -t directory) */
	mode_t umask;	  /* the process umask at start-up */
};

/* Fill @opts with the defaults pcopy has before any option is parsed. */
void opts_init(struct pcopy_opts *opts);

/* Free what cli_parse() allocated inside @opts (not the struct itself). */
void opts_release(struct pcopy_opts *opts);

#endif /* PCOPY_OPTIONS_H */
