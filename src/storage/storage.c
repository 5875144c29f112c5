/* storage.c - dispatch by URL scheme; see storage.h. */
#include "storage/storage.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "storage/localpath.h"
#include "storage/url.h"
#include "util/log.h"
#include "util/names.h"
#include "util/seenset.h"
#include "util/strutil.h"

/* A file:// table below the allowed root that holds it. */
static int open_local(const char *location, const char *path, const struct storage_env *env,
		      struct storage **out, char **err)
{
	const char *const *roots = env ? env->local_roots : NULL;
	size_t n = env && roots ? env->n_local_roots : 0;
	const char *rel;
	int i = localpath_find_root(path, roots, n, &rel);
	if (i < 0) {
		if (err)
			*err = xasprintf("storage location '%s' is outside the local roots allowed "
					 "for it: not served", location);
		return -EACCES;
	}
	return storage_file_new(location, roots[i], rel, out, err);
}

int storage_new(const char *location, const struct storage_env *env,
		const struct storage_creds_source *creds, struct storage **out, char **err)
{
	struct storage_url u;
	*out = NULL;
	int r = storage_url_parse(location, &u, err);
	if (r)
		return r;
	switch (u.scheme) {
	case SCHEME_FILE:
		r = open_local(location, u.path, env, out, err);
		break;
	case SCHEME_S3:
		r = storage_s3_new(location, &u, env, creds, out, err);
		break;
	case SCHEME_AZURE:
		r = storage_azure_new(location, &u, env, creds, out, err);
		break;
	case SCHEME_GCS:
		r = storage_gcs_new(location, &u, env, creds, out, err);
		break;
	}
	storage_url_free(&u);
	return r;
}

void storage_free(struct storage *st)
{
	if (st)
		st->ops->destroy(st);
}

/* Names already logged as left out (location, directory, name), process-wide,
 * so a directory listed again after its TTL does not log them again. */
#define LOGGED_NAMES_MAX 10000
static pthread_mutex_t logged_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seenset logged_names;

static void log_left_out(const struct storage *st, const char *rel, const char *name,
			 const char *why)
{
	struct strbuf key = {0};
	int fresh = 0;
	if (!sb_puts(&key, st->location) && !sb_append(&key, "", 1) && !sb_puts(&key, rel) &&
	    !sb_append(&key, "", 1) && !sb_puts(&key, name)) {
		pthread_mutex_lock(&logged_lock);
		if (logged_names.n < LOGGED_NAMES_MAX)
			fresh = seenset_add(&logged_names, key.buf, key.len);
		else if (logged_names.n == LOGGED_NAMES_MAX && seenset_add(&logged_names, "", 0) == 1)
			fresh = -1; /* the cap: say so once */
		pthread_mutex_unlock(&logged_lock);
	}
	sb_free(&key);
	char *shown = fresh > 0 ? name_escape(name) : NULL;
	char *where = fresh > 0 ? name_escape(st->location) : NULL;
	char *dir = fresh > 0 ? name_escape(rel) : NULL;
	if (shown && where && dir)
		log_warn("%s: '%s' in '%s' is left out of the directory: its name %s", where, shown,
			 dir, why);
	else if (fresh < 0)
		log_warn("more than %d storage names left out; not logging further ones",
			 LOGGED_NAMES_MAX);
	free(shown);
	free(where);
	free(dir);
}

int storage_list(struct storage *st, const char *rel, struct storage_list *out)
{
	int r = st->ops->list(st, rel, out);
	if (r)
		return r;
	size_t keep = 0;
	for (size_t i = 0; i < out->n; i++) {
		const char *why = name_storage_problem(out->items[i].name);
		if (why) {
			log_left_out(st, rel ? rel : "", out->items[i].name, why);
			storage_entry_clear(&out->items[i]);
		} else {
			out->items[keep++] = out->items[i];
		}
	}
	out->n = keep;
	return 0;
}

int storage_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	return st->ops->stat(st, rel, out);
}

