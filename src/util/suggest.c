/* suggest.c - see suggest.h. */
#include "util/suggest.h"

#include <stdint.h>
#include <string.h>

#define MAXLEN 64

size_t suggest_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > MAXLEN || m > MAXLEN)
		return SIZE_MAX;
	size_t d[MAXLEN + 1][MAXLEN + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m];
}

const char *suggest_best(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL, *prefixed = NULL;
	size_t bestd = SIZE_MAX, len = strlen(word), nprefixed = 0;
	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
		if (len >= 2 && !strncmp(cands[i], word, len)) {
			prefixed = cands[i];
			nprefixed++;
		}
	}
	if (best && bestd <= 2 && bestd * 2 < len)
		return best;
	return nprefixed == 1 ? prefixed : NULL;
}
