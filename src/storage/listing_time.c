/* listing_time.c - the timestamps of listing answers (ISO 8601 from S3 and
 * GCS, RFC 1123 from Azure) to struct timespec; see listing.h. Pure. */
#include "storage/listing.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>


static int digits(const char **p, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return -EINVAL;
		x = x * 10 + (ch - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int make_time(int y, int mo, int d, int h, int mi, int s, long nsec, int off_sec,
		     struct timespec *ts)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
		return -EINVAL;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off_sec;
	if ((int64_t)(time_t)t != t)
		return -EINVAL;
	ts->tv_sec = (time_t)t;
	ts->tv_nsec = nsec;
	return 0;
}

int listing_parse_time_iso8601(const char *s, struct timespec *ts)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long nsec = 0;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.' || *p == ',') {
		int nd = 0;
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++, nd++)
			if (nd < 9)
				nsec = nsec * 10 + (*p - '0');
		for (; nd < 9; nd++)
			nsec *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	return make_time(y, mo, d, h, mi, sec, nsec, sign * (oh * 3600 + om * 60), ts);
}

int listing_parse_time_rfc1123(const char *s, struct timespec *ts)
{
	static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int y, mo = 0, d, h, mi, sec;
	const char *p = s;
	bool wday_ok = false;

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < 7; i++)
		if (strncasecmp(p, wdays[i], 3) == 0)
			wday_ok = true;
	if (!wday_ok || p[3] != ',' || p[4] != ' ')
		return -EINVAL;
	p += 5;
	/* p[1] is read only after p[0] is known to be a digit (not the NUL): "Tue, " */
	if (*p >= '0' && *p <= '9' && p[1] == ' ') { /* "Wed, 9 Sep 2009" */
		if (digits(&p, 1, &d))
			return -EINVAL;
	} else if (digits(&p, 2, &d)) {
		return -EINVAL;
	}
	if (*p++ != ' ')
		return -EINVAL;
	for (int i = 0; i < 12; i++)
		if (strncasecmp(p, months[i], 3) == 0)
			mo = i + 1;
	if (!mo || p[3] != ' ')
		return -EINVAL;
	p += 4;
	if (digits(&p, 4, &y) || *p++ != ' ' || digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec) || *p++ != ' ')
		return -EINVAL;
	if (strcmp(p, "GMT") != 0 && strcmp(p, "UTC") != 0)
		return -EINVAL;
	return make_time(y, mo, d, h, mi, sec, 0, 0, ts);
}