int storage_open(struct storage *st, const char *rel, const struct storage_entry *known,
		 struct storage_file **out)
{
	return st->ops->open(st, rel, known, out);
}

/* The file handle's first member is always its storage. */
struct storage_file {
	struct storage *st;
};

/* A sink that copies into a caller's buffer. */
struct copy_sink {
	char *buf;
	size_t at, cap;
};

static int copy_data(void *ctx, const char *p, size_t n)
{
	struct copy_sink *c = ctx;
	if (n > c->cap - c->at)
		return -EIO;
	memcpy(c->buf + c->at, p, n);
	c->at += n;
	return 0;
}

ssize_t storage_read(struct storage_file *f, void *buf, size_t len, uint64_t off)
{
	if (f->st->ops->read)
		return f->st->ops->read(f, buf, len, off);
	struct copy_sink c = {.buf = buf, .cap = len};
	struct storage_sink s = {.data = copy_data, .ctx = &c};
	ssize_t n = storage_read_stream(f, off, len, &s);
	return n < 0 ? n : (ssize_t)c.at;
}

/* Counts what reaches the caller's sink, so a resumed read knows where
 * the cut-short body stopped. */
struct count_sink {
	const struct storage_sink *to;
	size_t n;
};

static int count_data(void *ctx, const char *p, size_t n)
{
	struct count_sink *c = ctx;
	int r = c->to->data(c->to->ctx, p, n);
	if (!r)
		c->n += n;
	return r;
}

#define STREAM_CHUNK ((size_t)256 << 10)

ssize_t storage_read_stream(struct storage_file *f, uint64_t off, size_t len,
			    const struct storage_sink *sink)
{
	const struct storage_ops *ops = f->st->ops;
	if (len > (size_t)SSIZE_MAX)
		len = (size_t)SSIZE_MAX;
	if (!ops->read_stream) {
		/* A backend with positioned reads: hand over in chunks. */
		char *buf = malloc(len < STREAM_CHUNK ? (len ? len : 1) : STREAM_CHUNK);
		if (!buf)
			return -ENOMEM;
		size_t done = 0;
		ssize_t r = 0;
		while (done < len) {
			size_t want = len - done < STREAM_CHUNK ? len - done : STREAM_CHUNK;
			r = ops->read(f, buf, want, off + done);
			if (r <= 0)
				break;
			int e = sink->data(sink->ctx, buf, (size_t)r);
			if (e) {
				r = e;
				break;
			}
			done += (size_t)r;
		}
		free(buf);
		return r < 0 ? r : (ssize_t)done;
	}
	struct count_sink c = {.to = sink};
	struct storage_sink cs = {.data = count_data, .ctx = &c};
	ssize_t r = 0;
	for (int attempt = 0; attempt < STORAGE_STREAM_ATTEMPTS; attempt++) {
		size_t before = c.n;
		r = ops->read_stream(f, off + c.n, len - c.n, &cs);
		if (r != -ECONNRESET)
			break;
		if (c.n == before && attempt > 0)
			break; /* no progress twice: give up */
	}
	if (r == -ECONNRESET)
		r = -EIO;
	return r < 0 ? r : (ssize_t)c.n;
}

int storage_file_fd(struct storage_file *f)
{
	return f && f->st->ops->fd ? f->st->ops->fd(f) : -1;
}

void storage_close(struct storage_file *f)
{
	if (f)
		f->st->ops->close(f);
}

void storage_creds_clear(struct storage_creds *c)
{
	/* Wipe secrets before freeing them. */
	char *secrets[] = {c->aws_access_key_id, c->aws_secret_access_key, c->aws_session_token,
			   c->aws_access_point, c->azure_sas, c->gcp_oauth_token};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (secrets[i])
			explicit_bzero(secrets[i], strlen(secrets[i]));
		free(secrets[i]);
	}
	memset(c, 0, sizeof(*c));
}

void storage_entry_clear(struct storage_entry *e)
{
	free(e->name);
	free(e->etag);
	memset(e, 0, sizeof(*e));
}

void storage_list_free(struct storage_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		storage_entry_clear(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
