/* readpolicy.c - see readpolicy.h. */
#include "cache/readpolicy.h"

#define MiB (1ULL << 20)
#define PAGE 4096ULL

void rp_config_default(struct rp_config *c)
{
	c->min_window = 2 * MiB;
	c->max_window = 64 * MiB;
	c->min_part = 256 << 10;
	c->max_part = 8 * MiB;
	c->footer = 64 << 10;
	c->parquet_run = 8 * MiB;
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* The chunk a read at off is for: the one holding off, or one that starts
 * less than a page after it (the kernel reads whole pages). */
static size_t chunk_of(const struct rp_extent *ext, size_t n, uint64_t off)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* first extent ending after off */
		size_t mid = lo + (hi - lo) / 2;
		if (ext[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n)
		return n;
	if (ext[lo].start <= off) {
		if (lo + 1 < n && ext[lo + 1].start > off && ext[lo + 1].start - off < PAGE &&
		    (off % PAGE) == 0)
			return lo + 1; /* page-aligned read of the chunk that follows */
		return lo;
	}
	return ext[lo].start - off < PAGE ? lo : n;
}

void rp_next(struct rp_state *s, const struct rp_config *cfg, uint64_t size,
	     const struct rp_extent *ext, size_t next, uint64_t off, uint64_t len,
	     struct rp_plan *p)
{
	uint64_t end = off < size ? off + min64(len, size - off) : off;
	p->fetch_start = off;
	p->fetch_end = end;
	p->ahead_start = p->ahead_end = end;
	p->part = cfg->min_part;
	p->tail = false;
	if (off >= size || !len)
		return;
	bool first = s->reads++ == 0;
	if (first)
		s->run_start = off;
	bool seq = false;
	/* touching a recent read, or one read's length away from it */
	for (unsigned i = 0; i < s->nrecent && !seq; i++)
		seq = off <= s->recent[i].end + len && end + len >= s->recent[i].start;
	s->recent[s->at].start = off;
	s->recent[s->at].end = end;
	s->at = (s->at + 1) % RP_RECENT;
	if (s->nrecent < RP_RECENT)
		s->nrecent++;
	uint64_t tail = size > cfg->footer ? size - cfg->footer : 0;

	if (!seq && end > tail) {
		/* A reader that starts at the tail (Parquet, ORC: the footer):
		 * the whole tail at once, nothing ahead. */
		if (first)
			s->tail_first = true;
		p->fetch_start = min64(off, tail);
		p->fetch_end = size;
		p->tail = true;
		s->window = 0;
		s->run = 0;
		s->ahead = 0;
		s->next_off = end;
		return;
	}
	if (seq) {
		s->run += len;
		s->seq_reads++;
		if (end > s->next_off)
			s->next_off = end;
	} else {
		s->run = len;
		s->seq_reads = 0;
		s->run_start = off;
		s->window = 0;
		s->ahead = 0;
		s->next_off = end;
	}

	/* The kernel reads whole pages: a read that starts less than a page
	 * before a chunk is a read of that chunk. */
	size_t e = ext && next ? chunk_of(ext, next, off) : next;
	/* A sequential run that began before this chunk crossed into it: the
	 * kernel's readahead running past the chunk the reader wanted (or a scan
	 * of every column, which the window below serves). Not a reason to fetch
	 * the whole chunk. */
	bool spill = seq && e < next && s->run_start + PAGE <= ext[e].start;
	if (ext && next && !(seq && s->run_start == 0) && spill) {
		/* A scan of every column once the run is parquet_run past the
		 * chunk it began in (a chunk may be larger than that). */
		size_t b = chunk_of(ext, next, s->run_start);
		uint64_t began = b < next ? ext[b].end : s->run_start;
		if (end < began + cfg->parquet_run)
			return; /* readahead spill: only what is asked */
	}
	if (ext && next && !(seq && s->run_start == 0) && !spill) {
		/* Column chunks known: fetch the rest of this chunk, no more. */
		if (e == next)
			return; /* outside every chunk: page index, footer, gaps */
		uint64_t limit = min64(ext[e].end, end + cfg->max_window);
		uint64_t from = max64(end, s->ahead);
		if (from < limit) {
			p->ahead_start = from;
			p->ahead_end = limit;
			p->part = max64(cfg->min_part, min64(cfg->max_part, (limit - end) / 4));
			s->ahead = limit;
		}
		return;
	}
	if (!seq || s->seq_reads < 2 || (s->tail_first && s->run < cfg->parquet_run))
		return; /* random access (two adjacent reads may be chance), or a
			   Parquet reader skipping columns */
	s->window = s->window ? min64(s->window * 2, cfg->max_window) : cfg->min_window;
	uint64_t limit = min64(size, end + s->window);
	uint64_t from = max64(end, s->ahead);
	/* Top the window up only once half of it is used: requests of a good
	 * size, not one the size of each read (unless the object ends). */
	if (from < limit && (limit - from >= s->window / 2 || limit == size)) {
		p->ahead_start = from;
		p->ahead_end = limit;
		p->part = max64(cfg->min_part, min64(cfg->max_part, s->window / 2));
		s->ahead = limit;
	}
}
