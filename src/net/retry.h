/*
 * retry.h - pure retry policy for HTTP calls (no I/O, no clock, no globals).
 *
 * Contract: retry_status_is_transient() says which HTTP statuses are worth
 * retrying (429, 500, 502, 503, 504). retry_delay_ms() computes the wait
 * before retry number `attempt` (1-based): an integer Retry-After (seconds)
 * wins, capped at max_ms; 429/503 without a usable Retry-After wait 1000 ms;
 * everything else gets exponential backoff base_ms*2^(attempt-1) with full
 * jitter (uniform in [0, cap]) drawn with rand_r(seed), capped at max_ms.
 * The result is always within [0, max_ms] (max_ms <= 0 means "no cap").
 */
#ifndef UCFS_NET_RETRY_H
#define UCFS_NET_RETRY_H

#include <stdbool.h>

bool retry_status_is_transient(long http_status);

long retry_delay_ms(int attempt, const char *retry_after, long http_status, long base_ms,
		    long max_ms, unsigned *seed);

/* Parse a Retry-After value holding delta-seconds ("  12 "). Returns the
 * number of seconds (saturated at LONG_MAX/1000) or -1 when it is missing,
 * negative or not an integer (HTTP-dates are not supported). */
long retry_after_seconds(const char *retry_after);

#endif
