/* test_nodes.c - the mount's node tree: sorted children, merges of fresh
 * listings (new, changed, vanished entries), removed nodes stay addressable. */
#include <stdlib.h>

#include "check.h"
#include "fs/nodes.h"
#include "util/strutil.h"

static struct storage_entry ent(const char *name, bool dir, uint64_t size)
{
	struct storage_entry e = {0};
	e.name = xstrdup(name);
	e.is_dir = dir;
	e.size = size;
	e.mtime.tv_sec = (time_t)size;
	return e;
}

static void listing(struct storage_list *l, struct storage_entry *v, size_t n)
{
	l->items = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		l->items[i] = v[i];
	l->n = n;
}

int main(void)
{
	struct tree t;
	struct timespec now = {1000, 0};
	CHECK(tree_init(&t, now) == 0);
	struct node *root = tree_root(&t);
	CHECK(root->ino == 1 && tree_get(&t, 1) == root);
	CHECK(tree_get(&t, 0) == NULL && tree_get(&t, 2) == NULL);

	struct node *item = node_add(&t, root, "item", N_ITEM);
	struct node *schema = node_add(&t, item, "s", N_SCHEMA);
	struct node *tb = node_add(&t, schema, "t", N_TABLE);
	tb->rel = xstrdup("");
	CHECK(node_ensure(&t, item, "s", N_SCHEMA) == schema);
	CHECK(node_child(root, "item") == item && node_child(root, "nope") == NULL);

	/* First listing: children sorted, rel paths built, _delta_log flagged. */
	struct storage_list l;
	struct storage_entry e1[] = {ent("zeta.parquet", false, 10), ent("_delta_log", true, 0),
				     ent("p=a%20b", true, 0), ent("alpha.parquet", false, 5)};
	listing(&l, e1, 4);
	CHECK(node_merge_listing(&t, tb, &l, now) == 0);
	storage_list_free(&l);
	CHECK(tb->listed && tb->nkids == 4);
	CHECK_STR(tb->kids[0]->name, "_delta_log");
	CHECK_STR(tb->kids[1]->name, "alpha.parquet");
	CHECK_STR(tb->kids[3]->name, "zeta.parquet");
	struct node *log = node_child(tb, "_delta_log");
	CHECK(log->in_log && log->kind == N_DIR);
	CHECK(!node_child(tb, "alpha.parquet")->in_log);
	CHECK(node_child(tb, "zeta.parquet")->size == 10);
	struct node *part = node_child(tb, "p=a%20b");
	CHECK_STR(part->rel, "p=a%20b");
	struct node *f = node_add(&t, part, "f.parquet", N_FILE);
	CHECK_STR(f->rel, "p=a%20b/f.parquet");
	CHECK(f->table == tb->table);

	struct node *commit = node_add(&t, log, "00000000000000000000.json", N_FILE);
	CHECK(commit->in_log);
	CHECK_STR(commit->rel, "_delta_log/00000000000000000000.json");

	/* Second listing: alpha vanished, zeta changed size, beta is new, the
	 * partition directory became a file (replaced by a new node). */
	uint64_t zeta_ino = node_child(tb, "zeta.parquet")->ino;
	struct node *alpha = node_child(tb, "alpha.parquet");
	struct storage_entry e2[] = {ent("zeta.parquet", false, 20), ent("_delta_log", true, 0),
				     ent("beta.parquet", false, 7), ent("p=a%20b", false, 3)};
	listing(&l, e2, 4);
	CHECK(node_merge_listing(&t, tb, &l, now) == 0);
	storage_list_free(&l);
	CHECK(tb->nkids == 4);
	CHECK(node_child(tb, "alpha.parquet") == NULL);
	CHECK(alpha->removed && tree_get(&t, alpha->ino) == alpha);
	CHECK(node_child(tb, "zeta.parquet")->ino == zeta_ino);
	CHECK(node_child(tb, "zeta.parquet")->size == 20);
	CHECK(node_child(tb, "beta.parquet") != NULL);
	CHECK(part->removed && f->removed);
	CHECK(node_child(tb, "p=a%20b") != part && node_child(tb, "p=a%20b")->kind == N_FILE);
	CHECK(node_child(tb, "_delta_log") == log && !log->removed);

	/* An empty directory (an empty listing has no items array at all). */
	struct node *empty = node_add(&t, tb, "_empty", N_DIR);
	struct storage_list none = {0};
	CHECK(node_merge_listing(&t, empty, &none, now) == 0);
	CHECK(empty->listed && empty->nkids == 0);
	node_add(&t, empty, "gone", N_FILE);
	CHECK(node_merge_listing(&t, empty, &none, now) == 0);
	CHECK(empty->nkids == 0);

	/* Many children stay sorted and findable. */
	char name[32];
	for (int i = 999; i >= 0; i--) {
		snprintf(name, sizeof(name), "%020d.json", i);
		if (!node_child(log, name))
			CHECK(node_add(&t, log, name, N_FILE) != NULL);
	}
	CHECK(log->nkids == 1000);
	bool sorted = true;
	for (size_t i = 1; i < log->nkids; i++)
		sorted &= strcmp(log->kids[i - 1]->name, log->kids[i]->name) < 0;
	CHECK(sorted);
	CHECK(node_child(log, "00000000000000000500.json") != NULL);
	tree_destroy(&t);
	return check_done();
}
