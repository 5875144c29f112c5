/* fuzz_listing_s3.c - libFuzzer target: listing_parse_s3(), the parser of
 * S3 ListObjectsV2 (XML, through libexpat) pages.
 * Input: PREFIX '\n' ANSWER (see fuzz_listing.h). */
#include "fuzz_listing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_listing(listing_parse_s3, false, data, size);
}
