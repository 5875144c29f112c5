/* fuzz_listing_gcs.c - libFuzzer target: listing_parse_gcs(), the parser of
 * GCS objects.list (JSON, through cJSON) pages.
 * Input: PREFIX '\n' ANSWER (see fuzz_listing.h). */
#include "fuzz_listing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_listing(listing_parse_gcs, false, data, size);
}
