/* crc32c.c - see crc32c.h. */
#include "util/crc32c.h"

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#ifdef __x86_64__
#include <nmmintrin.h>
#endif

#define POLY 0x82F63B78U /* reflected Castagnoli polynomial */

static uint32_t tab[8][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
#ifdef __x86_64__
static bool hw;
/* x^(8*LANE*8) mod P, for shifting a lane's CRC over the lanes after it. */
#define LANE 4096 /* bytes per stream in one round of the interleaved loop */
static uint32_t shift1[4][256], shift2[4][256];
#endif

static uint32_t sw(uint32_t crc, const uint8_t *p, size_t n) /* un-inverted */
{
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w = le64toh(w) ^ crc;
		crc = tab[7][w & 0xff] ^ tab[6][(w >> 8) & 0xff] ^ tab[5][(w >> 16) & 0xff] ^
		      tab[4][(w >> 24) & 0xff] ^ tab[3][(w >> 32) & 0xff] ^
		      tab[2][(w >> 40) & 0xff] ^ tab[1][(w >> 48) & 0xff] ^ tab[0][w >> 56];
	}
	while (n--)
		crc = tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#ifdef __x86_64__
/* The CRC register after `bytes` zero bytes, as a GF(2) matrix applied to v. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t v)
{
	uint32_t s = 0;
	for (int i = 0; v; i++, v >>= 1)
		if (v & 1)
			s ^= mat[i];
	return s;
}

static void gf2_square(uint32_t *sq, const uint32_t *mat)
{
	for (int i = 0; i < 32; i++)
		sq[i] = gf2_times(mat, mat[i]);
}

/* Tables that advance an (un-inverted) CRC register over `len` zero bytes
 * one byte of the register at a time. */
static void zeros_table(uint32_t t[4][256], size_t len)
{
	uint32_t op[32], sq[32];
	/* operator for one zero bit, then square up to len bytes */
	op[0] = POLY;
	for (int i = 1; i < 32; i++)
		op[i] = 1U << (i - 1);
	gf2_square(sq, op);  /* 2 bits */
	gf2_square(op, sq);  /* 4 bits */
	/* op = 8 bits = 1 byte; multiply up to len bytes by squaring */
	gf2_square(sq, op); /* 8 bits */
	uint32_t res[32];
	for (int i = 0; i < 32; i++)
		res[i] = 1U << i; /* identity */
	memcpy(op, sq, sizeof(op)); /* op = one byte */
	for (size_t n = len; n; n >>= 1) {
		if (n & 1) {
			uint32_t tmp[32];
			for (int i = 0; i < 32; i++)
				tmp[i] = gf2_times(op, res[i]);
			memcpy(res, tmp, sizeof(res));
		}
		gf2_square(sq, op);
		memcpy(op, sq, sizeof(op));
	}
	for (int b = 0; b < 4; b++)
		for (uint32_t v = 0; v < 256; v++)
			t[b][v] = gf2_times(res, v << (8 * b));
}

static uint32_t shift(uint32_t t[4][256], uint32_t crc)
{
	return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^
	       t[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t hw1(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
	}
	for (crc = (uint32_t)c; n--;)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}

/* Three independent streams hide the instruction's latency (3 cycles,
 * one per cycle throughput); their CRCs are then combined. */
__attribute__((target("sse4.2"))) static uint32_t hw3(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n >= 3 * LANE) {
		uint64_t a = crc, b = 0, c = 0;
		const uint8_t *pa = p, *pb = p + LANE, *pc = p + 2 * LANE;
		for (size_t i = 0; i < LANE; i += 8) {
			uint64_t wa, wb, wc;
			memcpy(&wa, pa + i, 8);
			memcpy(&wb, pb + i, 8);
			memcpy(&wc, pc + i, 8);
			a = _mm_crc32_u64(a, wa);
			b = _mm_crc32_u64(b, wb);
			c = _mm_crc32_u64(c, wc);
		}
		/* crc(A||B||C) = shift2(crc A) ^ shift1(crc B) ^ crc C (zero-initialised B, C) */
		crc = shift(shift2, (uint32_t)a) ^ shift(shift1, (uint32_t)b) ^ (uint32_t)c;
		p += 3 * LANE;
		n -= 3 * LANE;
	}
	return hw1(crc, p, n);
}
#endif

static void init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (POLY & (0U - (c & 1U)));
		tab[0][i] = c;
	}
	for (int t = 1; t < 8; t++)
		for (int i = 0; i < 256; i++)
			tab[t][i] = (tab[t - 1][i] >> 8) ^ tab[0][tab[t - 1][i] & 0xff];
#ifdef __x86_64__
	__builtin_cpu_init();
	hw = __builtin_cpu_supports("sse4.2");
	zeros_table(shift1, LANE);
	zeros_table(shift2, 2 * LANE);
#endif
}

uint32_t crc32c_sw(uint32_t crc, const void *data, size_t n)
{
	pthread_once(&once, init);
	return ~sw(~crc, data, n);
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n)
{
	pthread_once(&once, init);
#ifdef __x86_64__
	if (hw)
		return ~hw3(~crc, data, n);
#endif
	return ~sw(~crc, data, n);
}
