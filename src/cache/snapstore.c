/*
 * snapstore.c - snapshot manifests of a disk cache (see snapstore.h).
 */
#include "cache/snapstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cJSON.h"
#include "util/jsonnum.h"
#include "util/log.h"
#include "util/strutil.h"

struct snapstore {
	pthread_mutex_t mu;
	int dirfd; /* DIR/snapshots */
	struct snap_manifest **m;
	size_t n, cap;
};

uint64_t snap_group(const char *location)
{
	uint64_t h = fnv1a64(location, strlen(location));
	return h ? h : 1;
}

void snap_manifest_free(struct snap_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].etag);
	}
	free(m->files);
	free(m->location);
	free(m->table);
	free(m);
}

/* A relative path of names a file system can show. */
static bool path_ok(const char *p)
{
	size_t len = strlen(p);
	if (!len || len > 4096 || p[0] == '/' || p[len - 1] == '/')
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (!n || n > 255 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n + (e ? 1 : 0);
	}
	return true;
}

static bool unhex32(uint8_t *id, const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int snap_manifest_parse(const char *json, size_t len, struct snap_manifest **out, char **err)
{
	*out = NULL;
	*err = NULL;
	cJSON *root = cJSON_ParseWithLength(json, len);
	struct snap_manifest *m = calloc(1, sizeof(*m));
	const char *why = NULL;
	if (!m)
		why = "out of memory";
	else if (!cJSON_IsObject(root))
		why = "not a JSON object";
	else if (json_item_i64(cJSON_GetObjectItemCaseSensitive(root, "format"), 0, 1000, 0) != 1)
		why = "unknown format";
	else if (!str_of(root, "location") || !*str_of(root, "location"))
		why = "no location";
	const cJSON *files = root ? cJSON_GetObjectItemCaseSensitive(root, "files") : NULL;
	if (!why && !cJSON_IsArray(files))
		why = "no files";
	int nf = why ? 0 : cJSON_GetArraySize(files);
	if (!why && nf > SNAP_MAX_FILES)
		why = "too many files";
	if (!why) {
		m->location = xstrdup(str_of(root, "location"));
		m->table = xstrdup(str_of(root, "table") ? str_of(root, "table") : "");
		m->version = (uint64_t)json_item_i64(cJSON_GetObjectItemCaseSensitive(root, "version"),
						      0, SNAP_INT_MAX, 0);
		m->pinned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "pinned"));
		m->created = json_item_i64(cJSON_GetObjectItemCaseSensitive(root, "created"), 0,
					   SNAP_INT_MAX, 0);
		m->files = calloc((size_t)nf + 1, sizeof(*m->files));
		if (!m->location || !m->table || !m->files)
			why = "out of memory";
	}
	const cJSON *f = files ? files->child : NULL;
	for (int i = 0; !why && i < nf && f; i++, f = f->next) {
		struct snap_file *sf = &m->files[m->nfiles];
		const char *p = str_of(f, "path"), *et = str_of(f, "etag");
		if (!cJSON_IsObject(f) || !p || !path_ok(p) || !unhex32(sf->id, str_of(f, "id"))) {
			why = "a file entry is not valid";
			break;
		}
		sf->path = xstrdup(p);
		sf->etag = et ? xstrdup(et) : NULL;
		m->nfiles++;
		if (!sf->path || (et && !sf->etag)) {
			why = "out of memory";
			break;
		}
		sf->size = (uint64_t)json_item_i64(cJSON_GetObjectItemCaseSensitive(f, "size"), 0,
						   SNAP_INT_MAX, 0);
		sf->mtime.tv_sec = (time_t)json_item_i64(cJSON_GetObjectItemCaseSensitive(f, "mtime"),
							 0, SNAP_INT_MAX, 0);
		sf->mtime.tv_nsec = (long)json_item_i64(cJSON_GetObjectItemCaseSensitive(f, "mtime_ns"),
							0, 999999999, 0);
		m->bytes += sf->size;
	}
	cJSON_Delete(root);
	if (why) {
		*err = xstrdup(why);
		snap_manifest_free(m);
		return -EINVAL;
	}
	*out = m;
	return 0;
}

/* An integer written exactly (cJSON prints numbers with 15 digits). */
static bool add_int(cJSON *o, const char *k, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	cJSON *n = cJSON_CreateRaw(buf);
	return n && cJSON_AddItemToObject(o, k, n);
}

