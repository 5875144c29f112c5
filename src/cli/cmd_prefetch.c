/*
 * cmd_prefetch.c - `ucfs prefetch TABLE`: read every file one snapshot of a
 * table needs through the running mount, so the mount's disk cache holds
 * it, then record the snapshot with the daemon (optionally pinned) so it
 * stays readable offline.
 *
 * Contract: the files come from the snapshot helper (snaphelper.h). Before
 * reading anything the daemon is asked for "info": a snapshot larger than
 * 15/16 of the cache, or one that --pin would take the pinned bytes of all
 * tables over 15/16 (this table's own pinned snapshot, which the new one
 * replaces, not counted), is refused with nothing read. Files are read whole
 * in 1 MiB reads by --jobs threads, largest first; the first read error stops
 * the others and is reported with the file, its table and where the mount
 * logs. Then the "snapshot" request records it. Progress: a line on stderr
 * when it is a terminal (at most 5 updates a second), or with --json one
 * JSON line a second on stdout and a last one with "done": true. An
 * interrupted run leaves what it read in the cache: running it again reads
 * the rest from storage and the rest from the cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/control_client.h"
#include "cli/snaphelper.h"
#include "cli/tablearg.h"
#include "util/strutil.h"

static const char prefetch_help[] =
	"usage: ucfs prefetch TABLE [--version N | --timestamp T] [--pin] [--json]\n"
	"                     [--jobs N] [--mount DIR]\n"
	"\n"
	"Read every file of one snapshot of a table (its log from the last checkpoint,\n"
	"its data files and deletion vectors) through the running ucfs mount into the\n"
	"mount's disk cache, and record the snapshot there: when storage or Unity\n"
	"Catalog cannot be reached (or the mount is -o offline), the table still shows\n"
	"that snapshot and reads it from the cache. TABLE is item.schema.table,\n"
	"lakehouse.Tables.shortcut, or the table's directory under the mount.\n"
	"Interrupted, run it again: what was read is cached and is not fetched again.\n"
	"\n"
	"  --version N     the snapshot of table version N (default: the latest)\n"
	"  --timestamp T   the snapshot current at time T (ISO 8601, e.g.\n"
	"                  2026-12-01T09:30:00Z; without a zone, UTC)\n"
	"  --pin           keep it in the cache: never evicted for other reads\n"
	"                  (until 'ucfs cache unpin' or 'ucfs cache drop')\n"
	"  --jobs N        files read at once (1-64, default 4)\n"
	"  --json          progress as JSON lines on stdout, one a second and a last\n"
	"                  one with \"done\": true\n"
	"  -m, --mount DIR the ucfs mount to use (default: the only one running, or\n"
	"                  the one holding the table's directory)\n"
	"\n"
	"The snapshot is listed by scripts/ucfs-snapshot (Python, the deltalake\n"
	"package): it runs under $UCFS_PYTHON, else the checkout's .venv, else\n"
	"python3. A snapshot larger than 15/16 of the cache (-o cache_size=) is\n"
	"refused before anything is read. See 'ucfs cache'.\n";

#define OPT_VERSION 1200
#define OPT_TIMESTAMP 1201
#define OPT_PIN 1202
#define OPT_JOBS 1203
#define OPT_JSON 1204
#define READ_SIZE (1u << 20)
#define MAX_JOBS 64

struct pf_opts {
	const char *version, *timestamp, *mount;
	bool pin, json;
	int jobs;
};

/* The read phase, shared by the workers and the progress loop. */
struct readjob {
	const char *dir;              /* the table directory (absolute) */
	const char *table;            /* TABLE as given, for messages */
	struct snap_file **order;     /* largest first */
	size_t n;
	atomic_size_t next, files_done;
	atomic_uint_fast64_t bytes_done;
	atomic_int running, failed;
	pthread_mutex_t lock;
	char *error; /* the first failure (malloc'ed) */
};

static void job_fail(struct readjob *j, char *msg)
{
	pthread_mutex_lock(&j->lock);
	if (!j->error) {
		j->error = msg;
		msg = NULL;
	}
	atomic_store(&j->failed, 1);
	pthread_mutex_unlock(&j->lock);
	free(msg);
}

