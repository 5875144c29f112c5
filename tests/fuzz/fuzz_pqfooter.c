/* fuzz_pqfooter.c - libFuzzer target: the Parquet footer parser that the
 * prefetch policy feeds with the last bytes of any object a reader opens at
 * its tail (cache/pqfooter.c). Input: the last 8 bytes of a file and the
 * FileMetaData bytes before them, as a file's tail: the whole input is the
 * file's end, and the file's size is the input size plus a value taken from
 * the first byte (so the extents may point anywhere). Contract: 0 with
 * extents sorted, apart and inside the file, or -EINVAL. */
#include <errno.h>

#include "cache/pqfooter.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	uint64_t fsize = size + ((uint64_t)data[0] << 16);
	uint8_t *copy = malloc(size - 1);
	memcpy(copy, data + 1, size - 1);
	size_t n = size - 1;
	uint32_t len = 0;
	if (pq_footer_len(copy + n - 8, fsize, &len) == 0 && len <= n - 8) {
		struct rp_extent *v = NULL;
		size_t m = 0;
		int r = pq_footer_extents(copy + n - 8 - len, len, fsize, &v, &m);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		for (size_t i = 0; r == 0 && i < m; i++) {
			FUZZ_CHECK(v[i].start < v[i].end && v[i].end <= fsize);
			FUZZ_CHECK(i == 0 || v[i - 1].end <= v[i].start);
		}
		free(v);
	}
	/* and the whole input as metadata, whatever its trailer says */
	struct rp_extent *v = NULL;
	size_t m = 0;
	int r = pq_footer_extents(copy, n, fsize, &v, &m);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	free(v);
	free(copy);
	return 0;
}
