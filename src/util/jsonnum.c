/* jsonnum.c - see jsonnum.h. */
#include "util/jsonnum.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

int64_t json_num_clamp(double v, int64_t lo, int64_t hi)
{
	/* (double)hi may round up past hi (INT64_MAX becomes 2^63): any v below it
	 * truncates to at most hi, any v at or above it is clamped; same for lo. */
	if (isnan(v) || v <= (double)lo)
		return lo;
	if (v >= (double)hi)
		return hi;
	int64_t r = (int64_t)v;
	return r < lo ? lo : r > hi ? hi : r;
}

int64_t json_item_i64(const struct cJSON *it, int64_t lo, int64_t hi, int64_t dflt)
{
	if (cJSON_IsNumber(it))
		return json_num_clamp(it->valuedouble, lo, hi);
	if (cJSON_IsString(it) && it->valuestring) {
		char *end = NULL;
		errno = 0;
		long long n = strtoll(it->valuestring, &end, 10); /* saturates: defined */
		if (end == it->valuestring)
			return dflt;
		return n < lo ? lo : n > hi ? hi : (int64_t)n;
	}
	return dflt;
}
