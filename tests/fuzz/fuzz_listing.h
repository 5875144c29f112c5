/*
 * fuzz_listing.h - the body of the three listing targets (S3, Azure, GCS):
 * input = PREFIX '\n' ANSWER, where PREFIX is the listing prefix as the
 * backend sends it (the parser refuses anything but "" or "x/": that
 * refusal is fuzzed too) and ANSWER the raw page, in a heap block of exactly
 * its length (no NUL: the parsers take a length).
 *
 * Each answer is parsed twice into one list, as two pages of a listing, on
 * top of an entry left by an "earlier page", and the contract of listing.h
 * is checked: on success every appended entry has a name a file system can
 * show (not empty, ".", "..", no '/'), directories have no size or etag; on
 * error nothing is appended, the continuation token is left as it was and
 * -EBADMSG comes with a reason.
 */
#ifndef UCFS_FUZZ_LISTING_H
#define UCFS_FUZZ_LISTING_H

#include <errno.h>
#include <stdbool.h>

#include "fuzz_input.h"
#include "storage/listing.h"

typedef int (*fuzz_listing_fn)(const char *doc, size_t len, const char *prefix,
			       struct storage_list *out, char **next, char **err);

static void fuzz_listing_page(fuzz_listing_fn fn, const char *doc, size_t len, const char *prefix,
			      struct storage_list *out, char **next, bool dedup_dirs)
{
	size_t before = out->n;
	char *err = NULL, *old_next = *next;
	int rc = fn(doc, len, prefix, out, next, &err);

	if (rc) {
		FUZZ_CHECK(out->n == before && *next == old_next);
		FUZZ_CHECK(rc == -EBADMSG || rc == -EINVAL || rc == -ENOMEM);
		FUZZ_CHECK(rc != -EBADMSG || err);
		free(err);
		return;
	}
	FUZZ_CHECK(!err);
	/* a previous token is freed by the parser when it stores the new one */
	FUZZ_CHECK(!*next || **next);
	for (size_t i = before; i < out->n; i++) {
		const struct storage_entry *e = &out->items[i];
		/* '/' (a decoded %2F), NUL markers and long names are returned:
		 * storage_list() leaves them out (listing.h) */
		FUZZ_CHECK(e->name && e->name[0]);
		FUZZ_CHECK(strcmp(e->name, ".") && strcmp(e->name, ".."));
		if (e->is_dir)
			FUZZ_CHECK(e->size == 0 && !e->etag);
		else
			FUZZ_CHECK(e->mtime.tv_nsec >= 0 && e->mtime.tv_nsec < 1000000000L);
		if (dedup_dirs && e->is_dir)
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(!out->items[j].is_dir || strcmp(out->items[j].name, e->name));
	}
}

static int fuzz_listing(fuzz_listing_fn fn, bool dedup_dirs, const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : 0;
	char *prefix = fuzz_cstr(data, plen);
	size_t len = nl ? size - plen - 1 : size;
	char *doc = malloc(len ? len : 1); /* exactly the answer: no NUL after it */
	struct storage_list out = {0};
	char *next = NULL;

	if (!doc)
		abort();
	if (len)
		memcpy(doc, nl ? nl + 1 : data, len);
	/* an entry from an earlier page, directory "d" */
	out.items = calloc(1, sizeof(*out.items));
	if (!out.items || !(out.items[0].name = strdup("d")))
		abort();
	out.items[0].is_dir = true;
	out.n = 1;
	fuzz_listing_page(fn, doc, len, prefix, &out, &next, dedup_dirs);
	fuzz_listing_page(fn, doc, len, prefix, &out, &next, dedup_dirs);
	storage_list_free(&out);
	free(next);
	free(doc);
	free(prefix);
	return 0;
}

#endif
