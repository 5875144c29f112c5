/*
 * pageguard.h - bounds on a paginated listing from a remote server (storage
 * continuation tokens, Unity Catalog page tokens): a token is never followed
 * twice (a seen-set of every token of the listing, not only the previous
 * one), at most a page cap of pages, and no more than a time budget.
 *
 * Contract: one guard per listing; page_guard_next() is called with each
 * next-page token before it is followed. Tokens are remembered as SHA-256
 * digests (32 bytes each, whatever their length). The limits come from the
 * environment at init: UCFS_LIST_MAX_PAGES (default 10000 pages) and
 * UCFS_LIST_TIME_LIMIT (seconds, default 300); bad values are ignored.
 * On -EIO, why() is a one-line reason without the token (it may be a
 * secret-bearing opaque string); the caller names the object. Not
 * thread-safe; no I/O except reading the clock.
 */
#ifndef UCFS_PAGEGUARD_H
#define UCFS_PAGEGUARD_H

#include <stdint.h>

#include "util/seenset.h"

#define PAGE_GUARD_MAX_PAGES 10000
#define PAGE_GUARD_TIME_LIMIT_MS 300000

struct page_guard {
	struct seenset seen;
	unsigned pages, max_pages; /* pages received so far, cap */
	int64_t start_ms, limit_ms; /* CLOCK_MONOTONIC */
	char why[128];
};

void page_guard_init(struct page_guard *g);
/*
 * The page just received says TOKEN comes next: 0 to follow it, -EIO when
 * TOKEN was already followed in this listing, the page cap is reached or the
 * time budget is spent (why() says which), -ENOMEM.
 */
int page_guard_next(struct page_guard *g, const char *token);
const char *page_guard_why(const struct page_guard *g);
void page_guard_free(struct page_guard *g);

#endif
