/* storage.c - dispatch by URL scheme; see storage.h. */
#include "storage/storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/url.h"
#include "util/strutil.h"

int storage_new(const char *location, struct storage **out, char **err)
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
	default:
		if (err)
			*err = xasprintf("storage location '%s': %s storage is not supported yet",
					 location, storage_scheme_name(u.scheme));
		r = -EPROTONOSUPPORT;
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

int storage_open(struct storage *st, const char *rel, struct storage_file **out)
{
	return st->ops->open(st, rel, out);
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