char *snap_manifest_json(const struct snap_manifest *m)
{
	cJSON *root = cJSON_CreateObject(), *files = NULL;
	bool ok = root && add_int(root, "format", 1) &&
		  cJSON_AddStringToObject(root, "location", m->location) &&
		  cJSON_AddStringToObject(root, "table", m->table ? m->table : "") &&
		  add_int(root, "version", m->version) &&
		  cJSON_AddBoolToObject(root, "pinned", m->pinned) &&
		  add_int(root, "created", (uint64_t)m->created) &&
		  (files = cJSON_AddArrayToObject(root, "files"));
	for (size_t i = 0; ok && i < m->nfiles; i++) {
		const struct snap_file *sf = &m->files[i];
		char hex[65];
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", sf->id[k]);
		cJSON *f = cJSON_CreateObject();
		ok = f && cJSON_AddItemToArray(files, f) &&
		     cJSON_AddStringToObject(f, "path", sf->path) &&
		     (!sf->etag || cJSON_AddStringToObject(f, "etag", sf->etag)) &&
		     add_int(f, "size", sf->size) && add_int(f, "mtime", (uint64_t)sf->mtime.tv_sec) &&
		     add_int(f, "mtime_ns", (uint64_t)sf->mtime.tv_nsec) &&
		     cJSON_AddStringToObject(f, "id", hex);
	}
	char *out = ok ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return out;
}

static void file_name(char *buf, size_t n, const char *location)
{
	snprintf(buf, n, "%016llx.json", (unsigned long long)snap_group(location));
}

static struct snap_manifest *load_one(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	char *buf = NULL, *err = NULL;
	struct snap_manifest *m = NULL;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > SNAP_MAX_JSON) {
		log_warn("snapshot manifest %s: not a readable regular file of at most %u MiB: "
			 "ignored", name, SNAP_MAX_JSON >> 20);
		goto out;
	}
	size_t len = (size_t)sb.st_size, got = 0;
	if (!(buf = malloc(len + 1)))
		goto out;
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	char want[40];
	if (got == len && !snap_manifest_parse(buf, len, &m, &err)) {
		file_name(want, sizeof(want), m->location);
		if (strcmp(want, name)) { /* filed under another location's name */
			snap_manifest_free(m);
			m = NULL;
			err = xstrdup("its name does not match its location");
		}
	}
	if (!m)
		log_warn("snapshot manifest %s: %s: ignored", name, err ? err : "cannot read it");
out:
	free(err);
	free(buf);
	if (fd >= 0)
		close(fd);
	return m;
}

int snapstore_open(const char *cache_dir, struct snapstore **out)
{
	*out = NULL;
	struct snapstore *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	char *dir = xasprintf("%s/snapshots", cache_dir);
	int r = dir ? 0 : -ENOMEM;
	if (!r && mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = -errno;
	if (!r && (s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		r = -errno;
	free(dir);
	if (r) {
		s->dirfd = -1;
		snapstore_free(s);
		return r;
	}
	int dfd = dup(s->dirfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d && dfd >= 0)
		close(dfd);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] == '.')
			continue;
		if (!str_endswith(n, ".json"))
			continue;
		if (s->n >= SNAP_MAX_MANIFESTS) {
			log_warn("snapshot manifests: more than %d: the rest are ignored",
				 SNAP_MAX_MANIFESTS);
			break;
		}
		struct snap_manifest *m = load_one(s->dirfd, n);
		if (!m)
			continue;
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 16;
			struct snap_manifest **nm = realloc(s->m, nc * sizeof(*nm));
			if (!nm) {
				snap_manifest_free(m);
				break;
			}
			s->m = nm;
			s->cap = nc;
		}
		s->m[s->n++] = m;
	}
	if (d)
		closedir(d);
	*out = s;
	return 0;
}

void snapstore_free(struct snapstore *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		snap_manifest_free(s->m[i]);
	free(s->m);
	if (s->dirfd >= 0)
		close(s->dirfd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static ssize_t find(const struct snapstore *s, const char *location)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->m[i]->location, location))
			return (ssize_t)i;
	return -1;
}

