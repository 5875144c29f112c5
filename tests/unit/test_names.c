/* test_names.c - the pure pieces of issue 8's hostile-input handling: the
 * seen-set, the page guard, name checks and escaping, NUL marking, and the
 * "did you mean" ranking; Delta log file versions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "util/names.h"
#include "util/pageguard.h"
#include "util/seenset.h"
#include "util/suggest.h"

static void test_seenset(void)
{
	struct seenset s = {0};
	CHECK(!seenset_has_str(&s, "a"));
	CHECK(seenset_add_str(&s, "a") == 1);
	CHECK(seenset_add_str(&s, "a") == 0);
	CHECK(seenset_has_str(&s, "a"));
	CHECK(seenset_add(&s, "a\0b", 3) == 1); /* bytes, not C strings */
	CHECK(seenset_add(&s, "a\0c", 3) == 1);
	CHECK(seenset_add(&s, "a\0b", 3) == 0);
	CHECK(seenset_add(&s, "", 0) == 1 && seenset_add(&s, "", 0) == 0);
	char k[32];
	for (int i = 0; i < 5000; i++) { /* growth keeps every key */
		snprintf(k, sizeof(k), "key-%d", i);
		CHECK(seenset_add_str(&s, k) == 1);
	}
	int missing = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		missing += !seenset_has_str(&s, k);
	}
	CHECK(missing == 0);
	CHECK(!seenset_has_str(&s, "key-5000"));
	CHECK(s.n == 5004);
	seenset_free(&s);
	CHECK(s.n == 0 && !seenset_has_str(&s, "a"));
}

