/*
 * cmd_mount.c - `ucfs mount` and `ucfs umount`.
 *
 * mount refreshes every mirrored item from Unity Catalog *before* it
 * daemonizes, so an unreachable server, a bad token or a bad mount point is
 * reported on the terminal with a non-zero exit and no mount is left behind.
 * Options follow the fuse_opt style (-o a,b=c); words that only matter to
 * fstab/mount(8) are accepted and ignored, so the binary works as a mount
 * helper (type fuse.ucfs, or mount.ucfs).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/catalog_sync.h"
#include "core/view.h"
#include "cache/objcache.h"
#include "cache/reader.h"
#include "cache/snapstore.h"
#include "daemon/control.h"
#include "daemon/creds.h"
#include "daemon/syncer.h"
#include "net/http.h"
#include "storage/storage.h"
#include "fs/fs.h"
#include "util/home.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/suggest.h"

static const char mount_help[] =
	"usage: ucfs mount MOUNTPOINT [-f] [-d] [-o OPT[,OPT...]] [--state PATH]\n"
	"\n"
	"Mount every mirrored item of the state database, read-only, as\n"
	"MOUNTPOINT/<item>/<schema>/<table>/. Each item is synced from Unity Catalog\n"
	"first; errors are reported before the daemon detaches.\n"
	"\n"
	"  -f, --foreground   stay in the foreground (log to stderr)\n"
	"  -d, --debug        foreground with FUSE request tracing\n"
	"  -o OPTIONS         comma-separated mount options:\n"
	"      state=PATH        state database (same as --state)\n"
	"      offline           do not contact Unity Catalog; serve the last synced state,\n"
	"                        cloud files only from the disk cache (ucfs prefetch)\n"
	"      volumes_root      show only the items' volumes, as MOUNTPOINT/<catalog>/<schema>/\n"
	"                        <volume>/: mount it at /Volumes for Databricks code\n"
	"      log_ttl=SECS      staleness bound of _delta_log listings (default 2)\n"
	"      dir_ttl=SECS      staleness bound of other table listings (default 60)\n"
	"      attr_timeout=SECS kernel cache of table file attributes (default 3600)\n"
	"      meta_timeout=SECS kernel cache of item/schema/table entries (default 60)\n"
	"      sync_interval=SECS auto-sync period of items with auto-sync on (default 900)\n"
	"      s3_endpoint=URL, s3_region=R, azure_endpoint=URL, gcs_endpoint=URL\n"
	"                        cloud endpoints (default: AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL,\n"
	"                        AWS_REGION, the account's blob host, STORAGE_EMULATOR_HOST)\n"
	"      ca_file=PATH      CA bundle for HTTPS (default CURL_CA_BUNDLE or the system's)\n"
	"      cache_dir=DIR     disk cache of cloud files (default\n"
	"                        $XDG_CACHE_HOME/ucfs/<mount point>; one mount per dir)\n"
	"      cache_size=SIZE   its cap, least recently used data evicted (default 10G)\n"
	"      max_inflight=SIZE bytes of storage fetches running at once (default 64M)\n"
	"      fetch_threads=N   background fetches of data read ahead (default 8)\n"
	"      threads=N         FUSE worker threads (default 16)\n"
	"      max_read=SIZE     largest read request (default: what a spliced reply\n"
	"                        fits in, 960K with the usual 1M pipe-max-size)\n"
	"      readahead=SIZE    the kernel's readahead on the mount (default max_read)\n"
	"      state_poll=SECS   how often to pick up changes made by other ucfs commands\n"
	"                        (ucfs sync, mirror edit, shortcuts; default 1)\n"
	"      allow_other       let other users read the mount (needs user_allow_other)\n"
	"      no_auto_unmount   do not unmount automatically when the daemon dies\n"
	"      allow_root, fsname=, subtype=, context=, fscontext=, defcontext=,\n"
	"      rootcontext=, max_background=, congestion_threshold= are passed to libfuse;\n"
	"      fstab and mount(8) words (defaults, auto, noauto, user, users, nofail,\n"
	"      _netdev, ro, rw, suid, nosuid, dev, nodev, exec, noexec, atime words,\n"
	"      default_permissions, comment=, x-...) are accepted and ignored. Any other\n"
	"      option is an error.\n"
	"\n"
	"fstab:  /root/.local/share/ucfs/state.db  /mnt/uc  ucfs  _netdev,nofail  0 0\n"
	"        (mount.ucfs in /sbin: see ucfs(1), MOUNTING AT BOOT)\n";

struct mount_opts {
	const char *state;
	bool offline, foreground, debug, auto_unmount;
	double sync_interval, poll_interval;
	const char *s3_endpoint, *s3_region, *azure_endpoint, *gcs_endpoint, *ca_file;
	const char *cache_dir;
	uint64_t cache_size, max_inflight;
	double fetch_threads, threads;
	struct fs_config fs;
	struct strbuf fuse_opts; /* passed to libfuse */
};

