/* test_jsonnum.c - JSON numbers to integers: clamped, never undefined
 * behaviour (this file runs under UBSan in scripts/test), NaN and infinities
 * included. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "util/jsonnum.h"

static int64_t item(const char *json, int64_t lo, int64_t hi, int64_t dflt)
{
	cJSON *root = cJSON_Parse(json);
	int64_t v = json_item_i64(cJSON_GetObjectItemCaseSensitive(root, "v"), lo, hi, dflt);
	cJSON_Delete(root);
	return v;
}

int main(void)
{
	const int64_t MIN = INT64_MIN, MAX = INT64_MAX;

	/* the full int64 range */
	CHECK(json_num_clamp(NAN, MIN, MAX) == MIN);
	CHECK(json_num_clamp(-NAN, MIN, MAX) == MIN);
	CHECK(json_num_clamp(INFINITY, MIN, MAX) == MAX);
	CHECK(json_num_clamp(-INFINITY, MIN, MAX) == MIN);
	CHECK(json_num_clamp(1e300, MIN, MAX) == MAX);
	CHECK(json_num_clamp(-1e300, MIN, MAX) == MIN);
	CHECK(json_num_clamp(9223372036854775808.0 /* 2^63 */, MIN, MAX) == MAX);
	CHECK(json_num_clamp(-9223372036854775808.0 /* -2^63 */, MIN, MAX) == MIN);
	CHECK(json_num_clamp(-9223372036854777856.0 /* next double below */, MIN, MAX) == MIN);
	CHECK(json_num_clamp(9223372036854774784.0 /* largest double below 2^63 */, MIN, MAX) ==
	      9223372036854774784LL);
	CHECK(json_num_clamp(0.0, MIN, MAX) == 0);
	CHECK(json_num_clamp(-0.0, MIN, MAX) == 0);
	CHECK(json_num_clamp(1.9, MIN, MAX) == 1);
	CHECK(json_num_clamp(-1.9, MIN, MAX) == -1);
	CHECK(json_num_clamp(1795679486000.0, MIN, MAX) == 1795679486000LL);
	CHECK(json_num_clamp(-1795679486000.0, MIN, MAX) == -1795679486000LL);

	/* a narrower range: epoch milliseconds */
	CHECK(json_num_clamp(NAN, 0, JSON_EPOCH_MS_MAX) == 0);
	CHECK(json_num_clamp(-5, 0, JSON_EPOCH_MS_MAX) == 0);
	CHECK(json_num_clamp(-1e300, 0, JSON_EPOCH_MS_MAX) == 0);
	CHECK(json_num_clamp(1e300, 0, JSON_EPOCH_MS_MAX) == JSON_EPOCH_MS_MAX);
	CHECK(json_num_clamp(INFINITY, 0, JSON_EPOCH_MS_MAX) == JSON_EPOCH_MS_MAX);
	CHECK(json_num_clamp(9223372036854775808.0, 0, JSON_EPOCH_MS_MAX) == JSON_EPOCH_MS_MAX);
	CHECK(json_num_clamp(0.5, 1, JSON_EPOCH_MS_MAX) == 1);
	CHECK(json_num_clamp(1721234405334.0, 0, JSON_EPOCH_MS_MAX) == 1721234405334LL);
	/* bounds that are not doubles: 2^53 + 1 */
	CHECK(json_num_clamp(9007199254740994.0, 0, 9007199254740993LL) == 9007199254740993LL);
	CHECK(json_num_clamp(-9007199254740994.0, -9007199254740993LL, 0) == -9007199254740993LL);

	/* items: numbers and decimal strings, as parsed by cJSON */
	CHECK(item("{\"v\":1e300}", 0, JSON_EPOCH_MS_MAX, 7) == JSON_EPOCH_MS_MAX);
	CHECK(item("{\"v\":-1e300}", 0, JSON_EPOCH_MS_MAX, 7) == 0);
	CHECK(item("{\"v\":1e999}", MIN, MAX, 7) == MAX);   /* cJSON: +inf */
	CHECK(item("{\"v\":-1e999}", MIN, MAX, 7) == MIN);  /* cJSON: -inf */
	CHECK(item("{\"v\":9223372036854775808}", MIN, MAX, 7) == MAX);
	CHECK(item("{\"v\":-9223372036854775809}", MIN, MAX, 7) == MIN);
	CHECK(item("{\"v\":-42}", MIN, MAX, 7) == -42);
	CHECK(item("{\"v\":-42}", 0, MAX, 7) == 0);
	CHECK(item("{\"v\":\"17\"}", 0, MAX, 7) == 17);
	CHECK(item("{\"v\":\" -17x\"}", MIN, MAX, 7) == -17);
	CHECK(item("{\"v\":\"99999999999999999999999\"}", MIN, MAX, 7) == MAX);
	CHECK(item("{\"v\":\"-99999999999999999999999\"}", MIN, MAX, 7) == MIN);
	CHECK(item("{\"v\":\"99999999999999999999999\"}", 0, JSON_EPOCH_MS_MAX, 7) == JSON_EPOCH_MS_MAX);
	CHECK(item("{\"v\":\"\"}", MIN, MAX, 7) == 7);
	CHECK(item("{\"v\":\"x\"}", MIN, MAX, 7) == 7);
	CHECK(item("{\"v\":null}", MIN, MAX, 7) == 7);
	CHECK(item("{\"v\":true}", MIN, MAX, 7) == 7);
	CHECK(item("{\"v\":[1]}", MIN, MAX, 7) == 7);
	CHECK(item("{}", MIN, MAX, 7) == 7);
	CHECK(json_item_i64(NULL, MIN, MAX, 7) == 7);

	return check_done();
}
