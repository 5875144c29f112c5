/* storage.c - dispatch by URL scheme; see storage.h. */
#include "storage/storage.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "storage/url.h"
#include "util/log.h"
#include "util/names.h"
#include "util/seenset.h"
#include "util/strutil.h"

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
		r = storage_file_new(location, u.path, out);
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

ssize_t storage_read(struct storage_file *f, void *buf, size_t len, uint64_t off)
{
	return f->st->ops->read(f, buf, len, off);
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
