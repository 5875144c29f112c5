/* fuzz_snapshot.c - libFuzzer target: snap_manifest_parse() (a snapshot
 * manifest read back from a cache directory, which a crash or another tool
 * may have damaged). Contract checked: it returns 0 with a manifest whose
 * every path is relative, inside the table and made of names a file system
 * can show, and whose bytes add up; or -EINVAL with a message; and what it
 * accepted prints and parses again to the same files. */
#include <errno.h>
#include <string.h>

#include "cache/snapstore.h"
#include "fuzz_input.h"

static void check_path(const char *p)
{
	size_t len = strlen(p);
	FUZZ_CHECK(len > 0 && len <= 4096 && p[0] != '/' && p[len - 1] != '/');
	FUZZ_CHECK(!strstr(p, "//") && strcmp(p, "..") && strncmp(p, "../", 3) && !strstr(p, "/../"));
	FUZZ_CHECK(len < 3 || strcmp(p + len - 3, "/.."));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct snap_manifest *m = NULL;
	char *err = NULL;
	int r = snap_manifest_parse(s, size, &m, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	FUZZ_CHECK((r == 0) == (m != NULL) && (r == 0) == (err == NULL));
	if (m) {
		uint64_t sum = 0;
		for (size_t i = 0; i < m->nfiles; i++) {
			check_path(m->files[i].path);
			sum += m->files[i].size;
		}
		FUZZ_CHECK(sum == m->bytes && m->location && *m->location);
		char *again = snap_manifest_json(m);
		struct snap_manifest *m2 = NULL;
		char *err2 = NULL;
		FUZZ_CHECK(again && snap_manifest_parse(again, strlen(again), &m2, &err2) == 0);
		FUZZ_CHECK(m2->nfiles == m->nfiles && m2->bytes == m->bytes);
		for (size_t i = 0; i < m->nfiles; i++)
			FUZZ_CHECK(!strcmp(m2->files[i].path, m->files[i].path) &&
				   !memcmp(m2->files[i].id, m->files[i].id, 32));
		snap_manifest_free(m2);
		free(again);
	}
	snap_manifest_free(m);
	free(err);
	free(s);
	return 0;
}
