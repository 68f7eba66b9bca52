/* SPDX-License-Identifier: MIT */
/*
 * Private to the walker (walk.c, walk_fds.c, walk_operands.c): its state
 * and the functions its parts share.
 */
#ifndef PCOPY_WALK_INTERNAL_H
#define PCOPY_WALK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pcopy/copy.h"
#include "pcopy/engine.h"

struct backend;
struct dir_node;
struct exclude_set;
struct hardlink_map;
struct job;
struct progress;

#define DENTS_BUF_SIZE (32u << 10)

/* A directory being listed; its listing resumes at @resume after a child. */
struct frame {
	struct dir_node *dir; /* the walker's reference */
	off_t resume;	      /* d_off of the last entry handled */
	bool seek;	      /* lseek to @resume before the next getdents64 */
	bool closed;	      /* its descriptors were closed to save them */
};

struct walker;

/*
 * Hooks for a driver that distributes the walk (the MPI backend); a plain
 * run has none. Each may be NULL.
 */
struct walk_hooks {
	/* An operand's top directory was made: take the walker's reference
	 * instead of walking it. */
	void (*top)(struct walker *wk, struct dir_node *top);
	/* A subdirectory @name of @dir: handle it instead of descending. */
	void (*subdir)(struct walker *wk, struct dir_node *dir, const char *name,
		       const struct stat *st);
	/* A non-directory entry: return true to take it out of the walk. */
	bool (*divert)(struct walker *wk, struct dir_node *dir, const char *name,
		       const struct stat *st);
	/* Called every few entries, so that the driver answers its peers. */
	void (*poll)(struct walker *wk);
};

struct walker {
	struct engine *engine;	       /* borrowed */
	const struct pcopy_opts *opts; /* borrowed */
	struct progress *progress;     /* borrowed */
	struct backend *backend;       /* borrowed */
	struct hardlink_map *links;    /* borrowed; NULL unless links are kept */
	struct worker_ctx w;	       /* for the files the walker opens itself */
	char *dents;		       /* getdents64 buffer; owned */
	struct frame *frames;	       /* the directories being listed; owned */
	size_t nr_frames, alloc_frames;
	uint64_t next_id;
	unsigned dir_budget;		/* directories we may keep open (2 fds each) */
	unsigned nr_closed;		/* frames whose descriptors are closed */
	dev_t root_dev;			/* -x: file system of the current operand */
	struct exclude_set *excludes;	/* --exclude; owned, NULL without patterns */
	uid_t euid;			/* owner of what we create */
	gid_t egid;			/* group of what we create (no setgid dir) */
	const struct walk_hooks *hooks; /* NULL for a plain walk */
	void *hook_ctx;			/* the hooks' state */
	bool totals_counted;		/* files submitted now were counted already */
	char *backup_made;		/* -v -b: the backup of the entry in hand; owned */
};

/* walk_operands.c: set up and release a walker; walk the operands. */
void walker_init(struct walker *wk, struct engine *engine, struct backend *backend,
		 struct hardlink_map *links);
void walker_release(struct walker *wk);
void walk_operands(struct walker *wk);
/*
 * Copy the operand @src (relative to @root's source) to @dst_name in @root;
 * @made (or NULL) holds the names made by earlier operands.
 */
struct made_set;
void walk_operand(struct walker *wk, struct dir_node *root, const char *src, const char *dst_name,
		  const char *dst_slashed, struct made_set *made);

/*
 * walk_parents.c: --keep-directory-symlink, the destination directory @name
 * of @parent through a symlink; -PCOPY_EOVERWRITE_NONDIR if it is not one.
 */
int walk_open_dir_symlink(struct dir_node *parent, const char *name);

/* walk_parents.c: --parents, the operand @src below its directories in @root. */
void walk_parents_operand(struct walker *wk, struct dir_node *root, const char *src);

/* walk.c: the tree. */
void walk_report(struct walker *wk, struct dir_node *dir, const char *name, int err);

/* "cannot copy into the backup directory 'PATH'" (an error: not copied). */
void walk_report_backup_dir(struct walker *wk, struct dir_node *parent, const char *name);
struct dir_node *walk_dir_new(struct walker *wk, struct dir_node *parent);
void walk_note_dst_dir(struct walker *wk, struct dir_node *dir);
struct dir_node *walk_make_dir(struct walker *wk, struct dir_node *parent, const char *name,
			       const char *dst_name, const struct stat *st, bool follow);
void walk_submit_entry(struct walker *wk, struct dir_node *dir, const char *name,
		       const char *dst_name, const struct stat *st, bool follow);
bool walk_is_excluded(struct walker *wk, struct dir_node *dir, const char *name, bool is_dir);
void walk_tree(struct walker *wk, struct dir_node *top);
int walk_open_dst_dir(struct dir_node *parent, const char *name, bool *fresh, bool dry_run);

/* walk_prompt.c: -i. False when the user kept the existing destination. */
bool walk_prompt_overwrite(struct walker *wk, struct dir_node *dir, const char *name,
			   const char *dst_name, const struct stat *st);

/*
 * walk_backup.c: --backup and --remove-destination before a non-directory
 * is scheduled. False when the entry must not be copied (reported).
 */
bool walk_prepare_dest(struct walker *wk, struct dir_node *dir, const char *name,
		       const char *dst_name, const struct stat *st);
/*
 * walk_same.c: a non-directory operand @src (@st) onto an existing
 * @dst_name that may be the same file, with cp's rules (same_file_ok()).
 * 0 to copy @src, or *@backup_src (set, caller frees: cp -f -b F F);
 * 1 when there is nothing to do; -1 when an error was reported.
 */
int walk_same_check(struct walker *wk, struct dir_node *root, const char *src, const char *dst_name,
		    const struct stat *st, char **backup_src);
/* cp's "'SRC' and 'DST' are the same file", "cannot copy a directory, 'SRC',
 * into itself, 'DST'" for an operand. */
void walk_report_same_file(struct walker *wk, struct dir_node *root, const char *src,
			   const char *dst_name);
void walk_report_into_self(struct walker *wk, struct dir_node *root, const char *src,
			   const char *dst_name);

/* walk_link.c: -l and -s. True when the entry was linked (or failed, reported). */
bool walk_link_entry(struct walker *wk, struct dir_node *dir, const char *name,
		     const char *dst_name, const struct stat *st, bool follow);

/* walk_attr.c: --attributes-only. True when the entry was handled here. */
bool walk_attr_only_entry(struct walker *wk, struct dir_node *dir, const char *name,
			  const char *dst_name, const struct stat *st, bool follow);

/* walk_attr.c: --copy-contents. True when the special file was read here. */
bool walk_contents_entry(struct walker *wk, struct dir_node *dir, const char *name,
			 const char *dst_name, const struct stat *st, bool follow);

/* walk_fds.c: staying within the descriptor limit. */
unsigned walk_dir_budget(const struct pcopy_opts *opts);
void walk_ensure_fd_room(struct walker *wk);
int walk_reopen_frame(struct walker *wk, size_t top);
/*
 * @fd, when it is the directory (@dev, @ino) that was stat'ed; else close
 * it and return -PCOPY_ECHANGED (it was swapped after the stat).
 */
int walk_check_dir_fd(int fd, dev_t dev, ino_t ino);

#endif /* PCOPY_WALK_INTERNAL_H */
