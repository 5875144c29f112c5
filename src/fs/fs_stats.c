/*
 * fs_stats.c - the mount's data-path counters, served as the virtual file
 * MOUNT/.ucfs/stats.json: per item (reads, bytes, storage fetches, disk
 * cache hits and misses, errors), HTTP (requests, retries, failures) and the
 * disk cache (size, entries, evictions, corrupt blocks found).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cache/reader.h"
#include "fs/fs_internal.h"
#include "net/http.h"
#include "util/strutil.h"

struct io_stats *fs_item_stats(struct ucfs_fs *fs, const char *name)
{
	for (struct item_stats *s = fs->stats; s; s = s->next)
		if (!strcmp(s->name, name))
			return &s->s;
	struct item_stats *s = calloc(1, sizeof(*s));
	if (!s || !(s->name = xstrdup(name))) {
		free(s);
		return NULL;
	}
	s->next = fs->stats;
	fs->stats = s;
	return &s->s;
}

static void num(cJSON *o, const char *k, uint64_t v) { cJSON_AddNumberToObject(o, k, (double)v); }

char *fs_stats_json(struct ucfs_fs *fs)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *items = cJSON_AddObjectToObject(root, "items");
	for (struct item_stats *s = fs->stats; s; s = s->next) {
		cJSON *o = cJSON_AddObjectToObject(items, s->name);
		num(o, "reads", io_get(&s->s.reads));
		num(o, "bytes_read", io_get(&s->s.bytes_read));
		num(o, "fetches", io_get(&s->s.fetches));
		num(o, "bytes_fetched", io_get(&s->s.bytes_fetched));
		num(o, "cache_hits", io_get(&s->s.cache_hits));
		num(o, "cache_misses", io_get(&s->s.cache_misses));
		num(o, "errors", io_get(&s->s.errors));
	}
	uint64_t req, retries, failures;
	http_counters(&req, &retries, &failures);
	cJSON *w = cJSON_AddObjectToObject(root, "ahead");
	num(w, "relisted", fs->relisted);         /* _delta_log listings taken ahead of a walk */
	num(w, "commits_fetched", fs->ahead_fetched); /* commit files read into the cache */
	cJSON *h = cJSON_AddObjectToObject(root, "http");
	num(h, "requests", req);
	num(h, "retries", retries);
	num(h, "failures", failures);
	if (fs->backend.pool) {
		struct ocache_stats bs;
		struct reader_stats rs;
		ocache_stats(reader_pool_cache(fs->backend.pool), &bs);
		reader_pool_stats(fs->backend.pool, &rs);
		struct ocache *oc = reader_pool_cache(fs->backend.pool);
		cJSON *c = cJSON_AddObjectToObject(root, "cache");
		cJSON_AddStringToObject(c, "dir", ocache_dir(oc));
		num(c, "max_bytes", ocache_max_bytes(oc));
		num(c, "pinned_bytes", ocache_pinned_bytes(oc));
		num(c, "bytes_used", bs.bytes_used);
		num(c, "objects", bs.objects);
		num(c, "hits", bs.hits);
		num(c, "misses", bs.misses);
		num(c, "bytes_written", bs.bytes_written);
		num(c, "evictions", bs.evictions);
		num(c, "corrupt", bs.corrupt);
		num(c, "fetches", rs.fetches);
		num(c, "bytes_fetched", rs.bytes_fetched);
		num(c, "prefetches", rs.prefetches);
		num(c, "fetch_errors", rs.errors);
		num(c, "fallbacks", rs.fallbacks);
		num(c, "parquet_footers", rs.parquet);
		num(c, "inflight_peak", rs.inflight_peak);
	}
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}