/* Words for fstab and mount(8) (and options ucfs always sets): accepted and
 * ignored. Prefixes end in '-' or '='. */
static const char *const ignored_words[] = {
	"defaults", "auto", "noauto", "user", "users", "nouser", "owner", "group", "nofail",
	"_netdev", "rw", "ro", "dev", "nodev", "suid", "nosuid", "exec", "noexec", "async",
	"sync", "dirsync", "atime", "noatime", "diratime", "nodiratime", "relatime",
	"norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime", "auto_unmount",
	"default_permissions", "x-", "comment=", "user=", "uhelper=", "helper=", NULL,
};
/* libfuse's mount options that mean something for ucfs: passed on. */
static const char *const fuse_words[] = {
	"allow_other", "allow_root", "fsname=", "subtype=", "context=", "fscontext=",
	"defcontext=", "rootcontext=", "max_background=", "congestion_threshold=", NULL,
};
/* ucfs's own (see parse_o); "=" ones take a value. */
static const char *const ucfs_words[] = {
	"state=", "offline", "volumes_root", "debug", "no_auto_unmount", "log_ttl=", "dir_ttl=",
	"attr_timeout=", "meta_timeout=", "s3_endpoint=", "s3_region=", "azure_endpoint=",
	"gcs_endpoint=", "ca_file=", "cache_dir=", "cache_size=", "max_read=", "readahead=",
	"max_inflight=", "fetch_threads=", "threads=", "sync_interval=", "state_poll=", NULL,
};

/* Does option K (the whole "key=value") match an entry of WORDS? */
static bool word_in(const char *k, const char *const *words)
{
	for (int i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);
		char last = words[i][n - 1];
		if ((last == '=' || last == '-') ? !strncmp(k, words[i], n) : !strcmp(k, words[i]))
			return true;
	}
	return false;
}

/* An option no list knows: a usage error, with the nearest known name. */
static int unknown_option(const char *key)
{
	const char *names[128];
	char buf[128][32];
	size_t n = 0;
	const char *const *lists[] = {ucfs_words, fuse_words, ignored_words};
	for (size_t l = 0; l < 3; l++)
		for (int i = 0; lists[l][i] && n < 128; i++) {
			snprintf(buf[n], sizeof(buf[n]), "%.*s", (int)strcspn(lists[l][i], "="),
				 lists[l][i]);
			names[n] = buf[n];
			n++;
		}
	const char *best = suggest_best(key, names, n);
	if (best)
		return cli_usage_error("mount", "unknown mount option '%s': did you mean '%s'?",
				       key, best);
	return cli_usage_error("mount", "unknown mount option '%s' (the options are listed by "
			       "'ucfs mount --help' and ucfs(1))", key);
}

static int parse_secs(const char *key, const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);
	/* written so that NaN ("nan", accepted by strtod) fails too: it would reach
	 * time arithmetic and integer conversions */
	if (!*v || *end || !(d >= 0 && d <= 86400 * 365))
		return cli_usage_error("mount", "option %s=%s: expected a number of seconds", key, v);
	*out = d;
	return 0;
}

static int parse_size(const char *key, const char *v, uint64_t *out);

static int parse_count(const char *key, const char *v, int max, double *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > max)
		return cli_usage_error("mount", "option %s=%s: expected a whole number from 1 to %d",
				       key, v, max);
	*out = (double)n;
	return 0;
}

/* A request size: bytes or 128K, 4 KiB .. max, whole pages. */
static int parse_kib(const char *key, const char *v, uint64_t max, unsigned *out)
{
	uint64_t n = 0;
	int r = parse_size(key, v, &n);
	if (r)
		return r;
	if (n < 4096 || n > max || n % 4096)
		return cli_usage_error("mount", "option %s=%s: expected 4K to %lluK, in whole 4K "
				       "pages", key, v, (unsigned long long)(max >> 10));
	*out = (unsigned)n;
	return 0;
}