/* Read one file whole; 0 or -errno (recorded with job_fail). */
static int read_one(struct readjob *j, const struct snap_file *f, char *buf)
{
	char *path = xasprintf("%s/%s", j->dir, f->path);
	if (!path) {
		job_fail(j, xstrdup("out of memory"));
		return -ENOMEM;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	uint64_t got = 0;
	if (fd < 0)
		r = -errno;
	while (!r && !atomic_load(&j->failed)) {
		ssize_t n = read(fd, buf, READ_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		got += (uint64_t)n;
		atomic_fetch_add(&j->bytes_done, (uint_fast64_t)n);
	}
	if (fd >= 0)
		close(fd);
	if (r)
		job_fail(j, xasprintf("cannot read '%s' of %s through the mount (%s): %s; the "
				      "mount's log says why (syslog, ident ucfs; or stderr of "
				      "'ucfs mount -f')", f->path, j->table, path, strerror(-r)));
	else if (!atomic_load(&j->failed) && got != f->size)
		job_fail(j, xasprintf("'%s' of %s read %llu bytes where the listing said %llu: "
				      "the table changed while prefetching; run the prefetch again",
				      f->path, j->table, (unsigned long long)got,
				      (unsigned long long)f->size));
	free(path);
	return r;
}

static void *worker(void *arg)
{
	struct readjob *j = arg;
	char *buf = malloc(READ_SIZE);
	if (!buf)
		job_fail(j, xstrdup("out of memory"));
	while (buf && !atomic_load(&j->failed)) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			break;
		if (read_one(j, j->order[i], buf) == 0 && !atomic_load(&j->failed))
			atomic_fetch_add(&j->files_done, 1);
	}
	free(buf);
	atomic_fetch_sub(&j->running, 1);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress {
	size_t files_done, files;
	uint64_t bytes_done, bytes;
	double rate, eta; /* bytes/s, seconds (-1: unknown) */
};

static void progress_of(struct readjob *j, uint64_t total, double t0, struct progress *p)
{
	double dt = now_s() - t0;
	p->files_done = atomic_load(&j->files_done);
	p->files = j->n;
	p->bytes_done = atomic_load(&j->bytes_done);
	p->bytes = total;
	p->rate = dt > 0 ? (double)p->bytes_done / dt : 0;
	p->eta = p->rate > 0 && total >= p->bytes_done ? (double)(total - p->bytes_done) / p->rate
						       : (p->bytes_done >= total ? 0 : -1);
}

static void print_json_progress(const struct progress *p, bool done)
{
	printf("{\"files_done\":%zu,\"files\":%zu,\"bytes_done\":%llu,\"bytes\":%llu,"
	       "\"rate\":%.0f,\"eta_s\":%.0f,\"done\":%s}\n",
	       p->files_done, p->files, (unsigned long long)p->bytes_done,
	       (unsigned long long)p->bytes, p->rate, done ? 0 : p->eta, done ? "true" : "false");
	fflush(stdout);
}

static void print_tty_progress(const struct progress *p)
{
	char a[32], b[32], eta[32] = "?";
	if (p->eta >= 0) {
		long s = (long)(p->eta + 0.5);
		snprintf(eta, sizeof(eta), "%ld:%02ld", s / 60, s % 60);
	}
	fprintf(stderr, "\r\033[Kfiles %zu/%zu, %s of %s, %.1f MB/s, %s left", p->files_done,
		p->files, cli_size(p->bytes_done, a), cli_size(p->bytes, b), p->rate / 1e6, eta);
	fflush(stderr);
}

static int by_size_desc(const void *a, const void *b)
{
	const struct snap_file *x = *(struct snap_file *const *)a;
	const struct snap_file *y = *(struct snap_file *const *)b;
	return x->size < y->size ? 1 : x->size > y->size ? -1 : strcmp(x->path, y->path);
}

/* Read every file of S under DIR; 0 or 1 (reported). *secs: the time taken. */
static int read_all(const struct pf_opts *o, const char *table, const char *dir,
		    const struct snap *s, double *secs)
{
	struct readjob j = {.dir = dir, .table = table, .n = s->n};
	pthread_t th[MAX_JOBS];
	int started = 0, rc = 0;
	j.order = calloc(s->n + 1, sizeof(*j.order));
	if (!j.order)
		return cli_fail("out of memory");
	for (size_t i = 0; i < s->n; i++)
		j.order[i] = &s->files[i];
	qsort(j.order, s->n, sizeof(*j.order), by_size_desc);
	pthread_mutex_init(&j.lock, NULL);
	bool tty = !o->json && isatty(STDERR_FILENO);
	double t0 = now_s(), last_json = t0;
	atomic_store(&j.running, o->jobs);
	for (int i = 0; i < o->jobs; i++) {
		if (pthread_create(&th[i], NULL, worker, &j) != 0) {
			atomic_fetch_sub(&j.running, o->jobs - i);
			if (i == 0)
				job_fail(&j, xstrdup("cannot start a reading thread"));
			break;
		}
		started++;
	}
	struct progress p;
	double last_tty = t0;
	while (atomic_load(&j.running) > 0) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
		progress_of(&j, s->bytes, t0, &p);
		if (tty && now_s() - last_tty >= 0.2) { /* at most 5 updates a second */
			print_tty_progress(&p);
			last_tty = now_s();
		}
		if (o->json && now_s() - last_json >= 1.0) {
			print_json_progress(&p, false);
			last_json = now_s();
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	progress_of(&j, s->bytes, t0, &p);
	if (tty) {
		print_tty_progress(&p);
		fputc('\n', stderr);
	}
	if (o->json)
		print_json_progress(&p, false);
	*secs = now_s() - t0;
	if (j.error || atomic_load(&j.failed))
		rc = cli_fail("%s", j.error ? j.error : "out of memory");
	pthread_mutex_destroy(&j.lock);
	free(j.error);
	free(j.order);
	return rc;
}

/* Bytes pinned now by this table's own snapshot (replaced by the new one). */
static uint64_t own_pinned(const char *mount, const char *rel)
{
	cJSON *st = NULL, *t;
	uint64_t own = 0;
	if (ctl_simple(mount, "status", NULL, &st))
		return 0; /* reported; the daemon checks again when recording */
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(st, "tables")) {
		const cJSON *snap = cJSON_GetObjectItemCaseSensitive(t, "snapshot"), *p;
		bool mine = false;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(t, "paths"))
			mine = mine || (cJSON_IsString(p) && !strcmp(p->valuestring, rel));
		if (mine && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snap, "pinned")))
			own = (uint64_t)ctl_i64(snap, "bytes");
	}
	cJSON_Delete(st);
	return own;
}

