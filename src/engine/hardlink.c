// SPDX-License-Identifier: MIT
/* The (device, inode) map that turns repeated inodes into hard links. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcopy/engine.h"
#include "pcopy/hardlink.h"
#include "pcopy/job.h"
#include "pcopy/util.h"

enum group_state {
	GROUP_NEW,     /* no copy yet (or it failed, or -n left its name alone):
			  the next name seen is copied */
	GROUP_PENDING, /* the copy is being made */
	GROUP_DONE,    /* the copy has its final name: link to it */
};

struct hardlink_group {
	dev_t dev;
	ino_t ino;
	nlink_t nlink; /* links the source inode has */
	nlink_t seen;  /* of those, names met by the walker so far */
	enum group_state state;
	struct dir_node *root; /* operand root of the copy; reference held */
	char *rel_path;	       /* copy's path below root->dst_dirfd; owned */
	const char *base;      /* its last component, inside rel_path */
	dev_t dir_dev;	       /* the copy's destination directory, to link */
	ino_t dir_ino;	       /* within it by name when the link is there too */
	bool keep;	       /* -L: remembered for the whole run, as cp does */
	struct job *parked;    /* links waiting for the copy, in walk order */
	struct job **parked_tail;
	struct hardlink_group *next; /* hash chain */
};

struct hardlink_map {
	pthread_mutex_t lock;
	struct engine *engine; /* borrowed, to release directories */
	struct hardlink_group **buckets;
	size_t nr_buckets;
	size_t nr_groups;
	size_t budget;	   /* bytes the kept groups may take */
	size_t kept_bytes; /* bytes they take now */
};

struct hardlink_map *hardlink_map_new(struct engine *engine, size_t budget)
{
	struct hardlink_map *map = xcalloc(1, sizeof(*map));

	map->budget = budget;
	pthread_mutex_init(&map->lock, NULL);
	map->engine = engine;
	map->nr_buckets = 1024;
	map->buckets = xcalloc(map->nr_buckets, sizeof(*map->buckets));
	return map;
}

size_t hardlink_map_size(struct hardlink_map *map)
{
	size_t n;

	pthread_mutex_lock(&map->lock);
	n = map->nr_groups;
	pthread_mutex_unlock(&map->lock);
	return n;
}

static size_t bucket_of(const struct hardlink_map *map, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (size_t)(h >> 17) & (map->nr_buckets - 1);
}

static void grow(struct hardlink_map *map)
{
	size_t old_nr = map->nr_buckets;
	struct hardlink_group **old = map->buckets;

	map->nr_buckets *= 2;
	map->buckets = xcalloc(map->nr_buckets, sizeof(*map->buckets));
	for (size_t i = 0; i < old_nr; i++) {
		while (old[i]) {
			struct hardlink_group *g = old[i];
			size_t b = bucket_of(map, g->dev, g->ino);

			old[i] = g->next;
			g->next = map->buckets[b];
			map->buckets[b] = g;
		}
	}
	free(old);
}

static struct hardlink_group **find(struct hardlink_map *map, dev_t dev, ino_t ino)
{
	struct hardlink_group **pg = &map->buckets[bucket_of(map, dev, ino)];

	while (*pg && !((*pg)->dev == dev && (*pg)->ino == ino))
		pg = &(*pg)->next;
	return pg;
}

static struct hardlink_group *group_add(struct hardlink_map *map, const struct stat *st, bool keep)
{
	struct hardlink_group *g;
	size_t b;

	if (map->nr_groups >= map->nr_buckets)
		grow(map);
	g = xcalloc(1, sizeof(*g));
	g->dev = st->st_dev;
	g->ino = st->st_ino;
	g->nlink = st->st_nlink;
	g->parked_tail = &g->parked;
	g->keep = keep;
	if (keep)
		map->kept_bytes += sizeof(*g);
	b = bucket_of(map, g->dev, g->ino);
	g->next = map->buckets[b];
	map->buckets[b] = g;
	map->nr_groups++;
	return g;
}

static void group_free(struct hardlink_map *map, struct hardlink_group *g)
{
	if (g->root)
		engine_dir_release(map->engine, g->root);
	free(g->rel_path);
	free(g);
}

/* Drop the group once every link was seen and nothing waits on it. */
static void maybe_retire(struct hardlink_map *map, struct hardlink_group *g)
{
	struct hardlink_group **pg;

	if (g->keep || g->state == GROUP_PENDING || g->seen < g->nlink || g->parked)
		return;
	pg = find(map, g->dev, g->ino);
	*pg = g->next;
	map->nr_groups--;
	group_free(map, g);
}

static void park(struct hardlink_group *g, struct job *job)
{
	job->next = NULL;
	*g->parked_tail = job;
	g->parked_tail = &job->next;
}

/* Take the parked list (in walk order) out of the group. */
static struct job *unpark_all(struct hardlink_group *g)
{
	struct job *list = g->parked;