/* "10G", "512M", "1048576" -> bytes. */
static int parse_size(const char *key, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	uint64_t mul = 1;
	switch (*end) {
	case 'K': case 'k': mul = 1ULL << 10; end++; break;
	case 'M': case 'm': mul = 1ULL << 20; end++; break;
	case 'G': case 'g': mul = 1ULL << 30; end++; break;
	case 'T': case 't': mul = 1ULL << 40; end++; break;
	}
	if (end == v || *end || n == 0 || n > UINT64_MAX / mul)
		return cli_usage_error("mount", "option %s=%s: expected a size like 512M or 10G", key, v);
	*out = n * mul;
	return 0;
}

/* Parse one -o argument (comma-separated). Returns 0 or an exit status. */
static int parse_o(char *arg, struct mount_opts *o)
{
	char *save = NULL;
	for (char *k = strtok_r(arg, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		char *v = strchr(k, '=');
		char key[64], keq[66];
		snprintf(key, sizeof(key), "%.*s", v ? (int)(v - k) : (int)strlen(k), k);
		const char *val = v ? v + 1 : NULL;
		int r = 0;
		if (!strcmp(key, "state") && val)
			o->state = val;
		else if (!strcmp(key, "offline"))
			o->offline = true;
		else if (!strcmp(key, "volumes_root"))
			o->fs.volumes_root = true;
		else if (!strcmp(key, "debug"))
			o->debug = o->foreground = true;
		else if (!strcmp(key, "no_auto_unmount"))
			o->auto_unmount = false;
		else if (!strcmp(key, "log_ttl") && val)
			r = parse_secs(key, val, &o->fs.log_ttl);
		else if (!strcmp(key, "dir_ttl") && val)
			r = parse_secs(key, val, &o->fs.dir_ttl);
		else if (!strcmp(key, "attr_timeout") && val)
			r = parse_secs(key, val, &o->fs.attr_timeout);
		else if (!strcmp(key, "meta_timeout") && val)
			r = parse_secs(key, val, &o->fs.meta_timeout);
		else if (!strcmp(key, "s3_endpoint") && val)
			o->s3_endpoint = val;
		else if (!strcmp(key, "s3_region") && val)
			o->s3_region = val;
		else if (!strcmp(key, "azure_endpoint") && val)
			o->azure_endpoint = val;
		else if (!strcmp(key, "gcs_endpoint") && val)
			o->gcs_endpoint = val;
		else if (!strcmp(key, "ca_file") && val)
			o->ca_file = val;
		else if (!strcmp(key, "cache_dir") && val)
			o->cache_dir = val;
		else if (!strcmp(key, "cache_size") && val)
			r = parse_size(key, val, &o->cache_size);
		else if (!strcmp(key, "max_read") && val)
			r = parse_kib(key, val, 1u << 20, &o->fs.max_read);
		else if (!strcmp(key, "readahead") && val)
			r = parse_kib(key, val, 64u << 20, &o->fs.readahead);
		else if (!strcmp(key, "max_inflight") && val)
			r = parse_size(key, val, &o->max_inflight);
		else if (!strcmp(key, "fetch_threads") && val)
			r = parse_count(key, val, 64, &o->fetch_threads);
		else if (!strcmp(key, "threads") && val)
			r = parse_count(key, val, 256, &o->threads);
		else if (!strcmp(key, "sync_interval") && val)
			r = parse_secs(key, val, &o->sync_interval);
		else if (!strcmp(key, "state_poll") && val)
			r = parse_secs(key, val, &o->poll_interval);
		else if (word_in(k, ignored_words))
			continue;
		else if (!val && (snprintf(keq, sizeof(keq), "%s=", key), word_in(keq, ucfs_words) ||
					 word_in(keq, fuse_words)))
			return cli_usage_error("mount", "option %s needs a value (%s=...)", key, key);
		else if (!word_in(k, fuse_words))
			return unknown_option(key);
		else if ((o->fuse_opts.len && sb_puts(&o->fuse_opts, ",")) || sb_puts(&o->fuse_opts, k))
			return cli_fail("out of memory");
		if (r)
			return r;
	}
	return 0;
}

/* Is path a mount point already? Reads /proc/self/mountinfo; gives the
 * top mount's file system type and device ("major:minor"). */
static bool mount_info(const char *path, char *fstype, size_t fslen, char *dev, size_t devlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX], type[256], mm[32];
		/* id parent maj:min root mountpoint opts... - fstype source superopts */
		if (sscanf(line, "%*s %*s %31s %*s %4095s", mm, mp) != 2)
			continue;
		/* mountinfo escapes space, tab, newline, backslash as \ooo */
		char *dec = mp, *w = mp;
		while (*dec) {
			if (dec[0] == '\\' && dec[1] && dec[2] && dec[3]) {
				*w++ = (char)((dec[1] - '0') * 64 + (dec[2] - '0') * 8 + (dec[3] - '0'));
				dec += 4;
			} else {
				*w++ = *dec++;
			}
		}
		*w = '\0';
		if (strcmp(mp, path) != 0)
			continue;
		const char *dash = strstr(line, " - ");
		if (fstype && dash && sscanf(dash + 3, "%255s", type) == 1)
			snprintf(fstype, fslen, "%s", type);
		if (dev)
			snprintf(dev, devlen, "%s", mm);
		found = true; /* keep going: the last entry is the one on top */
	}
	fclose(f);
	return found;
}