/* Refuse, before reading, what the cache cannot hold (see the contract). */
static int check_room(const struct pf_opts *o, const char *mount, const char *rel,
		      const char *table, const struct snap *s)
{
	cJSON *info = NULL;
	if (ctl_simple(mount, "info", NULL, &info))
		return 1;
	uint64_t cap = (uint64_t)ctl_i64(info, "max_bytes");
	uint64_t pinned = (uint64_t)ctl_i64(info, "pinned_bytes");
	cJSON_Delete(info);
	uint64_t limit = cap / 16 * 15 + cap % 16 * 15 / 16;
	char a[32], b[32], c[32];
	if (s->bytes > limit)
		return cli_fail("the snapshot of %s (version %lld) is %s, more than 15/16 of the "
				"mount's %s disk cache: it would not stay cached; mount with a "
				"larger -o cache_size= (over %s)", table, (long long)s->version,
				cli_size(s->bytes, a), cli_size(cap, b),
				cli_size(s->bytes / 15 * 16 + 1, c));
	if (!o->pin)
		return 0;
	uint64_t own = own_pinned(mount, rel);
	uint64_t after = (pinned > own ? pinned - own : 0) + s->bytes;
	if (after > limit)
		return cli_fail("pinning %s (%s) would take pinned snapshots to %s of the %s "
				"cache (at most 15/16): raise -o cache_size=, or 'ucfs cache unpin' "
				"or 'ucfs cache drop' another table", table, cli_size(s->bytes, a),
				cli_size(after, b), cli_size(cap, c));
	return 0;
}

/* Send the "snapshot" request; the answer into *ans. */
static int record(const struct pf_opts *o, const char *mount, const char *rel,
		  const struct snap *s, cJSON **ans)
{
	cJSON *req = cJSON_CreateObject(), *files = NULL;
	bool ok = req && cJSON_AddStringToObject(req, "op", "snapshot") &&
		  cJSON_AddStringToObject(req, "path", rel) &&
		  cJSON_AddNumberToObject(req, "version", (double)s->version) &&
		  cJSON_AddBoolToObject(req, "pin", o->pin) &&
		  (files = cJSON_AddArrayToObject(req, "files"));
	for (size_t i = 0; ok && i < s->n; i++) {
		cJSON *f = cJSON_CreateObject();
		if (!f || !cJSON_AddItemToArray(files, f)) {
			cJSON_Delete(f);
			ok = false;
			break;
		}
		ok = cJSON_AddStringToObject(f, "path", s->files[i].path) != NULL;
	}
	if (!ok) {
		cJSON_Delete(req);
		return cli_fail("out of memory");
	}
	int r = ctl_call(mount, req, ans);
	cJSON_Delete(req);
	return r ? 1 : 0;
}