/* Write M's file (lock held): temp file, fsync, rename. */
static int write_file(struct snapstore *s, const struct snap_manifest *m)
{
	char name[40], tmp[48];
	file_name(name, sizeof(name), m->location);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	char *json = snap_manifest_json(m);
	if (!json)
		return -ENOMEM;
	int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r = fd < 0 ? -errno : 0;
	size_t len = strlen(json), done = 0;
	while (!r && done < len) {
		ssize_t w = write(fd, json + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			r = -errno;
		else
			done += (size_t)w;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (!r && renameat(s->dirfd, tmp, s->dirfd, name) < 0)
		r = -errno;
	if (r)
		unlinkat(s->dirfd, tmp, 0);
	free(json);
	return r;
}

int snapstore_put(struct snapstore *s, struct snap_manifest *m, struct snap_manifest **old)
{
	*old = NULL;
	pthread_mutex_lock(&s->mu);
	ssize_t i = find(s, m->location);
	int r = 0;
	if (i < 0 && s->n >= SNAP_MAX_MANIFESTS)
		r = -ENOSPC;
	if (!r && i < 0 && s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct snap_manifest **nm = realloc(s->m, nc * sizeof(*nm));
		if (!nm)
			r = -ENOMEM;
		else {
			s->m = nm;
			s->cap = nc;
		}
	}
	if (!r)
		r = write_file(s, m);
	if (!r && i >= 0) {
		*old = s->m[i];
		s->m[i] = m;
	} else if (!r) {
		s->m[s->n++] = m;
	}
	pthread_mutex_unlock(&s->mu);
	if (r)
		snap_manifest_free(m);
	return r;
}

int snapstore_remove(struct snapstore *s, const char *location, struct snap_manifest **old)
{
	*old = NULL;
	pthread_mutex_lock(&s->mu);
	ssize_t i = find(s, location);
	int r = i < 0 ? -ENOENT : 0;
	if (!r) {
		char name[40];
		file_name(name, sizeof(name), location);
		if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
			r = -errno;
	}
	if (!r) {
		*old = s->m[i];
		s->m[i] = s->m[--s->n];
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int snapstore_set_pinned(struct snapstore *s, const char *location, bool pinned)
{
	pthread_mutex_lock(&s->mu);
	ssize_t i = find(s, location);
	int r = i < 0 ? -ENOENT : 0;
	if (!r && s->m[i]->pinned != pinned) {
		s->m[i]->pinned = pinned;
		if ((r = write_file(s, s->m[i])))
			s->m[i]->pinned = !pinned;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int snapstore_pinned_ids(struct snapstore *s, uint8_t (**ids)[32], size_t *n)
{
	*ids = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	size_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->m[i]->pinned)
			total += s->m[i]->nfiles;
	uint8_t(*v)[32] = malloc((total + 1) * sizeof(*v));
	for (size_t i = 0, k = 0; v && i < s->n; i++)
		for (size_t j = 0; s->m[i]->pinned && j < s->m[i]->nfiles; j++)
			memcpy(v[k++], s->m[i]->files[j].id, 32);
	pthread_mutex_unlock(&s->mu);
	if (!v)
		return -ENOMEM;
	*ids = v;
	*n = total;
	return 0;
}

int snapstore_visit(struct snapstore *s, const char *location,
		    void (*fn)(const struct snap_manifest *m, void *ctx), void *ctx)
{
	pthread_mutex_lock(&s->mu);
	ssize_t i = find(s, location);
	if (i >= 0)
		fn(s->m[i], ctx);
	pthread_mutex_unlock(&s->mu);
	return i < 0 ? -ENOENT : 0;
}

static int add_entry(struct storage_list *l, size_t *cap, const char *name, size_t nlen,
		     bool dir, const struct snap_file *f)
{
	if (dir) /* one entry per subdirectory: keep the newest mtime */
		for (size_t i = 0; i < l->n; i++)
			if (l->items[i].is_dir && strlen(l->items[i].name) == nlen &&
			    !memcmp(l->items[i].name, name, nlen)) {
				struct timespec *t = &l->items[i].mtime;
				if (f->mtime.tv_sec > t->tv_sec ||
				    (f->mtime.tv_sec == t->tv_sec && f->mtime.tv_nsec > t->tv_nsec))
					*t = f->mtime;
				return 0;
			}
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct storage_entry *ni = realloc(l->items, nc * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		l->items = ni;
		*cap = nc;
	}
	struct storage_entry *e = &l->items[l->n];
	memset(e, 0, sizeof(*e));
	e->name = xstrndup(name, nlen);
	e->is_dir = dir;
	e->mtime = f->mtime;
	if (!dir) {
		e->size = f->size;
		e->etag = f->etag ? xstrdup(f->etag) : NULL;
	}
	if (!e->name || (!dir && f->etag && !e->etag)) {
		free(e->name);
		free(e->etag);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

int snapstore_list(struct snapstore *s, const char *location, const char *rel,
		   struct storage_list *out, uint64_t *version)
{
	memset(out, 0, sizeof(*out));
	size_t rlen = strlen(rel), cap = 0;
	pthread_mutex_lock(&s->mu);
	ssize_t i = find(s, location);
	int r = i < 0 ? -ENOENT : 0;
	bool any = false;
	for (size_t j = 0; !r && j < s->m[i]->nfiles; j++) {
		const struct snap_file *f = &s->m[i]->files[j];
		const char *p = f->path;
		if (rlen) {
			if (strncmp(p, rel, rlen) || p[rlen] != '/')
				continue;
			p += rlen + 1;
		}
		any = true;
		const char *slash = strchr(p, '/');
		r = add_entry(out, &cap, p, slash ? (size_t)(slash - p) : strlen(p), slash != NULL, f);
	}
	if (!r && version)
		*version = s->m[i]->version;
	pthread_mutex_unlock(&s->mu);
	if (!r && !any && rlen)
		r = -ENOTDIR;
	if (r)
		storage_list_free(out);
	return r;
}
