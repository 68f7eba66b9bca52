/* SPDX-License-Identifier: MIT */
/*
 * Hard links inside the copy: files with more than one link are grouped by
 * (device, inode). The first one seen is copied; the others become links
 * to that copy once it has its final name. Only entries with nlink > 1
 * enter the map, and a group leaves it once all its st_nlink names were
 * seen: memory follows the links still expected, not the size of the tree.
 * Under -L (where symlinks may reach any file) see hardlink_map_new().
 */
#ifndef PCOPY_HARDLINK_H
#define PCOPY_HARDLINK_H

#include <stdbool.h>
#include <stddef.h>

struct dir_node;
struct engine;
struct hardlink_map;
struct job;

/* What the walker does with a job after hardlink_claim(). */
enum hardlink_action {
	HARDLINK_COPY,	 /* the job is the group's copy: submit it as it is */
	HARDLINK_LINK,	 /* the job became a JOB_HARDLINK: submit it */
	HARDLINK_PARKED, /* the job waits for the copy; the map owns it now */
};

/* How the copy of a group ended, for hardlink_complete(). */
enum hardlink_outcome {
	HARDLINK_COPIED,  /* its name holds the file to link to: the new copy,
			     or (-u) the destination file left as it was */
	HARDLINK_FAILED,  /* the copy failed: the parked links fail too */
	HARDLINK_NO_COPY, /* -n left an existing file there: the next name is copied */
};

/*
 * Files claimed with @remember (-L, -H operands: a symlink may reach them
 * again) are remembered for the whole run, as cp does, until those groups
 * take @budget bytes; after that only files with more names to come enter
 * the map, and leave it once those came.
 */
struct hardlink_map *hardlink_map_new(struct engine *engine, size_t budget);

/* The budget: some 100,000 files of ordinary path lengths. */
#define HARDLINK_REMEMBER_BUDGET ((size_t)16 << 20)

/*
 * Free the map; parked jobs must have been released (all copies done).
 * Drops the references the groups hold.
 */
void hardlink_map_free(struct hardlink_map **map);

/* Groups alive now (for tests: the map must not grow with the tree). */
size_t hardlink_map_size(struct hardlink_map *map);

/*
 * Walker: non-directory @job (nlink > 1, or reached following symlinks)
 * was seen; decide its fate. @counted: the entry is one of the inode's
 * st_nlink names, not a symlink followed to it; a group retires after
 * st_nlink counted names. @remember: see hardlink_map_new(). Thread-safe.
 */
enum hardlink_action hardlink_claim(struct hardlink_map *map, struct job *job, bool counted,
				    bool remember);

/*
 * Engine: the group's copy @job ended with @outcome. HARDLINK_COPIED turns
 * the parked links into JOB_HARDLINKs and returns them (a list through
 * job->next) for the caller to run; HARDLINK_FAILED returns them with
 * job->kind unchanged for the caller to fail. HARDLINK_NO_COPY makes the
 * first parked job the group's copy, returned in *@recopy for the caller
 * to run (the others stay parked behind it), and returns NULL.
 * Thread-safe.
 */
struct job *hardlink_complete(struct hardlink_map *map, struct job *job,
			      enum hardlink_outcome outcome, struct job **recopy);

#endif /* PCOPY_HARDLINK_H */
