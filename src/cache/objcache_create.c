/*
 * objcache_create.c - the files of new cache objects, and unnamed files made
 * ahead for them.
 *
 * Creating a named file costs an inode allocation, which on a busy ext4 can
 * take 0.15-0.25 ms; a new object needs two (data and index), on the path
 * to its first byte. A thread keeps OC_SPARES pairs of unnamed files
 * (O_TMPFILE in the cache directory) ready, and a new object takes a pair
 * and links it under its names (a directory entry each, ~0.015 ms). An
 * unnamed file that is never linked vanishes with the process, so a crash
 * leaves nothing behind. Where O_TMPFILE or linking through /proc does not
 * work, spares are off and objects are created by name.
 */
#include "cache/objcache_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int tmpfile_in(struct ocache *c)
{
	return openat(c->dirfd, ".", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
}

static void *refill(void *arg)
{
	struct ocache *c = arg;
	pthread_mutex_lock(&c->smu);
	while (!c->sstop) {
		if (c->nspare >= OC_SPARES || c->soff) {
			pthread_cond_wait(&c->scv, &c->smu);
			continue;
		}
		pthread_mutex_unlock(&c->smu);
		int d = tmpfile_in(c), i = d >= 0 ? tmpfile_in(c) : -1;
		pthread_mutex_lock(&c->smu);
		if (d < 0 || i < 0) { /* no O_TMPFILE here: create files by name */
			if (d >= 0)
				close(d);
			c->soff = true;
			continue;
		}
		c->spare[c->nspare][0] = d;
		c->spare[c->nspare][1] = i;
		c->nspare++;
	}
	pthread_mutex_unlock(&c->smu);
	return NULL;
}

void oc_spares_start(struct ocache *c)
{
	pthread_mutex_init(&c->smu, NULL);
	pthread_cond_init(&c->scv, NULL);
	c->sinit = true;
	c->sstarted = pthread_create(&c->sthread, NULL, refill, c) == 0;
	if (!c->sstarted)
		c->soff = true;
}

void oc_spares_stop(struct ocache *c)
{
	if (!c->sinit)
		return;
	pthread_mutex_lock(&c->smu);
	c->sstop = true;
	pthread_cond_signal(&c->scv);
	pthread_mutex_unlock(&c->smu);
	if (c->sstarted)
		pthread_join(c->sthread, NULL);
	for (int k = 0; k < c->nspare; k++) {
		close(c->spare[k][0]);
		close(c->spare[k][1]);
	}
	c->nspare = 0;
	pthread_cond_destroy(&c->scv);
	pthread_mutex_destroy(&c->smu);
	c->sinit = false;
}

static bool oc_spare_take(struct ocache *c, int *dat, int *idx)
{
	if (!c->sinit)
		return false;
	pthread_mutex_lock(&c->smu);
	bool got = c->nspare > 0 && !c->soff;
	if (got) {
		c->nspare--;
		*dat = c->spare[c->nspare][0];
		*idx = c->spare[c->nspare][1];
	}
	pthread_cond_signal(&c->scv);
	pthread_mutex_unlock(&c->smu);
	return got;
}

static int oc_spare_link(struct ocache *c, int fd, const char *name)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (linkat(AT_FDCWD, proc, c->dirfd, name, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST || attempt)
			break;
		unlinkat(c->dirfd, name, 0); /* a leftover of this object: replaced, as O_TRUNC did */
	}
	int r = -errno;
	if (r != -ENOSPC && r != -EDQUOT) { /* linking through /proc does not work here */
		pthread_mutex_lock(&c->smu);
		c->soff = true;
		pthread_mutex_unlock(&c->smu);
	}
	return r;
}

/* Size the data file of a new object (sparse) and write its index: the
 * header, no valid block. No temporary file and rename: a torn header fails
 * hdr_decode and the object is simply created again. */
static int init_files(int d, int i, const uint8_t *id, uint64_t size, uint32_t bs, uint64_t nb,
		      uint64_t group)
{
	uint8_t h[HDR_SIZE];
	oc_hdr_encode(h, bs, size, nb, id, group);
	if (ftruncate(d, (off_t)size) < 0)
		return -errno;
	int r = oc_pwrite_full(i, h, HDR_SIZE, 0);
	if (!r && ftruncate(i, (off_t)(HDR_SIZE + nb * ENT_SIZE)) < 0)
		r = -errno;
	return r;
}

/* Create the files of a new object, left open in *fd and *ifd: a spare pair
 * of unnamed files linked under its names (data file first, then the index
 * with its header: the crash-safe order), else files created by name. */
int oc_create_files(struct ocache *c, const uint8_t *id, uint64_t size, uint32_t bs,
			uint64_t nb, uint64_t group, int *fd, int *ifd)
{
	char dname[NAME_BUF], iname[NAME_BUF];
	oc_obj_name(dname, id, "dat");
	oc_obj_name(iname, id, "idx");
	*fd = *ifd = -1;
	int d, i, r;
	if (oc_spare_take(c, &d, &i)) {
		r = init_files(d, i, id, size, bs, nb, group);
		if (!r)
			r = oc_spare_link(c, d, dname);
		if (!r && (r = oc_spare_link(c, i, iname)))
			unlinkat(c->dirfd, dname, 0);
		if (!r) {
			atomic_fetch_add(&c->sused, 1);
			*fd = d;
			*ifd = i;
			return 0;
		}
		close(d);
		close(i);
	}
	if ((d = openat(c->dirfd, dname, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if ((i = openat(c->dirfd, iname, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		r = -errno;
		close(d);
		return r;
	}
	if ((r = init_files(d, i, id, size, bs, nb, group))) {
		close(i);
		close(d);
		unlinkat(c->dirfd, iname, 0);
		return r;
	}
	*fd = d;
	*ifd = i;
	return 0;
}
