/*
 * check.h - minimal unit-test macros: CHECK(cond) records a failure with its
 * location and goes on; check_done() prints "N passed, N failed" (the line CI
 * reads) and returns the exit status.
 */
#ifndef UCFS_CHECK_H
#define UCFS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond) {                                                            \
			check_passed++;                                                \
		} else {                                                               \
			check_failed++;                                                \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		if (a_ && b_ && strcmp(a_, b_) == 0) {                                 \
			check_passed++;                                                \
		} else {                                                               \
			check_failed++;                                                \
			fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, \
				b_ ? b_ : "(null)", a_ ? a_ : "(null)");               \
		}                                                                      \
	} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
