/* test_beneath.c - opening beneath a directory: with openat2 and with the
 * portable walk, nothing outside is reached (.., absolute and escaping
 * symlinks, magic links), symlinks that stay inside work. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "storage/beneath.h"
#include "util/strutil.h"

typedef int (*opener)(int dirfd, const char *rel, int flags, unsigned how);

static void put(const char *dir, const char *rel, const char *content)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	free(p);
}

static void link_at(const char *dir, const char *target, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	CHECK(symlink(target, p) == 0);
	free(p);
}

/* Content of what REL opens to beneath the table, or NULL with *err. */
static char *read_beneath(opener op, int dfd, const char *rel, int *err)
{
	int fd = op(dfd, rel, O_RDONLY, 0);
	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return xstrdup(buf);
}

static void check_opener(opener op, const char *table)
{
	int dfd = open(table, O_PATH | O_DIRECTORY);
	CHECK(dfd >= 0);
	int err;
	char *c;
	c = read_beneath(op, dfd, "a.txt", &err);
	CHECK_STR(c, "inside");
	free(c);
	c = read_beneath(op, dfd, "sub/b.txt", &err);
	CHECK_STR(c, "deeper");
	free(c);
	c = read_beneath(op, dfd, "sub/../a.txt", &err); /* stays inside */
	CHECK_STR(c, "inside");
	free(c);
	c = read_beneath(op, dfd, "in_link", &err); /* relative link inside */
	CHECK_STR(c, "inside");
	free(c);
	c = read_beneath(op, dfd, "sub/up_link", &err); /* ../a.txt */
	CHECK_STR(c, "inside");
	free(c);
	c = read_beneath(op, dfd, "dir_link/b.txt", &err);
	CHECK_STR(c, "deeper");
	free(c);
	/* Everything that leaves the table fails, whatever the path. */
	const char *escapes[] = {"../secret", "out_abs", "out_rel", "sub/out_rel2",
				 "dir_out/secret", "proc_self/status", "/etc/passwd",
				 "sub/../../secret", "loop"};
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		c = read_beneath(op, dfd, escapes[i], &err);
		CHECK(c == NULL);
		CHECK(err == -EXDEV || err == -ELOOP);
		if (c || (err != -EXDEV && err != -ELOOP))
			fprintf(stderr, "  escape %s: %s (%d)\n", escapes[i], c ? c : "-", err);
		free(c);
	}
	/* The directory itself, and no symlink at all when asked. */
	int fd = op(dfd, "", O_RDONLY | O_DIRECTORY, 0);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = op(dfd, "in_link", O_RDONLY, BENEATH_NO_SYMLINKS);
	CHECK(fd == -ELOOP);
	fd = op(dfd, "sub/b.txt", O_RDONLY, BENEATH_NO_SYMLINKS);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(op(dfd, "missing", O_RDONLY, 0) == -ENOENT);
	close(dfd);
}

int main(void)
{
	char dir[] = "/tmp/ucfs-test-beneath-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *table = xasprintf("%s/table", dir), *sub = xasprintf("%s/table/sub", dir);
	CHECK(mkdir(table, 0755) == 0 && mkdir(sub, 0755) == 0);
	put(dir, "secret", "outside");
	put(table, "a.txt", "inside");
	put(sub, "b.txt", "deeper");
	link_at(table, "a.txt", "in_link");
	link_at(sub, "../a.txt", "up_link");
	link_at(table, "sub", "dir_link");
	char *abs = xasprintf("%s/secret", dir);
	link_at(table, abs, "out_abs");
	link_at(table, "../secret", "out_rel");
	link_at(sub, "../../secret", "out_rel2");
	link_at(table, "..", "dir_out");
	link_at(table, "/proc/self", "proc_self");
	link_at(table, "loop", "loop");

	check_opener(open_beneath, table);
	check_opener(open_beneath_walk, table);

	char *cmd = xasprintf("rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	free(abs);
	free(table);
	free(sub);
	return check_done();
}
