/* SPDX-License-Identifier: MIT */
/*
 * Hard links inside the copy: files with more than one link are grouped by
 * (device, inode). The first one seen is copied; the others become links
 * to that copy once it has its final name. Only entries with nlink > 1
 * enter the map (every entry under -L, where several symlinks may reach one
 * inode), and a group leaves it once all its links were seen.
 */
#ifndef PCOPY_HARDLINK_H
#define PCOPY_HARDLINK_H

#include <stdbool.h>

struct dir_node;
struct engine;
struct hardlink_map;
struct job;

/* What the walker does with a job after hardlink_claim(). */
enum hardlink_action {
	HARDLINK_COPY,   /* the job is the group's copy: submit it as it is */
	HARDLINK_LINK,   /* the job became a JOB_HARDLINK: submit it */
	HARDLINK_PARKED, /* the job waits for the copy; the map owns it now */
};

/*
 * @by_count: groups retire once st_nlink names were seen. False under -L,
 * where names reaching an inode through symlinks are not counted by nlink.
 */
struct hardlink_map *hardlink_map_new(struct engine *engine, bool by_count);

/*
 * Free the map; parked jobs must have been released (all copies done).
 * Drops the references the groups hold.
 */
void hardlink_map_free(struct hardlink_map **map);

/* Walker: non-directory @job (nlink > 1, or -L) was seen; decide its fate. Thread-safe. */
enum hardlink_action hardlink_claim(struct hardlink_map *map, struct job *job);

/*
 * Engine: the group's copy @job finished with @err (0, or negative). On
 * success the parked links of the group are turned into JOB_HARDLINKs and
 * returned as a list (through job->next) for the caller to run; on failure
 * they are returned with job->kind unchanged (JOB_FILE) so that the caller
 * fails them too. Thread-safe.
 */
struct job *hardlink_complete(struct hardlink_map *map, struct job *job, int err);

#endif /* PCOPY_HARDLINK_H */