static int parse_opts(int argc, char **argv, struct global_opts *g, struct pf_opts *o)
{
	static const struct option longopts[] = {
		{"version", required_argument, NULL, OPT_VERSION},
		{"timestamp", required_argument, NULL, OPT_TIMESTAMP},
		{"pin", no_argument, NULL, OPT_PIN},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"json", no_argument, NULL, OPT_JSON},
		{"mount", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "m:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		char *end;
		long n;
		switch (opt) {
		case OPT_VERSION:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *optarg < '0' || *optarg > '9' || *end || n < 0)
				return cli_usage_error("prefetch", "--version wants a table version "
						       "(0 or more), not '%s'", optarg);
			o->version = optarg;
			break;
		case OPT_TIMESTAMP:
			if (!*optarg)
				return cli_usage_error("prefetch", "--timestamp wants a time");
			o->timestamp = optarg;
			break;
		case OPT_PIN: o->pin = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_JOBS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > MAX_JOBS)
				return cli_usage_error("prefetch", "--jobs wants a number from 1 to %d, "
						       "not '%s'", MAX_JOBS, optarg);
			o->jobs = (int)n;
			break;
		case 'm': o->mount = optarg; break;
		case 'h': fputs(prefetch_help, stdout); return -1;
		default: return cli_usage_error("prefetch", "invalid option");
		}
	}
	if (o->version && o->timestamp)
		return cli_usage_error("prefetch", "give --version or --timestamp, not both");
	if (argc - optind != 1)
		return cli_usage_error("prefetch", argc - optind ? "one TABLE at a time" :
				       "which table? give item.schema.table or its directory");
	return 0;
}

int cmd_prefetch(int argc, char **argv, struct global_opts *g)
{
	struct pf_opts o = {.jobs = 4};
	int rc = parse_opts(argc, argv, g, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *table = argv[optind];
	char mount[PATH_MAX];
	char *rel = NULL, *dir = NULL;
	struct snap s = {0};
	cJSON *ans = NULL;
	if ((rc = tablearg_resolve(o.mount, table, mount, &rel)))
		return rc;
	if (tablearg_is_path(table))
		table = rel; /* messages name it as the mount shows it */
	dir = xasprintf("%s/%s", mount, rel);
	if (!dir) {
		rc = cli_fail("out of memory");
		goto out;
	}
	if (snaphelper_run(dir, o.version, o.timestamp, &s)) {
		rc = 1;
		goto out;
	}
	if ((rc = check_room(&o, mount, rel, table, &s)))
		goto out;
	double secs = 0;
	if ((rc = read_all(&o, table, dir, &s, &secs)))
		goto out;
	if ((rc = record(&o, mount, rel, &s, &ans)))
		goto out;
	double rate = secs > 0 ? (double)s.bytes / secs : 0;
	if (o.json) {
		printf("{\"files_done\":%zu,\"files\":%zu,\"bytes_done\":%llu,\"bytes\":%llu,"
		       "\"rate\":%.0f,\"eta_s\":0,\"done\":true,\"version\":%lld,\"pinned\":%s,"
		       "\"seconds\":%.3f,\"pinned_bytes\":%lld}\n",
		       s.n, s.n, (unsigned long long)s.bytes, (unsigned long long)s.bytes, rate,
		       (long long)s.version, o.pin ? "true" : "false", secs,
		       (long long)ctl_i64(ans, "pinned_bytes"));
	} else {
		char a[32], b[32];
		printf("prefetched %s version %lld: %zu files, %s in %.1f s (%.1f MB/s), %s\n",
		       table, (long long)s.version, s.n, cli_size(s.bytes, a), secs, rate / 1e6,
		       o.pin ? "pinned" : "not pinned (may be evicted; --pin keeps it)");
		if (o.pin)
			printf("pinned snapshots now take %s of the cache\n",
			       cli_size((unsigned long long)ctl_i64(ans, "pinned_bytes"), b));
	}
	rc = 0;
out:
	cJSON_Delete(ans);
	snap_free(&s);
	free(dir);
	free(rel);
	return rc;
}
