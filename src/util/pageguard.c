/* pageguard.c - see pageguard.h. */
#include "util/pageguard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A positive number from the environment, else DEF. */
static double env_positive(const char *name, double def, double max)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return def;
	double d = strtod(v, &end);
	return (*end || !(d > 0) || d > max) ? def : d;
}

void page_guard_init(struct page_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->max_pages = (unsigned)env_positive("UCFS_LIST_MAX_PAGES", PAGE_GUARD_MAX_PAGES, 1e9);
	g->limit_ms = (int64_t)(env_positive("UCFS_LIST_TIME_LIMIT",
					     PAGE_GUARD_TIME_LIMIT_MS / 1000.0, 86400.0 * 30) *
				1000);
	g->start_ms = mono_ms();
}

int page_guard_next(struct page_guard *g, const char *token)
{
	g->pages++;
	if (g->pages >= g->max_pages) {
		snprintf(g->why, sizeof(g->why), "it has not ended after %u pages", g->pages);
		return -EIO;
	}
	int64_t spent = mono_ms() - g->start_ms;
	if (spent > g->limit_ms) {
		snprintf(g->why, sizeof(g->why), "it has not ended after %.1f s (%u pages)",
			 (double)spent / 1000.0, g->pages);
		return -EIO;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL))
		return -ENOMEM;
	int r = seenset_add(&g->seen, md, mdlen);
	if (r < 0)
		return r;
	if (r == 0) {
		snprintf(g->why, sizeof(g->why),
			 "page %u sent a continuation token this listing already followed",
			 g->pages);
		return -EIO;
	}
	return 0;
}

const char *page_guard_why(const struct page_guard *g)
{
	return g->why[0] ? g->why : "listing aborted";
}

void page_guard_free(struct page_guard *g)
{
	seenset_free(&g->seen);
}
