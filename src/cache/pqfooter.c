/*
 * pqfooter.c - see pqfooter.h.
 *
 * Thrift compact protocol, as parquet.thrift uses it:
 *   field header: one byte, high nibble = field id delta (0: a zigzag varint
 *   i16 id follows), low nibble = type; 0 ends a struct. In a struct a bool
 *   is its field header; in a list, set or map it is a byte.
 *   types: 1/2 bool true/false, 3 i8, 4 i16, 5 i32, 6 i64 (zigzag varints),
 *   7 double (8 bytes), 8 binary (varint length + bytes), 9 list, 10 set
 *   (header byte: size nibble, 15 = varint size follows; element type),
 *   11 map (varint size; if not 0 a byte key type << 4 | value type), 12 struct.
 * The fields used:
 *   FileMetaData   4: list<RowGroup>
 *   RowGroup       1: list<ColumnChunk>
 *   ColumnChunk    3: ColumnMetaData, 4: i64 offset_index_offset,
 *                  5: i32 offset_index_length, 6: i64 column_index_offset,
 *                  7: i32 column_index_length
 *   ColumnMetaData 7: i64 total_compressed_size, 9: i64 data_page_offset,
 *                  11: i64 dictionary_page_offset
 */
#include "cache/pqfooter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 24

enum { T_STOP = 0, T_TRUE = 1, T_FALSE = 2, T_I8 = 3, T_I16 = 4, T_I32 = 5, T_I64 = 6,
       T_DOUBLE = 7, T_BINARY = 8, T_LIST = 9, T_SET = 10, T_MAP = 11, T_STRUCT = 12 };

struct rd {
	const uint8_t *p, *end;
	bool bad;
	uint64_t size;
	struct rp_extent *v;
	size_t n, cap;
};

static uint64_t varint(struct rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true; /* more than 10 bytes */
	return 0;
}

