/* fuzz_time.c - libFuzzer target: the time and header-number parsers fed
 * from remote answers: listing_parse_time_iso8601() (S3/GCS listings),
 * listing_parse_time_rfc1123() (Azure <Last-Modified>, Last-Modified
 * headers) and retry_after_seconds() (Retry-After). Input: the raw value, as
 * a heap string of exactly its length + NUL. */
#include <errno.h>
#include <limits.h>

#include "fuzz_input.h"
#include "net/retry.h"
#include "storage/listing.h"

static void check_time(int rc, const struct timespec *ts)
{
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (!rc)
		FUZZ_CHECK(ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct timespec ts = {0};

	check_time(listing_parse_time_iso8601(s, &ts), &ts);
	check_time(listing_parse_time_rfc1123(s, &ts), &ts);
	long secs = retry_after_seconds(s);
	FUZZ_CHECK(secs >= -1 && secs <= LONG_MAX / 1000);
	unsigned seed = size;
	long d = retry_delay_ms(1 + (int)(size % 80), s, size % 2 ? 503 : 500, 100, 30000, &seed);
	FUZZ_CHECK(d >= 0 && d <= 30000);
	free(s);
	return 0;
}