static bool is_mounted(const char *path, char *fstype, size_t fslen)
{
	return mount_info(path, fstype, fslen, NULL, 0);
}

static bool mount_device(const char *path, char *dev, size_t devlen)
{
	return mount_info(path, NULL, 0, dev, devlen);
}

static int check_mountpoint(const char *arg, char *real)
{
	struct stat sb;
	if (stat(arg, &sb) < 0) {
		if (errno == ENOTCONN)
			return cli_fail("mount point %s is a dead FUSE mount (transport endpoint is not "
					"connected): run 'ucfs umount %s' first", arg, arg);
		return cli_fail("mount point %s: %s", arg, strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode))
		return cli_fail("mount point %s is not a directory", arg);
	if (!realpath(arg, real))
		return cli_fail("mount point %s: %s", arg, strerror(errno));
	char type[256] = "";
	if (is_mounted(real, type, sizeof(type)))
		return cli_fail("mount point %s is already in use (a %s file system is mounted "
				"there): unmount it first (ucfs umount %s)", real, type, real);
	return 0;
}

/* Sync every item (unless offline) and build the tree. */
static int load_items(struct state *st, const struct mount_opts *o, struct ucfs_fs *fs)
{
	struct item *items;
	size_t n;
	if (state_items_list(st, &items, &n))
		return cli_fail("cannot read mirrored items from %s", state_path(st));
	if (n == 0) {
		items_free(items, n);
		return cli_fail("no mirrored items in %s: create one first "
				"(ucfs mirror create --catalog CATALOG)", state_path(st));
	}
	int r = 0;
	for (size_t i = 0; i < n && !r && !o->offline; i++) {
		struct item *it = &items[i];
		struct ucfs_conn conn;
		struct uc_client *uc;
		if (cli_connect(it->host, it->profile, &conn, &uc)) {
			r = 1;
			break;
		}
		char *err = NULL;
		struct sync_result res;
		int e = catalog_sync_item(st, uc, it, NULL, &res, &err);
		if (e == -EBUSY)
			log_info("%s: mounting its last synced state", err); /* another sync runs */
		else if (e)
			r = cli_fail("%s (use -o offline to mount the last synced state)",
				     err ? err : "sync failed");
		free(err);
		uc_client_free(uc);
		conn_free(&conn);
	}
	items_free(items, n);
	if (r)
		return r;
	struct mount_view v;
	if (view_load(st, &v))
		return cli_fail("cannot read the mirrored items from %s", state_path(st));
	if (fs_apply(fs, &v) < 0)
		r = cli_fail("out of memory");
	view_free(&v);
	return r;
}

/* The kernel caps a FUSE mount's readahead at its bdi default (128 KiB):
 * raise it to `readahead` bytes so that sequential reads arrive in requests
 * of max_read. Best effort (needs root; harmless when it fails). */
