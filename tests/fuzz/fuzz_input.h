/*
 * fuzz_input.h - what the libFuzzer targets share: turning the raw bytes into
 * the arguments of the real parsing functions, with nothing filtered out.
 *
 * Contract: every string handed to a parser lives in a heap block of exactly
 * its length + 1 (the NUL), so AddressSanitizer reports any read past its
 * end. Inputs with several arguments are split on '\n' into at most MAX
 * fields, the last field taking the rest (its '\n's included); missing
 * fields are NULL. Embedded NULs stay in the bytes: a C string parser stops
 * at the first one, exactly as it would on an answer received over HTTP.
 * FUZZ_CHECK() aborts (a crash for libFuzzer) when a documented contract
 * of the function under test does not hold. Warnings the parsers log about
 * skipped entries are silenced (millions of lines otherwise); errors are not.
 * Include this header once per target: it defines LLVMFuzzerInitialize().
 */
#ifndef UCFS_FUZZ_INPUT_H
#define UCFS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	return 0;
}

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* DATA[0..N) as a NUL-terminated heap string of exactly N + 1 bytes. */
static inline char *fuzz_cstr(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* Split DATA on '\n' into F[0..MAX): the last one takes the rest. Returns
 * how many fields were present (the others are NULL). */
static inline size_t fuzz_fields(const uint8_t *data, size_t n, char **f, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < max; i++)
		f[i] = NULL;
	while (k < max) {
		const uint8_t *nl = k + 1 < max ? memchr(data, '\n', n) : NULL;
		size_t len = nl ? (size_t)(nl - data) : n;
		f[k++] = fuzz_cstr(data, len);
		if (!nl)
			break;
		data += len + 1;
		n -= len + 1;
	}
	return k;
}

static inline void fuzz_fields_free(char **f, size_t max)
{
	for (size_t i = 0; i < max; i++)
		free(f[i]);
}

#endif