static int64_t zigzag(struct rd *r)
{
	uint64_t v = varint(r);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static uint8_t byte(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

static void skip_bytes(struct rd *r, uint64_t n)
{
	if (n > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

static void skip(struct rd *r, int type, int depth);

/* One element of a list or set: a bool there is a byte of its own (in a
 * struct field it is in the field header). Every element takes >= 1 byte,
 * which bounds every loop by the input's length. */
static void skip_elem(struct rd *r, int elem, int depth)
{
	if (elem == T_TRUE || elem == T_FALSE)
		byte(r);
	else
		skip(r, elem, depth);
}

/* List or set header: *elem type, returns the element count. */
static uint64_t list_header(struct rd *r, int *elem)
{
	uint8_t h = byte(r);
	*elem = h & 15;
	uint64_t n = h >> 4;
	if (n == 15)
		n = varint(r);
	/* every element takes at least one byte (skip_elem) */
	if (n > (uint64_t)(r->end - r->p))
		r->bad = true;
	return n;
}

static void skip_struct(struct rd *r, int depth)
{
	if (depth > MAX_DEPTH) {
		r->bad = true;
		return;
	}
	while (!r->bad) {
		uint8_t h = byte(r);
		if (h == T_STOP)
			return;
		if (!(h >> 4))
			zigzag(r); /* long-form field id */
		skip(r, h & 15, depth + 1);
	}
}

static void skip(struct rd *r, int type, int depth)
{
	if (r->bad || depth > MAX_DEPTH) {
		r->bad = true;
		return;
	}
	switch (type) {
	case T_TRUE:
	case T_FALSE:
		return; /* the value is in the type */
	case T_I8:
		byte(r);
		return;
	case T_I16:
	case T_I32:
	case T_I64:
		varint(r);
		return;
	case T_DOUBLE:
		skip_bytes(r, 8);
		return;
	case T_BINARY:
		skip_bytes(r, varint(r));
		return;
	case T_LIST:
	case T_SET: {
		int elem;
		uint64_t n = list_header(r, &elem);
		for (uint64_t i = 0; i < n && !r->bad; i++)
			skip_elem(r, elem, depth + 1);
		return;
	}
	case T_MAP: {
		uint64_t n = varint(r);
		if (!n)
			return;
		uint8_t kv = byte(r);
		if (n > (uint64_t)(r->end - r->p))
			r->bad = true;
		for (uint64_t i = 0; i < n && !r->bad; i++) {
			skip_elem(r, kv >> 4, depth + 1);
			skip_elem(r, kv & 15, depth + 1);
		}
		return;
	}
	case T_STRUCT:
		skip_struct(r, depth);
		return;
	default:
		r->bad = true;
	}
}

static void add(struct rd *r, int64_t start, int64_t len)
{
	if (start < 0 || len <= 0 || (uint64_t)start >= r->size)
		return; /* absent or nonsense: not a range to prefetch */
	uint64_t end = (uint64_t)len > r->size - (uint64_t)start ? r->size : (uint64_t)(start + len);
	if (r->n == r->cap) {
		if (r->cap >= PQ_MAX_EXTENTS) {
			r->bad = true;
			return;
		}
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rp_extent *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			r->bad = true;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].start = (uint64_t)start;
	r->v[r->n].end = end;
	r->n++;
}

/* Fields of a struct: calls field(r, id, type, arg) for each, which must
 * consume the value (or skip it). */
static void each_field(struct rd *r, int depth, void (*field)(struct rd *, int, int, void *, int),
		       void *arg)
{
	if (depth > MAX_DEPTH) {
		r->bad = true;
		return;
	}
	int id = 0;
	while (!r->bad) {
		uint8_t h = byte(r);
		if (h == T_STOP)
			return;
		/* field ids are i16: wrap as Thrift does, never overflow */
		id = (int16_t)(uint16_t)((h >> 4) ? (unsigned)id + (h >> 4) : (unsigned)zigzag(r));
		field(r, id, h & 15, arg, depth + 1);
	}
}

struct meta {
	int64_t total, data, dict;
};

static int64_t int_value(struct rd *r, int type, int depth)
{
	if (type == T_I32 || type == T_I64 || type == T_I16)
		return zigzag(r);
	skip(r, type, depth);
	return -1;
}

static void meta_field(struct rd *r, int id, int type, void *arg, int depth)
{
	struct meta *m = arg;
	if (id == 7)
		m->total = int_value(r, type, depth);
	else if (id == 9)
		m->data = int_value(r, type, depth);
	else if (id == 11)
		m->dict = int_value(r, type, depth);
	else
		skip(r, type, depth);
}

struct chunk {
	struct meta m;
	bool has_meta;
	int64_t oi_off, oi_len, ci_off, ci_len;
};

static void chunk_field(struct rd *r, int id, int type, void *arg, int depth)
{
	struct chunk *c = arg;
	if (id == 3 && type == T_STRUCT) {
		c->has_meta = true;
		each_field(r, depth, meta_field, &c->m);
	} else if (id == 4) {
		c->oi_off = int_value(r, type, depth);
	} else if (id == 5) {
		c->oi_len = int_value(r, type, depth);
	} else if (id == 6) {
		c->ci_off = int_value(r, type, depth);
	} else if (id == 7) {
		c->ci_len = int_value(r, type, depth);
	} else {
		skip(r, type, depth);
	}
}

static void chunk_list(struct rd *r, int depth, void (*elem_fn)(struct rd *, int))
{
	int elem;
	uint64_t n = list_header(r, &elem);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		if (elem != T_STRUCT) {
			skip_elem(r, elem, depth);
			continue;
		}
		elem_fn(r, depth);
	}
}

static void one_chunk(struct rd *r, int depth)
{
	struct chunk c = {.m = {-1, -1, -1}, .oi_off = -1, .ci_off = -1};
	each_field(r, depth, chunk_field, &c);
	if (c.has_meta) {
		int64_t start = c.m.data;
		if (c.m.dict > 0 && (start < 0 || c.m.dict < start))
			start = c.m.dict;
		add(r, start, c.m.total);
	}
	add(r, c.oi_off, c.oi_len);
	add(r, c.ci_off, c.ci_len);
}

static void rowgroup_field(struct rd *r, int id, int type, void *arg, int depth)
{
	(void)arg;
	if (id == 1 && type == T_LIST)
		chunk_list(r, depth, one_chunk);
	else
		skip(r, type, depth);
}

static void one_rowgroup(struct rd *r, int depth)
{
	each_field(r, depth, rowgroup_field, NULL);
}

static void file_field(struct rd *r, int id, int type, void *arg, int depth)
{
	(void)arg;
	if (id == 4 && type == T_LIST)
		chunk_list(r, depth, one_rowgroup);
	else
		skip(r, type, depth);
}

static int cmp_ext(const void *a, const void *b)
{
	const struct rp_extent *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int pq_footer_len(const uint8_t tail[8], uint64_t size, uint32_t *len)
{
	if (memcmp(tail + 4, "PAR1", 4))
		return -EINVAL;
	uint32_t l = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
		     (uint32_t)tail[3] << 24;
	if (l == 0 || l > PQ_MAX_FOOTER || size < 12 || l > size - 12)
		return -EINVAL;
	*len = l;
	return 0;
}

int pq_footer_extents(const uint8_t *meta, size_t len, uint64_t size, struct rp_extent **out,
		      size_t *n)
{
	*out = NULL;
	*n = 0;
	struct rd r = {.p = meta, .end = meta + len, .size = size};
	each_field(&r, 0, file_field, NULL);
	if (r.bad) {
		free(r.v);
		return -EINVAL;
	}
	if (r.n) {
		qsort(r.v, r.n, sizeof(*r.v), cmp_ext);
		size_t w = 0;
		for (size_t i = 1; i < r.n; i++) {
			if (r.v[i].start < r.v[w].end) { /* overlap; touching chunks stay apart */
				if (r.v[i].end > r.v[w].end)
					r.v[w].end = r.v[i].end;
			} else {
				r.v[++w] = r.v[i];
			}
		}
		r.n = w + 1;
	}
	*out = r.v;
	*n = r.n;
	return 0;
}
