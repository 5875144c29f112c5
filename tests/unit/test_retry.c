/* test_retry.c - unit tests for net/retry. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "net/retry.h"


static void test_transient(void)
{
	long yes[] = {429, 500, 502, 503, 504};
	long no[] = {0, 200, 204, 301, 400, 401, 403, 404, 409, 501, 505};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(retry_status_is_transient(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!retry_status_is_transient(no[i]));
}

static void test_retry_after(void)
{
	unsigned seed = 1;
	CHECK(retry_delay_ms(1, "3", 429, 100, 30000, &seed) == 3000);
	CHECK(retry_delay_ms(1, " 2 ", 503, 100, 30000, &seed) == 2000);
	CHECK(retry_delay_ms(4, "0", 429, 100, 30000, &seed) == 0);
	/* Honoured for any status that carries it. */
	CHECK(retry_delay_ms(1, "5", 500, 100, 30000, &seed) == 5000);
	/* Cap. */
	CHECK(retry_delay_ms(1, "120", 429, 100, 30000, &seed) == 30000);
	CHECK(retry_delay_ms(1, "99999999999999999999", 429, 100, 8000, &seed) == 8000);
	/* Missing or garbage: 1 s for 429/503. */
	CHECK(retry_delay_ms(1, NULL, 429, 100, 30000, &seed) == 1000);
	CHECK(retry_delay_ms(3, NULL, 503, 100, 30000, &seed) == 1000);
	CHECK(retry_delay_ms(1, "soon", 429, 100, 30000, &seed) == 1000);
	CHECK(retry_delay_ms(1, "-5", 429, 100, 30000, &seed) == 1000);
	CHECK(retry_delay_ms(1, "1.5", 503, 100, 30000, &seed) == 1000);
	CHECK(retry_delay_ms(1, "", 503, 100, 30000, &seed) == 1000);
	CHECK(retry_delay_ms(1, "Wed, 21 Oct 2015 07:28:00 GMT", 503, 100, 30000, &seed) == 1000);
	/* The 1 s default is capped too. */
	CHECK(retry_delay_ms(1, NULL, 429, 100, 500, &seed) == 500);
	CHECK(retry_after_seconds("7") == 7);
	CHECK(retry_after_seconds("7x") == -1);
	CHECK(retry_after_seconds("+7") == -1);
	CHECK(retry_after_seconds(NULL) == -1);
}

static void test_backoff_bounds(void)
{
	unsigned seed = 12345;
	for (int attempt = 1; attempt <= 12; attempt++) {
		long ceiling = 100L << (attempt - 1);
		if (ceiling > 8000)
			ceiling = 8000;
		long lo = ceiling, hi = 0;
		bool in_range = true;
		for (int i = 0; i < 2000; i++) {
			long d = retry_delay_ms(attempt, NULL, 500, 100, 8000, &seed);
			in_range = in_range && d >= 0 && d <= ceiling;
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		CHECK(in_range);
		/* Full jitter spreads over the range. */
		CHECK(lo < ceiling / 4);
		CHECK(hi > ceiling * 3 / 4);
	}
	/* Transport failures (status 0) back off too; garbage Retry-After ignored. */
	long d = retry_delay_ms(2, "garbage", 0, 100, 8000, &seed);
	CHECK(d >= 0 && d <= 200);
	/* Huge attempt numbers do not overflow. */
	bool big_ok = true;
	for (int i = 0; i < 100; i++) {
		d = retry_delay_ms(1000, NULL, 502, 250, 8000, &seed);
		big_ok = big_ok && d >= 0 && d <= 8000;
	}
	CHECK(big_ok);
	d = retry_delay_ms(0, NULL, 504, 100, 8000, &seed);
	CHECK(d >= 0 && d <= 100);
	/* Same seed, same sequence (deterministic jitter source). */
	unsigned s1 = 42, s2 = 42;
	for (int i = 0; i < 10; i++)
		CHECK(retry_delay_ms(5, NULL, 500, 100, 8000, &s1) == retry_delay_ms(5, NULL, 500, 100, 8000, &s2));
}

int main(void)
{
	test_transient();
	test_retry_after();
	test_backoff_bounds();
	return check_done();
}
