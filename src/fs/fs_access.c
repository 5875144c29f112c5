/*
 * fs_access.c - owners and modes the mount shows (and, with the kernel's
 * default_permissions, enforces for other users under allow_other).
 *
 * The mount point is 0755 and the mounting user's, so anyone the mount lets
 * in can reach the items. Each item and lakehouse directory has its own
 * owner, group and mode (from the state; defaults: the mounting user, its
 * group, 0700). Everything below it belongs to the same owner and group, as
 * directories 0555 and files 0444 masked by that mode, so the group and
 * other bits follow the item's. An item's volumes, MOUNT/Volumes/<catalog>,
 * take the item's owner, group and mode the same way. ucfs's own .ucfs
 * directory at the top and MOUNT/Volumes itself are 0555/0444.
 */
#include "fs/fs_internal.h"

#include <sys/stat.h>

/* The item, lakehouse or volume catalog n lies in (n itself at that level),
 * else the top-level node above n, or NULL. */
static const struct node *top_of(const struct node *n)
{
	for (int depth = 0; n && n->parent && depth < 4096; depth++) {
		if (n->parent->kind == N_ROOT || n->kind == N_VCATALOG)
			return n;
		n = n->parent;
	}
	return NULL;
}

void fs_node_perm(const struct ucfs_fs *fs, const struct node *n, uid_t *uid, gid_t *gid,
		  mode_t *mode)
{
	bool dir = node_is_dir(n);
	*uid = fs->cfg.uid;
	*gid = fs->cfg.gid;
	if (n->kind == N_ROOT) {
		*mode = 0755;
		return;
	}
	const struct node *top = top_of(n);
	if (!top || (top->kind != N_ITEM && top->kind != N_LAKEHOUSE && top->kind != N_VCATALOG)) {
		*mode = dir ? 0555 : 0444;
		return;
	}
	*uid = top->uid;
	*gid = top->gid;
	if (n == top)
		*mode = top->perm & 0777;
	else
		*mode = (dir ? 0555 : 0444) & top->perm;
}
