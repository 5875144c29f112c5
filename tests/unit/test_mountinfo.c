/* test_mountinfo.c - finding mounts of a type in mountinfo text
 * (util/mountinfo.h): octal escapes, optional fields, the mount on top. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/mountinfo.h"

int main(void)
{
	const char *text =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"40 22 0:35 / /mnt/u\\040c rw,nosuid master:3 - fuse.ucfs ucfs ro,user_id=0\n"
		"41 22 0:36 / /mnt/plain rw - fuse.ucfs ucfs ro\n"
		"42 22 0:37 / /mnt/over rw - fuse.ucfs ucfs ro\n"
		"43 42 0:38 / /mnt/over rw - tmpfs tmpfs rw\n" /* mounted on top */
		"44 22 0:39 / /mnt/back\\134slash rw - fuse.ucfs ucfs ro\n"
		"45 22 0:40 / /mnt/other rw - fuse.sshfs host: rw\n"
		"garbage line\n"
		"46 22 0:41 / /mnt/short rw -\n";
	char **v = NULL;
	size_t n = 0;
	CHECK(mountinfo_parse(text, "fuse.ucfs", &v, &n) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(v[0], "/mnt/u c");
		CHECK_STR(v[1], "/mnt/plain");
		CHECK_STR(v[2], "/mnt/back\\slash");
	}
	mountinfo_free(v, n);
	CHECK(mountinfo_parse("", "fuse.ucfs", &v, &n) == 0 && n == 0);
	mountinfo_free(v, n);
	/* "fuse.ucfsx" is another type, not a prefix match */
	CHECK(mountinfo_parse("1 2 0:1 / /m rw - fuse.ucfsx s ro", "fuse.ucfs", &v, &n) == 0 &&
	      n == 0);
	mountinfo_free(v, n);
	CHECK(mountinfo_read("no-such-type", &v, &n) == 0 && n == 0);
	mountinfo_free(v, n);
	return check_done();
}
