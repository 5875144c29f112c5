/* storage.c - dispatch by URL scheme; see storage.h. */
#include "storage/storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/localpath.h"
#include "storage/url.h"
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

int storage_list(struct storage *st, const char *rel, struct storage_list *out)
{
	return st->ops->list(st, rel, out);
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