static void raise_readahead(const char *mountpoint, unsigned readahead)
{
	/* Not stat(): the mount answers only once the session loop runs. */
	char dev[32];
	if (!mount_device(mountpoint, dev, sizeof(dev)))
		return;
	char path[96];
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "%u\n", readahead / 1024);
		fclose(f);
	}
}

/* Mount, detach (unless foreground), run the syncer and the FUSE loop. */
/* $XDG_CACHE_HOME/ucfs/<mount point with '/' as '_'>: one cache per mount
 * point, so two mounts never contend for one cache directory. */
static char *default_cache_dir(const char *mountpoint)
{
	const char *x = getenv("XDG_CACHE_HOME");
	char *mp = xstrdup(mountpoint[1] ? mountpoint + 1 : "root"), *home = home_dir();
	if (!mp || !home) {
		free(mp);
		free(home);
		return NULL;
	}
	for (char *p = mp; *p; p++)
		if (*p == '/')
			*p = '_';
	char *d = !str_empty(x) ? xasprintf("%s/ucfs/%s", x, mp)
				: xasprintf("%s/.cache/ucfs/%s", home, mp);
	free(mp);
	free(home);
	return d;
}

static int state_view(const char *path, struct mount_view *v)
{
	struct state *st;
	char *err = NULL;
	int r = state_open(path, false, &st, &err);
	free(err);
	if (r)
		return r;
	r = view_load(st, v);
	state_close(st);
	return r;
}

/* The largest read reply libfuse can splice: it needs a pipe holding the
 * reply and its header, and unprivileged pipes grow to pipe-max-size. */
static unsigned splice_max_read(void)
{
	unsigned long pmax = 1u << 20;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	if (f) {
		if (fscanf(f, "%lu", &pmax) != 1)
			pmax = 1u << 20;
		fclose(f);
	}
	unsigned long r = pmax > (64u << 10) ? pmax - (64u << 10) : 64u << 10;
	if (r > (1u << 20))
		r = 1u << 20;
	return (unsigned)(r & ~4095UL);
}

/* What serve() made that must outlive the fs (freed after it). */
struct served {
	struct http_client *http;
	struct creds_registry *creds;
	struct reader_pool *pool;
	struct ocache *cache;
	struct snapstore *snaps;
};

/* -o offline: no credentials are vended, so nothing is fetched. */
static int offline_creds(void *ctx, const char *item, bool volume, const char *id,
			 const char *full_name, struct storage_creds *out, char **err)
{
	(void)ctx, (void)item, (void)volume, (void)id, (void)out;
	if (err)
		*err = xasprintf("%s %s: the mount is offline (-o offline): nothing is fetched "
				 "from storage", volume ? "volume" : "table", full_name);
	return -ENETDOWN;
}

static void offline_invalidate(void *ctx, const char *item, bool volume, const char *id)
{
	(void)ctx, (void)item, (void)volume, (void)id;
}

/* The disk cache with its snapshot manifests (whose pinned files are
 * pinned before anything is evicted). */
static void open_cache(const struct mount_opts *o, const char *real, struct served *k)
{
	char *cdir = o->cache_dir ? xstrdup(o->cache_dir) : default_cache_dir(real), *cerr = NULL;
	uint8_t(*pins)[32] = NULL;
	size_t npins = 0;
	/* An existing cache directory: its manifests first (none in a new one). */
	if (cdir && snapstore_open(cdir, &k->snaps) == 0)
		snapstore_pinned_ids(k->snaps, &pins, &npins);
	struct ocache_opts co = {.dir = cdir, .max_bytes = o->cache_size,
				 .pins = (const uint8_t(*)[32])pins, .npins = npins};
	struct reader_opts ro = {.threads = (int)o->fetch_threads, .max_inflight = o->max_inflight};
	if (!cdir || ocache_open(&co, &k->cache, &cerr))
		log_error("disk cache %s unusable (%s): cloud files are read without it",
			  cdir ? cdir : "?", cerr ? cerr : "out of memory");
	else if (!(k->pool = reader_pool_new(k->cache, &ro)))
		log_error("out of memory: cloud files are read without the disk cache");
	if (k->cache && !k->snaps && snapstore_open(cdir, &k->snaps))
		log_error("disk cache %s: cannot keep snapshot manifests in it: ucfs prefetch "
			  "will not work", cdir);
	if (!k->cache) {
		snapstore_free(k->snaps);
		k->snaps = NULL;
	}
	free(pins);
	free(cerr);
	free(cdir);
}

