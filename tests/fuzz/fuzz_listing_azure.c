/* fuzz_listing_azure.c - libFuzzer target: listing_parse_azure(), the parser of
 * Azure List Blobs (XML, through libexpat; directories de-duplicated across pages) pages.
 * Input: PREFIX '\n' ANSWER (see fuzz_listing.h). */
#include "fuzz_listing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_listing(listing_parse_azure, true, data, size);
}
