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
	GROUP_PENDING, /* the copy is being made */
	GROUP_DONE,    /* the copy has its final name: link to it */
	GROUP_FAILED,  /* the copy failed: the next link seen is copied again */
};

struct hardlink_group {
	dev_t dev;
	ino_t ino;
	nlink_t nlink;             /* links the source inode has */
	nlink_t seen;              /* links met by the walker so far */
	enum group_state state;
	struct dir_node *root;     /* operand root of the copy; reference held */
	char *rel_path;            /* copy's path below root->dst_dirfd; owned */
	struct job *parked;        /* links waiting for the copy */
	struct hardlink_group *next; /* hash chain */
};

struct hardlink_map {
	pthread_mutex_t lock;
	struct engine *engine;           /* borrowed, to release directories */
	struct hardlink_group **buckets;
	size_t nr_buckets;
	size_t nr_groups;
	bool by_count;                   /* retire a group after st_nlink names */
};

struct hardlink_map *hardlink_map_new(struct engine *engine, bool by_count)
{
	struct hardlink_map *map = xcalloc(1, sizeof(*map));

	map->by_count = by_count;
	pthread_mutex_init(&map->lock, NULL);
	map->engine = engine;
	map->nr_buckets = 1024;
	map->buckets = xcalloc(map->nr_buckets, sizeof(*map->buckets));
	return map;
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

	if (g->state == GROUP_PENDING || g->seen < g->nlink || g->parked)
		return;
	pg = find(map, g->dev, g->ino);
	*pg = g->next;
	map->nr_groups--;
	group_free(map, g);
}

/* Make @job a link to the group's published copy. */
static void make_link_job(struct hardlink_group *g, struct job *job)
{
	job->kind = JOB_HARDLINK;
	job->link_dir = g->root;
	atomic_fetch_add(&g->root->refs, 1);
	job->link_name = xstrdup(g->rel_path);
	job->group = NULL;
}

enum hardlink_action hardlink_claim(struct hardlink_map *map, struct job *job)
{
	struct hardlink_group **pg, *g;
	enum hardlink_action action;

	pthread_mutex_lock(&map->lock);
	pg = find(map, job->st.st_dev, job->st.st_ino);
	g = *pg;
	if (!g) {
		if (map->nr_groups >= map->nr_buckets)
			grow(map);
		g = xcalloc(1, sizeof(*g));
		g->dev = job->st.st_dev;
		g->ino = job->st.st_ino;
		g->nlink = map->by_count ? job->st.st_nlink : (nlink_t)-1;
		g->next = map->buckets[bucket_of(map, g->dev, g->ino)];
		map->buckets[bucket_of(map, g->dev, g->ino)] = g;
		map->nr_groups++;
	}
	g->seen++;
	switch (g->state) {
	case GROUP_DONE:
		make_link_job(g, job);
		action = HARDLINK_LINK;
		maybe_retire(map, g);
		break;
	case GROUP_PENDING:
		if (g->seen > 1) {
			job->next = g->parked;
			g->parked = job;
			action = HARDLINK_PARKED;
			break;
		}
		/* The first one seen is the copy. */
		__attribute__((fallthrough));
	case GROUP_FAILED:
	default:
		g->state = GROUP_PENDING;
		job->group = g;
		action = HARDLINK_COPY;
		break;
	}
	pthread_mutex_unlock(&map->lock);
	return action;
}

/* The path of @job's destination below its operand root, and that root. */
static char *rel_dst_path(const struct job *job, struct dir_node **root)
{
	struct dir_node *d = job->dir;
	char *path = xstrdup(job->dst_name);

	while (!d->is_root) {
		char *p = xasprintf("%s/%s", d->dst_name, path);

		free(path);
		path = p;
		d = d->parent;
	}
	*root = d;
	return path;
}

struct job *hardlink_complete(struct hardlink_map *map, struct job *job, int err)
{
	struct hardlink_group *g = job->group;
	struct job *parked, *j;

	pthread_mutex_lock(&map->lock);
	parked = g->parked;
	g->parked = NULL;
	if (err) {
		g->state = GROUP_FAILED;
	} else {
		g->state = GROUP_DONE;
		if (!g->rel_path) {
			g->rel_path = rel_dst_path(job, &g->root);
			atomic_fetch_add(&g->root->refs, 1);
		}
		for (j = parked; j; j = j->next)
			make_link_job(g, j);
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
