/*
 * snaphelper.h - run the snapshot helper (scripts/ucfs-snapshot, a Python
 * script using deltalake) for `ucfs prefetch`: which files one snapshot of a
 * Delta table needs, and their sizes.
 *
 * Contract: the helper is $UCFS_SNAPSHOT_HELPER, else ucfs-snapshot beside
 * the running ucfs binary (the build directory), else
 * <dir of ucfs>/../libexec/ucfs/ucfs-snapshot (installed). It runs under
 * $UCFS_PYTHON, else <dir of ucfs>/../.venv/bin/python when that exists (a
 * checkout's venv), else python3 from PATH; its stderr is the user's, its
 * stdout (at most 512 MiB) one JSON object {"version", "files": [{"path",
 * "size", "kind"}], "bytes"}. Every path is checked to be relative and to
 * stay inside the table directory ('..', '.', empty components and NULs
 * refused); at most 1,000,000 files. Returns 0 or a negative errno with the
 * failure printed ("ucfs: error: ..."), and frees what it took.
 */
#ifndef UCFS_SNAPHELPER_H
#define UCFS_SNAPHELPER_H

#include <stddef.h>
#include <stdint.h>

#define SNAP_MAX_FILES 1000000

struct snap_file {
	char *path;    /* relative to the table directory */
	uint64_t size; /* as the helper saw it under the mount */
};

struct snap {
	int64_t version;
	struct snap_file *files;
	size_t n;
	uint64_t bytes; /* sum of the sizes */
};

/* The snapshot of the table at TABLE_DIR: VERSION or TIMESTAMP (the text of
 * --version or --timestamp, at most one of them; both NULL: the latest). */
int snaphelper_run(const char *table_dir, const char *version, const char *timestamp,
		   struct snap *out);
void snap_free(struct snap *s);

#endif