	g->parked = NULL;
	g->parked_tail = &g->parked;
	return list;
}

/*
 * Make @job a link to the group's copy: by its name when both are in one
 * directory, else by its path below the operand root, which the run
 * resolves one directory at a time (never as one path string).
 */
static void make_link_job(struct hardlink_group *g, struct job *job)
{
	bool same_dir =
		g->dir_ino && job->dir->dst_ino == g->dir_ino && job->dir->dst_dev == g->dir_dev;

	job->kind = JOB_HARDLINK;
	job->link_dir = same_dir ? job->dir : g->root;
	atomic_fetch_add(&job->link_dir->refs, 1);
	job->link_name = xstrdup(same_dir ? g->base : g->rel_path);
	job->group = NULL;
}

enum hardlink_action hardlink_claim(struct hardlink_map *map, struct job *job, bool counted,
				    bool remember)
{
	struct hardlink_group *g;
	enum hardlink_action action;

	pthread_mutex_lock(&map->lock);
	g = *find(map, job->st.st_dev, job->st.st_ino);
	if (!g) {
		/* Reached through a symlink may come again: remembered
		 * while the budget lasts; then only files with more names
		 * to come, until they came. */
		bool keep = remember && map->kept_bytes < map->budget;

		if (!keep && (job->st.st_nlink < 2 || !counted)) {
			pthread_mutex_unlock(&map->lock);
			return HARDLINK_COPY;
		}
		g = group_add(map, &job->st, keep);
	}
	if (counted)
		g->seen++;
	switch (g->state) {
	case GROUP_DONE:
		make_link_job(g, job);
		action = HARDLINK_LINK;
		maybe_retire(map, g);
		break;
	case GROUP_PENDING:
		park(g, job);
		action = HARDLINK_PARKED;
		break;
	case GROUP_NEW:
	default:
		g->state = GROUP_PENDING;
		job->group = g;
		action = HARDLINK_COPY;
		break;
	}
	pthread_mutex_unlock(&map->lock);
	return action;
}

/* Record where @job's destination is: its directory and path below the root. */
static void set_target(struct hardlink_map *map, struct hardlink_group *g, const struct job *job)
{
	const struct dir_node *d;
	size_t len = strlen(job->dst_name) + 1;
	char *end;

	for (d = job->dir; !d->is_root; d = d->parent)
		len += strlen(d->dst_name) + 1;
	g->root = (struct dir_node *)d;
	atomic_fetch_add(&g->root->refs, 1);
	g->rel_path = xmalloc(len);
	end = g->rel_path + len - 1;
	*end = '\0';
	end -= strlen(job->dst_name);
	memcpy(end, job->dst_name, strlen(job->dst_name));
	g->base = end;
	/* Linear, not one string per level: trees can be 10,000 deep. */
	for (d = job->dir; !d->is_root; d = d->parent) {
		*--end = '/';
		end -= strlen(d->dst_name);
		memcpy(end, d->dst_name, strlen(d->dst_name));
	}
	g->dir_dev = job->dir->dst_dev;
	g->dir_ino = job->dir->dst_ino;
	if (g->keep)
		map->kept_bytes += len;
}

struct job *hardlink_complete(struct hardlink_map *map, struct job *job,
			      enum hardlink_outcome outcome, struct job **recopy)
{
	struct hardlink_group *g = job->group;
	struct job *parked, *j;

	*recopy = NULL;
	pthread_mutex_lock(&map->lock);
	parked = unpark_all(g);
	g->state = GROUP_NEW;
	if (outcome == HARDLINK_COPIED) {
		g->state = GROUP_DONE;
		if (!g->rel_path)
			set_target(map, g, job);
		for (j = parked; j; j = j->next)
			make_link_job(g, j);
	} else if (outcome == HARDLINK_NO_COPY && parked) {
		/* The next name in walk order is the copy; the rest wait for it. */
		*recopy = parked;
		parked = parked->next;
		(*recopy)->next = NULL;
		(*recopy)->group = g;
		g->state = GROUP_PENDING;
		while (parked) {
			j = parked->next;
			park(g, parked);
			parked = j;
		}
	}
	job->group = NULL;
	maybe_retire(map, g);
	pthread_mutex_unlock(&map->lock);
	return parked;
}

void hardlink_map_free(struct hardlink_map **pmap)
{
	struct hardlink_map *map = *pmap;

	if (!map)
		return;
	for (size_t i = 0; i < map->nr_buckets; i++) {
		while (map->buckets[i]) {
			struct hardlink_group *g = map->buckets[i];

			map->buckets[i] = g->next;
			if (g->parked)
				BUG("hard-link group freed with parked links");
			group_free(map, g);
		}
	}
	free(map->buckets);
	pthread_mutex_destroy(&map->lock);
	free(map);
	*pmap = NULL;
}
