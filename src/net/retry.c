/* retry.c - see retry.h. */
#include "net/retry.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

bool retry_status_is_transient(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

long retry_after_seconds(const char *v)
{
	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (!isdigit((unsigned char)*v))
		return -1; /* also rejects '-' and '+' */
	errno = 0;
	char *end = NULL;
	long long n = strtoll(v, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	if (errno == ERANGE || n > LONG_MAX / 1000)
		return LONG_MAX / 1000;
	return (long)n;
}

static long cap(long v, long max_ms)
{
	if (v < 0)
		v = 0;
	return (max_ms > 0 && v > max_ms) ? max_ms : v;
}

long retry_delay_ms(int attempt, const char *retry_after, long http_status, long base_ms,
		    long max_ms, unsigned *seed)
{
	long secs = retry_after_seconds(retry_after);
	if (secs >= 0)
		return cap(secs * 1000, max_ms);
	if (http_status == 429 || http_status == 503)
		return cap(1000, max_ms);

	if (attempt < 1)
		attempt = 1;
	if (base_ms <= 0)
		base_ms = 1;
	/* base * 2^(attempt-1) without overflow. */
	long ceiling = base_ms;
	for (int i = 1; i < attempt; i++) {
		if (ceiling > LONG_MAX / 2 || (max_ms > 0 && ceiling >= max_ms)) {
			ceiling = max_ms > 0 ? max_ms : LONG_MAX / 2;
			break;
		}
		ceiling *= 2;
	}
	ceiling = cap(ceiling, max_ms);
	/* Full jitter: uniform in [0, ceiling]. rand_r yields [0, RAND_MAX]. */
	unsigned local = 1;
	unsigned *sp = seed ? seed : &local;
	double r = (double)rand_r(sp) / ((double)RAND_MAX + 1.0);
	long d = (long)(r * ((double)ceiling + 1.0));
	return cap(d, ceiling);
}
