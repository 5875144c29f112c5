/* test_readpolicy.c - the prefetch policy on recorded access patterns:
 * a sequential reader (dd), the kernel's readahead arriving out of order,
 * random 64 KiB reads, a Parquet reader (footer, then some column chunks)
 * with and without known chunks, a chunk larger than parquet_run with the
 * kernel's readahead spilling past it, and a full scan of all chunks. Each trace
 * counts the bytes the plans would fetch against the bytes read. */
#include <stdlib.h>
#include <string.h>

#include "cache/readpolicy.h"
#include "check.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)

/* Bytes the plans ask for, without double counting (a bitmap of 4 KiB pages). */
struct tally {
	uint8_t *pages;
	uint64_t size, fetched, read, ahead_reqs;
	uint64_t max_part;
};

static void tally_init(struct tally *t, uint64_t size)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->pages = calloc(size / 4096 + 1, 1);
}

static void mark(struct tally *t, uint64_t a, uint64_t b)
{
	for (uint64_t p = a / 4096; p < (b + 4095) / 4096; p++)
		if (!t->pages[p]) {
			t->pages[p] = 1;
			t->fetched += 4096;
		}
}

static void step(struct tally *t, struct rp_state *s, const struct rp_config *c,
		 const struct rp_extent *ext, size_t n, uint64_t off, uint64_t len, struct rp_plan *p)
{
	rp_next(s, c, t->size, ext, n, off, len, p);
	CHECK(p->fetch_start <= off && p->fetch_end >= (off + len < t->size ? off + len : t->size));
	CHECK(p->ahead_start <= p->ahead_end && p->ahead_end <= t->size);
	mark(t, p->fetch_start, p->fetch_end);
	if (p->ahead_end > p->ahead_start) {
		mark(t, p->ahead_start, p->ahead_end);
		t->ahead_reqs++;
		CHECK(p->part >= c->min_part && p->part <= c->max_part);
		if (p->part > t->max_part)
			t->max_part = p->part;
	}
	t->read += len;
}

static void test_sequential(void)
{
	struct rp_config c;
	rp_config_default(&c);
	struct rp_state s = {0};
	struct tally t;
	tally_init(&t, 1024 * MiB);
	struct rp_plan p;
	uint64_t first_ahead = 0;
	for (uint64_t off = 0; off < t.size; off += 128 * KiB) {
		step(&t, &s, &c, NULL, 0, off, 128 * KiB, &p);
		if (!first_ahead && p.ahead_end > p.ahead_start) {
			first_ahead = p.ahead_end - p.ahead_start;
			CHECK(off <= 256 * KiB); /* from the third read on */
		}
	}
	CHECK(first_ahead > 0 && first_ahead <= c.min_window); /* starts small */
	CHECK(s.window == c.max_window);                       /* grows to the max */
	CHECK(t.max_part == c.max_part);                       /* with large requests */
	CHECK(t.fetched == t.size);
	/* The first read asks only for itself: the first byte comes quickly. */
	struct rp_state s2 = {0};
	rp_next(&s2, &c, t.size, NULL, 0, 0, 4 * KiB, &p);
	CHECK(p.fetch_start == 0 && p.fetch_end == 4 * KiB && p.ahead_end == p.ahead_start);
	free(t.pages);
}

static void test_reordered_readahead(void)
{
	/* The kernel's async readahead: 1 MiB requests handled by several
	 * threads, so each group of four arrives in some other order. */
	struct rp_config c;
	rp_config_default(&c);
	struct rp_state s = {0};
	struct tally t;
	tally_init(&t, 256 * MiB);
	struct rp_plan p;
	static const int order[4] = {1, 0, 3, 2};
	int resets = 0;
	for (uint64_t g = 0; g < t.size; g += 4 * MiB)
		for (int i = 0; i < 4; i++) {
			uint64_t before = s.window;
			step(&t, &s, &c, NULL, 0, g + (uint64_t)order[i] * MiB, MiB, &p);
			if (before && s.window < before)
				resets++;
		}
	CHECK(resets == 0);
	CHECK(s.window == c.max_window);
	free(t.pages);
}

static void test_random(void)
{
	struct rp_config c;
	rp_config_default(&c);
	struct rp_state s = {0};
	struct tally t;
	tally_init(&t, 1024 * MiB);
	struct rp_plan p;
	srand(42);
	for (int i = 0; i < 200; i++) {
		uint64_t off = ((uint64_t)rand() * 4096) % (t.size - 64 * KiB);
		step(&t, &s, &c, NULL, 0, off, 64 * KiB, &p);
	}
	/* The odd pair that lands close together opens a small window, no more. */
	CHECK(t.fetched <= t.read * 3 / 2);
	free(t.pages);
}

/* A Parquet file: 8 row groups of 6 column chunks of 4 MiB, footer at the end. */
#define NCOL 6
#define NRG 8
#define CHUNK (4 * MiB)

static void parquet_layout(struct rp_extent *e, uint64_t *size)
{
	for (int g = 0; g < NRG; g++)
		for (int col = 0; col < NCOL; col++) {
			uint64_t a = 4 + ((uint64_t)g * NCOL + (uint64_t)col) * CHUNK;
			e[g * NCOL + col] = (struct rp_extent){a, a + CHUNK};
		}
	*size = 4 + (uint64_t)NRG * NCOL * CHUNK + 200 * KiB;
}

/* Read columns 1 and 4 of every row group, the way a query engine does:
 * the footer (last 8 bytes, then the metadata), then each chunk in 1 MiB
 * requests. */