static void test_pageguard(void)
{
	struct page_guard g;
	unsetenv("UCFS_LIST_MAX_PAGES");
	unsetenv("UCFS_LIST_TIME_LIMIT");
	page_guard_init(&g);
	CHECK(g.max_pages == PAGE_GUARD_MAX_PAGES && g.limit_ms == PAGE_GUARD_TIME_LIMIT_MS);
	/* A, B, A: the third page repeats the first token, not the previous one. */
	CHECK(page_guard_next(&g, "A") == 0);
	CHECK(page_guard_next(&g, "B") == 0);
	CHECK(page_guard_next(&g, "A") == -EIO);
	CHECK(strstr(page_guard_why(&g), "page 3") && strstr(page_guard_why(&g), "already"));
	CHECK(!strstr(page_guard_why(&g), "A")); /* the token itself is not shown */
	page_guard_free(&g);

	page_guard_init(&g); /* A, A */
	CHECK(page_guard_next(&g, "tok") == 0 && page_guard_next(&g, "tok") == -EIO);
	page_guard_free(&g);

	setenv("UCFS_LIST_MAX_PAGES", "3", 1);
	page_guard_init(&g);
	CHECK(page_guard_next(&g, "1") == 0 && page_guard_next(&g, "2") == 0);
	CHECK(page_guard_next(&g, "3") == -EIO && strstr(page_guard_why(&g), "3 pages"));
	page_guard_free(&g);

	setenv("UCFS_LIST_MAX_PAGES", "nonsense", 1); /* ignored: the default */
	setenv("UCFS_LIST_TIME_LIMIT", "0.001", 1);
	page_guard_init(&g);
	CHECK(g.max_pages == PAGE_GUARD_MAX_PAGES && g.limit_ms == 1);
	struct timespec ts = {0, 5000000};
	nanosleep(&ts, NULL);
	CHECK(page_guard_next(&g, "x") == -EIO && strstr(page_guard_why(&g), "s ("));
	page_guard_free(&g);
	unsetenv("UCFS_LIST_MAX_PAGES");
	unsetenv("UCFS_LIST_TIME_LIMIT");

	/* Long tokens cost a digest each, not their length. */
	page_guard_init(&g);
	char *big = malloc(1 << 20);
	memset(big, 'x', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	CHECK(page_guard_next(&g, big) == 0);
	big[0] = 'y';
	CHECK(page_guard_next(&g, big) == 0);
	big[0] = 'x';
	CHECK(page_guard_next(&g, big) == -EIO);
	free(big);
	page_guard_free(&g);
}

static void test_name_checks(void)
{
	char long256[257], long255[256];
	memset(long256, 'a', 256);
	long256[256] = '\0';
	memset(long255, 'a', 255);
	long255[255] = '\0';
	const char *ok[] = {"orders", "sales 2024", "données", "表", "a.b", "x_y-z", long255, NULL};
	for (int i = 0; ok[i]; i++)
		CHECK(!name_entry_problem(ok[i]) && !name_storage_problem(ok[i]));
	struct { const char *name, *want; } bad[] = {
		{"", "empty"}, {".", "'.'"}, {"..", "'..'"}, {".hidden", "starts with '.'"},
		{"a/b", "'/'"}, {long256, "255"}, {"a\nb", "U+000A"}, {"a\tb", "U+0009"},
		{"a\x7f", "U+007F"}, {"a\xc2\x85", "U+0085"}, {"evil\xe2\x80\xaetxt", "U+202E"},
		{"x\xe2\x81\xa6", "U+2066"}, {"l\xe2\x80\xa8", "U+2028"}, {"\xd8\x9c", "U+061C"},
		{"a\xc0\x80" "b", "NUL"}, {"\xff", "UTF-8"}, {"\xc3", "UTF-8"},
		{"\xed\xa0\x80", "UTF-8"} /* a surrogate */, {"\xe0\x80\xaf", "UTF-8"} /* overlong */,
		{NULL, NULL},
	};
	for (int i = 0; bad[i].name; i++) {
		const char *p = name_entry_problem(bad[i].name);
		CHECK(p && strstr(p, bad[i].want));
		if (!p || !strstr(p, bad[i].want))
			fprintf(stderr, "  name #%d: %s\n", i, p ? p : "(accepted)");
	}
	/* storage names: only what a file system cannot show or open */
	CHECK(!name_storage_problem(".hidden"));
	CHECK(!name_storage_problem("a\nb"));
	CHECK(!name_storage_problem("\xff"));
	CHECK(strstr(name_storage_problem("a/b"), "'/'"));
	CHECK(strstr(name_storage_problem("a\xc0\x80"), "NUL"));
	CHECK(strstr(name_storage_problem(long256), "255"));
	CHECK(name_storage_problem(""));
	CHECK(name_storage_problem(".."));
}

static void check_escape(const char *in, const char *want)
{
	char *e = name_escape(in);
	CHECK_STR(e, want);
	free(e);
}

static void test_escape(void)
{
	check_escape("plain", "plain");
	check_escape("données", "données");
	check_escape("a\nb\tc", "a\\x0Ab\\x09c");
	check_escape("back\\slash", "back\\\\slash");
	check_escape("del\x7f", "del\\x7F");
	check_escape("c1\xc2\x85", "c1\\u0085");
	check_escape("evil\xe2\x80\xaetxt.exe", "evil\\u202Etxt.exe");
	check_escape("nul\xc0\x80x", "nul\\u0000x");
	check_escape("bad\xff", "bad\\xFF");
	check_escape("\x1b[31mred", "\\x1B[31mred");
	check_escape(NULL, "(null)");
}

static void test_nul_marking(void)
{
	char *out;
	size_t n;
	const char *plain = "{\"name\":\"a\"}";
	CHECK(name_json_mark_nul(plain, strlen(plain), &out, &n) == 0 && !out);
	const char *j = "{\"name\":\"ab\\u0000cd\",\"x\":\"\\\\u0000\"}";
	CHECK(name_json_mark_nul(j, strlen(j), &out, &n) == 0 && out);
	/* the NUL escape became C0 80; the escaped backslash + "u0000" stayed text */
	CHECK_STR(out, "{\"name\":\"ab\xc0\x80" "cd\",\"x\":\"\\\\u0000\"}");
	CHECK(n == strlen(out));
	free(out);
	char *m = name_mark_nul("a\0b\0", 4);
	CHECK_STR(m, "a\xc0\x80" "b\xc0\x80");
	free(m);
}

static void test_suggest(void)
{
	const char *cmds[] = {"catalogs", "browse", "mirror", "sync", "status", "lakehouse",
			      "shortcut", "storage", "mount", "umount"};
	size_t n = sizeof(cmds) / sizeof(cmds[0]);
	CHECK(suggest_distance("mout", "mount") == 1);
	CHECK(suggest_distance("stauts", "status") == 1); /* a swap costs 1 */
	CHECK(suggest_distance("", "abc") == 3);
	CHECK_STR(suggest_best("unmount", cmds, n), "umount");
	CHECK_STR(suggest_best("mout", cmds, n), "mount");
	CHECK_STR(suggest_best("stauts", cmds, n), "status");
	CHECK_STR(suggest_best("mirorr", cmds, n), "mirror");
	CHECK_STR(suggest_best("lake", cmds, n), "lakehouse"); /* a unique prefix */
	CHECK_STR(suggest_best("catalog", cmds, n), "catalogs");
	CHECK(suggest_best("s", cmds, n) == NULL);     /* too short to guess */
	CHECK(suggest_best("st", cmds, n) == NULL);    /* status or storage? */
	CHECK(suggest_best("frobnicate", cmds, n) == NULL);
	CHECK(suggest_best("ls", cmds, n) == NULL);
}

static void test_delta_log_version(void)
{
	bool cp = true;
	CHECK(delta_log_version("00000000000000000042.json", &cp) == 42 && !cp);
	CHECK(delta_log_version("00000000000000000007.checkpoint.parquet", &cp) == 7 && cp);
	CHECK(delta_log_version("00000000000000000007.checkpoint.0000000001.0000000002.parquet",
				&cp) == 7 && cp);
	CHECK(delta_log_version("00000000000000000003.crc", &cp) == -1);
	CHECK(delta_log_version("00000000000000000003.json.tmp", &cp) == -1);
	CHECK(delta_log_version("_last_checkpoint", &cp) == -1);
	CHECK(delta_log_version("0000000000000000042.json", &cp) == -1); /* 19 digits */
	CHECK(delta_log_version("", &cp) == -1);
	/* 20 digits past int64: refused, not overflowed */
	CHECK(delta_log_version("99999999999999999999.json", &cp) == -1);
	CHECK(delta_log_version("00000009007199254740.json", &cp) == 9007199254740LL);
}

int main(void)
{
	test_seenset();
	test_pageguard();
	test_name_checks();
	test_escape();
	test_nul_marking();
	test_suggest();
	test_delta_log_version();
	return check_done();
}