static int serve(struct ucfs_fs *fs, const char *real, const struct mount_opts *o,
		 const char *state_path, struct served *k)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char *fo = xasprintf("ro,fsname=ucfs,subtype=ucfs,default_permissions,max_read=%u%s%s%s",
			     o->fs.max_read, o->auto_unmount ? ",auto_unmount" : "",
			     o->fuse_opts.len ? "," : "", o->fuse_opts.len ? o->fuse_opts.buf : "");
	if (!fo || fuse_opt_add_arg(&args, "ucfs") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, fo) || (o->debug && fuse_opt_add_arg(&args, "-d"))) {
		free(fo);
		fuse_opt_free_args(&args);
		return cli_fail("out of memory");
	}
	free(fo);
	struct fuse_session *se = fuse_session_new(&args, fs_lowlevel_ops(),
						   sizeof(struct fuse_lowlevel_ops), fs);
	fuse_opt_free_args(&args);
	if (!se)
		return cli_fail("cannot start the FUSE session (see the message above for the "
				"option it rejected)");
	if (fuse_set_signal_handlers(se) || fuse_session_mount(se, real)) {
		fuse_session_destroy(se);
		return cli_fail("cannot mount at %s: is /dev/fuse available and fusermount3 "
				"installed?", real);
	}
	if (!o->foreground)
		log_use_syslog(true);
	else
		log_info("mounted at %s", real);
	raise_readahead(real, o->fs.readahead);
	fuse_daemonize(o->foreground);
	/* Threads and connections start only now: fuse_daemonize() forks. */
	fs_set_session(fs, se);
	struct http_options ho = {.ca_file = o->ca_file};
	struct http_client *http = http_client_new(&ho);
	struct creds_registry *creds = creds_registry_new();
	struct storage_env env = {.http = http, .s3_endpoint = o->s3_endpoint,
				  .s3_region = o->s3_region, .azure_endpoint = o->azure_endpoint,
				  .gcs_endpoint = o->gcs_endpoint};
	struct mount_view v;
	if (creds && state_view(state_path, &v) == 0) {
		creds_registry_update(creds, &v);
		view_free(&v);
	}
	open_cache(o, real, k);
	struct fs_backend be = {.env = &env, .creds = creds_registry_get,
				.invalidate = creds_registry_invalidate, .ctx = creds,
				.pool = k->pool, .snaps = k->snaps, .offline = o->offline};
	if (o->offline) {
		be.creds = offline_creds;
		be.invalidate = offline_invalidate;
	}
	if (http && creds)
		fs_set_backend(fs, &be);
	else
		log_error("out of memory: cloud tables will not be readable");
	struct control *ctl = NULL;
	if (k->cache)
		control_start(fs, ocache_dir(k->cache), &ctl);
	struct syncer *sy = NULL;
	struct syncer_config sc = {.state_path = state_path, .sync_interval = o->sync_interval,
				   .poll_interval = o->poll_interval, .offline = o->offline,
				   .creds = creds};
	if (syncer_start(fs, &sc, &sy))
		log_error("cannot start the background sync: the mount will not follow changes");
	/* A fixed pool: up to `threads` workers, all kept when idle (no thread
	 * created or destroyed per request). */
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	unsigned nthreads = o->threads > 0 ? (unsigned)o->threads : 16;
	int lr = -1;
	if (lc) {
		fuse_loop_cfg_set_max_threads(lc, nthreads);
		fuse_loop_cfg_set_idle_threads(lc, nthreads);
		fuse_loop_cfg_set_clone_fd(lc, 0);
		lr = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	} else {
		log_error("out of memory: cannot start the FUSE workers");
	}
	control_stop(ctl);
	syncer_stop(sy);
	fs_set_session(fs, NULL);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fs_release_all(fs); /* before the reader pool and storage go */
	/* Tables' storage (and its HTTP use) goes with the fs, freed by the caller
	 * after this; the client and credentials must outlive it. */
	k->http = http;
	k->creds = creds;
	return lr < 0 ? 1 : 0;
}

