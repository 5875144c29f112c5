/* fuzz_config.c - libFuzzer target: the ~/.databrickscfg parser
 * (ini_list_profiles, ini_get_profile) and conn_normalize_host() on every
 * host value it yields. Input: the file's bytes, as a heap string of exactly
 * their length + NUL (config.c reads the file into a C string). Checked:
 * every listed profile can be read back, keys come back lower-case, a
 * normalized host starts with http:// or https://. */
#include <ctype.h>
#include <errno.h>

#include "core/config.h"
#include "fuzz_input.h"

static void normalize(const char *host)
{
	char *out = NULL;
	int rc = conn_normalize_host(host, &out);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (!rc)
		FUZZ_CHECK(!strncmp(out, "https://", 8) || !strncmp(out, "http://", 7));
	else
		FUZZ_CHECK(!out);
	free(out);
}

static void profile(const char *text, const char *name, int want)
{
	char **k = NULL, **v = NULL;
	size_t n = 0;
	int rc = ini_get_profile(text, name, &k, &v, &n);
	FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -ENOMEM);
	if (want == 0)
		FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(k[i][0] && v[i]);
		for (const char *p = k[i]; *p; p++)
			FUZZ_CHECK(!isupper((unsigned char)*p));
		if (!strcmp(k[i], "host"))
			normalize(v[i]);
	}
	ini_free_kv(k, v, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char **names = NULL;
	size_t n = 0;

	if (ini_list_profiles(text, &names, &n) == 0)
		for (size_t i = 0; i < n; i++)
			profile(text, names[i], names[i][0] ? 0 : -1);
	ini_free_kv(names, NULL, n);
	profile(text, "DEFAULT", -1);
	profile(text, NULL, -1);
	normalize(text);
	free(text);
	return 0;
}