static void run_query(bool known, uint64_t *fetched, uint64_t *read, uint64_t *ahead_reqs)
{
	struct rp_config c;
	rp_config_default(&c);
	struct rp_extent e[NRG * NCOL];
	uint64_t size;
	parquet_layout(e, &size);
	struct rp_state s = {0};
	struct tally t;
	tally_init(&t, size);
	struct rp_plan p;
	step(&t, &s, &c, NULL, 0, size - 8, 8, &p);
	CHECK(p.tail && p.fetch_start == size - c.footer && p.fetch_end == size);
	CHECK(s.tail_first);
	step(&t, &s, &c, NULL, 0, size - 150 * KiB, 150 * KiB - 8, &p);
	for (int g = 0; g < NRG; g++)
		for (int k = 0; k < 2; k++) {
			const struct rp_extent *x = &e[g * NCOL + (k ? 4 : 1)];
			for (uint64_t o = x->start; o < x->end; o += MiB) {
				step(&t, &s, &c, known ? e : NULL, known ? NRG * NCOL : 0, o,
				     MiB < x->end - o ? MiB : x->end - o, &p);
				if (known) /* never past the chunk being read */
					CHECK(p.ahead_end <= x->end);
			}
		}
	*fetched = t.fetched;
	*read = t.read;
	*ahead_reqs = t.ahead_reqs;
	free(t.pages);
}

static void test_parquet(void)
{
	uint64_t fetched, read, reqs;
	run_query(true, &fetched, &read, &reqs);
	/* exactly the chunks read and the tail (the tally counts 4 KiB pages) */
	CHECK(fetched <= read + 64 * KiB + 2 * NRG * 2 * 4 * KiB);
	CHECK(reqs >= NRG * 2);            /* the rest of each chunk ahead, on first touch */
	run_query(false, &fetched, &read, &reqs);
	CHECK(fetched <= 2 * read);        /* without the footer: no more than twice */
}

/* The Parquet layout with default settings, after a reader's footer read. */
struct pq_reader {
	struct rp_config c;
	struct rp_extent e[NRG * NCOL];
	uint64_t size;
	struct rp_state s;
	struct tally t;
	struct rp_plan p;
};

static void pq_reader_start(struct pq_reader *q)
{
	memset(q, 0, sizeof(*q));
	rp_config_default(&q->c);
	parquet_layout(q->e, &q->size);
	tally_init(&q->t, q->size);
	step(&q->t, &q->s, &q->c, q->e, NRG * NCOL, q->size - 8, 8, &q->p);
}

static void test_readahead_spill(void)
{
	/* A reader reads chunk 1 page by page; the kernel's readahead runs a
	 * megabyte into chunk 2: that must not fetch chunk 2 whole. */
	struct pq_reader q;
	pq_reader_start(&q);
	for (uint64_t o = q.e[1].start; o < q.e[1].end + MiB; o += 128 * KiB)
		step(&q.t, &q.s, &q.c, q.e, NRG * NCOL, o, 128 * KiB, &q.p);
	CHECK(q.t.fetched <= CHUNK + MiB + 64 * KiB + 8 * KiB);
	free(q.t.pages);
}

static void test_big_chunk_spill(void)
{
	/* DuckDB on the bench's table: a 8.7 MB column chunk (over parquet_run)
	 * read from the page before it, the kernel's readahead running 1.2 MB
	 * into the next chunk: only what is read, no window past the chunk. */
	struct rp_config c;
	rp_config_default(&c);
	struct rp_extent e[3] = {{4467808, 13127239}, {13127239, 21786670}, {21786670, 30446101}};
	uint64_t size = 30500000;
	struct tally t;
	tally_init(&t, size);
	struct rp_state s = {0};
	struct rp_plan p;
	step(&t, &s, &c, e, 3, size - 8, 8, &p);
	step(&t, &s, &c, e, 3, 4464640, 4096, &p);
	for (uint64_t o = 4468736; o < 14286848; o += 983040)
		step(&t, &s, &c, e, 3, o, 983040, &p);
	CHECK(t.fetched <= (e[0].end - e[0].start) + 1200 * KiB + 64 * KiB + 16 * KiB);
	free(t.pages);
}

static void test_full_scan(void)
{
	/* Every chunk in order, after the footer: the first chunk ahead on first
	 * touch, then (the run crossing chunks) the sequential window, past
	 * chunk boundaries; and cp (from byte 0) reads on through. */
	struct pq_reader q;
	pq_reader_start(&q);
	for (uint64_t o = 4; o < q.e[NRG * NCOL - 1].end; o += MiB)
		step(&q.t, &q.s, &q.c, q.e, NRG * NCOL, o, MiB, &q.p);
	CHECK(q.t.ahead_reqs >= 3);
	CHECK(q.s.window == q.c.max_window);
	CHECK(q.t.fetched <= q.size + 4096);
	free(q.t.pages);
	struct rp_state cp = {0};
	tally_init(&q.t, q.size);
	uint64_t windows = 0;
	for (uint64_t o = 0; o < q.size; o += 128 * KiB) {
		step(&q.t, &cp, &q.c, q.e, NRG * NCOL, o, 128 * KiB, &q.p);
		if (q.p.ahead_end > q.p.ahead_start + CHUNK)
			windows++;
	}
	CHECK(windows > 0); /* the window grew past one chunk */
	CHECK(cp.window == q.c.max_window);
	free(q.t.pages);
}

int main(void)
{
	test_sequential();
	test_reordered_readahead();
	test_random();
	test_parquet();
	test_readahead_spill();
	test_big_chunk_spill();
	test_full_scan();
	return check_done();
}