int cmd_mount(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	struct mount_opts o = {
		.auto_unmount = true,
		.sync_interval = 900,
		.poll_interval = 1,
		.fs = {.meta_timeout = 60, .attr_timeout = 3600, .log_ttl = 2, .dir_ttl = 60,
		       .uid = getuid(), .gid = getgid()},
	};
	int opt, r = 0;
	const char *mountpoint = NULL;
	struct strbuf o_args = {0};
	/* Options may follow the mount point (mount helpers put -o last). */
	while (optind < argc) {
		opt = getopt_long(argc, argv, "-fdo:hv", longopts, NULL);
		if (opt == -1)
			break;
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 1:
			if (mountpoint) {
				r = cli_usage_error("mount", "unexpected argument '%s'", optarg);
				goto out;
			}
			mountpoint = optarg;
			break;
		case 'f': o.foreground = true; break;
		case 'd': o.debug = o.foreground = true; break;
		case 'o':
			/* Joined and parsed after the loop; values point into this buffer. */
			if ((o_args.len && sb_puts(&o_args, ",")) || sb_puts(&o_args, optarg)) {
				r = cli_fail("out of memory");
				goto out;
			}
			break;
		case 'h': fputs(mount_help, stdout); goto out;
		default: r = cli_usage_error("mount", "invalid option"); goto out;
		}
	}
	if (!mountpoint) {
		r = cli_usage_error("mount", "missing MOUNTPOINT");
		goto out;
	}
	if (o_args.len && (r = parse_o(o_args.buf, &o)))
		goto out;
	if (o.state)
		g->state_path = o.state;
	if (!o.fs.max_read)
		o.fs.max_read = splice_max_read();
	if (!o.fs.readahead)
		o.fs.readahead = o.fs.max_read;
	if (o.foreground)
		log_set_level(o.debug ? LOG_LVL_DEBUG : g->verbose ? log_get_level() : LOG_LVL_INFO);

	char real[PATH_MAX];
	if ((r = check_mountpoint(mountpoint, real)))
		goto out;
	o.fs.mountpoint = real; /* lives until fs_free below */
	struct state *st;
	if ((r = cli_open_state(g, false, &st)))
		goto out;
	struct ucfs_fs *fs = fs_new(&o.fs);
	if (!fs) {
		state_close(st);
		r = cli_fail("out of memory");
		goto out;
	}
	r = load_items(st, &o, fs);
	char *spath = xstrdup(state_path(st));
	state_close(st); /* the syncer opens its own after fork */
	struct served k = {0};
	if (!r)
		r = spath ? serve(fs, real, &o, spath, &k) : cli_fail("out of memory");
	free(spath);
	reader_pool_free(k.pool); /* drops queued readahead, which uses tables' storage */
	fs_free(fs);              /* closes the tables' storage: before what it uses */
	ocache_close(k.cache);
	snapstore_free(k.snaps);
	creds_registry_free(k.creds);
	http_client_free(k.http);
out:
	sb_free(&o.fuse_opts);
	sb_free(&o_args);
	return r;
}

int cmd_umount(int argc, char **argv, struct global_opts *g)
{
	static const char help[] =
		"usage: ucfs umount MOUNTPOINT [-z]\n"
		"\n"
		"Unmount a ucfs mount (fusermount3 -u). -z: lazy unmount when busy.\n";
	static const struct option longopts[] = {
		{"lazy", no_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	bool lazy = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "zhv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'z': lazy = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: return cli_usage_error("umount", "invalid option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("umount", "expected one MOUNTPOINT");
	const char *mp = argv[optind];
	char real[PATH_MAX];
	if (!realpath(mp, real)) {
		if (errno != ENOTCONN)
			return cli_fail("%s: %s", mp, strerror(errno));
		snprintf(real, sizeof(real), "%s", mp); /* dead mount: still unmountable */
	}
	char type[256] = "";
	if (!is_mounted(real, type, sizeof(type)))
		return cli_fail("%s is not mounted", real);
	if (strcmp(type, "fuse.ucfs") != 0)
		return cli_fail("%s is a %s mount, not ucfs: not touching it", real, type);
	pid_t pid = fork();
	if (pid < 0)
		return cli_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", lazy ? "-uz" : "-u", "--", real, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cli_fail("unmounting %s failed%s", real,
				WIFEXITED(status) && WEXITSTATUS(status) == 127
					? ": fusermount3 not found (install fuse3)"
					: " (busy? close files using it, or use -z)");
	return 0;
}
