/* `dha verify --dir`: every certificate.pem under a folder (a factory line's output tree), with
 * the private_key.pem and dha-control-log-public-key.txt beside each, on all cores. */
#include "dha/dha_int.h"

#include "report/tree.h"
#include "dha/dha_par.h"
#include "base/util.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LISTED_PROBLEMS 20

typedef struct entry {
	char *path;        /* a certificate.pem */
	unsigned char sib; /* SIB_* beside it */
} entry;

typedef struct found {
	entry *v;
	size_t n, cap;
} found;

enum { SIB_KEY = 1, SIB_CLKEY = 2 };

static int add_found(found *f, const char *dir, const char *chain, unsigned char sib)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		entry *v = realloc(f->v, cap * sizeof(entry));
		if (!v)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	size_t n = strlen(dir) + strlen(chain) + 2;
	if (!(f->v[f->n].path = malloc(n)))
		return -1;
	snprintf(f->v[f->n].path, n, "%s/%s", dir, chain);
	f->v[f->n++].sib = sib;
	return 0;
}

/* A worker's place to check the devices its walk finds, in the walk. */
typedef struct dir_check {
	dha_worker *w;
	struct lane *l;
} dir_check;

static void check_one(dha_worker *w, struct lane *l, entry *e);

/* Walks dir by the listing's d_type (a stat per entry would cost more than the walk), read with
 * getdents64 into the stack (opendir adds an fstat and a 32 KB buffer per folder, and a device is
 * a folder): symlinks are not followed, and .tmp-* folders (devices being made) are not results
 * yet. With subdirs (the root), its folders are listed there for the workers to walk instead of
 * being walked here. With chk, a device is checked as soon as its folder is listed, its files
 * opened relative to the folder still open (no path walk from the root per file); else it goes
 * to f. */
static int walk(const char *dir, int depth, found *f, found *subdirs, dir_check *chk)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_Alignas(struct dirent64) char ents[4096];
	unsigned char sib = 0;
	int has_cert = 0, has_named = 0, rc = 0;
	/* dha sign writes the chain as <id>.pem in OUT/<id>/ (the device's own name for it). */
	const char *slash = strrchr(dir, '/'), *base = slash ? slash + 1 : dir;
	size_t bl = strlen(base);
	if (fd < 0)
		return depth == 0 ? -1 : 0;
	for (;;) {
		ssize_t got = getdents64(fd, ents, sizeof(ents));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || rc != 0)
			break; /* the end, or a folder that cannot be read further (as readdir ends) */
		for (ssize_t off = 0; off < got && rc == 0;) {
			const struct dirent64 *e = (const struct dirent64 *)(ents + off);
			const char *n = e->d_name;
			unsigned char t = e->d_type;
			off += e->d_reclen;
			if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
				continue;
			if (t == DT_UNKNOWN) {
				struct stat st;
				t = fstatat(fd, n, &st, AT_SYMLINK_NOFOLLOW) != 0 ? DT_UNKNOWN
				    : S_ISDIR(st.st_mode)			  ? DT_DIR
				    : S_ISREG(st.st_mode)			  ? DT_REG
									  : DT_UNKNOWN;
			}
			if (t == DT_DIR && strncmp(n, ".tmp-", 5) != 0 && depth < 32) {
				size_t len = strlen(dir) + strlen(n) + 2;
				char *sub = malloc(len);
				if (!sub) {
					rc = -1;
					break;
				}
				snprintf(sub, len, "%s/%s", dir, n);
				if (subdirs)
					rc = add_found(subdirs, dir, n, 0);
				else
					rc = walk(sub, depth + 1, f, NULL, chk) < 0 ? -1 : 0;
				free(sub);
			} else if (t == DT_REG) {
				if (strcmp(n, "certificate.pem") == 0)
					has_cert = 1;
				else if (bl && strncmp(n, base, bl) == 0 && strcmp(n + bl, ".pem") == 0)
					has_named = 1;
				else if (strcmp(n, "private_key.pem") == 0)
					sib |= SIB_KEY;
				else if (strcmp(n, "dha-control-log-public-key.txt") == 0)
					sib |= SIB_CLKEY;
			}
		}
	}
	if (rc == 0 && (has_cert || (has_named && depth > 0))) {
		char chain[300];
		snprintf(chain, sizeof(chain), "%s", has_cert ? "certificate.pem" : base);
		if (!has_cert)
			strncat(chain, ".pem", sizeof(chain) - strlen(chain) - 1);
		found one = {0};
		if (strlen(chain) >= sizeof(chain) - 1 || add_found(chk ? &one : f, dir, chain, sib) != 0) {
			rc = -1;
		} else if (chk) {
			chk->w->dirfd = fd;
			chk->w->dir = dir;
			chk->w->dirlen = strlen(dir);
			check_one(chk->w, chk->l, &one.v[0]);
			chk->w->dirfd = -1;
		}
		free(one.v);
	}
	close(fd);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

/* A device found and checked: where, and what came of it. */
typedef struct done_dev {
	entry e;
	json_t *result;
	ats_verdict verdict;
} done_dev;

/* What one thread found and checked (merged and sorted by path when all are joined). */
struct lane {
	done_dev *v;
	size_t n, cap;
	int oom;
};
typedef struct lane lane;

#define MAX_LANES 256

typedef struct dir_run {
	dha_batch *b;
	found tasks;         /* the root's folders, each walked by a worker */
	found root_dev;      /* the root's own certificate.pem, when it has one */
	lane lanes[MAX_LANES];
	atomic_int nlanes;
	atomic_size_t next, done;
	done_dev *all;       /* every lane's, sorted by path */
	size_t n;
} dir_run;

/* path's sibling name, when the walk saw it. */
static char *sibling(const char *path, const char *name, bool present)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	char *s = present ? malloc(dl + strlen(name) + 1) : NULL;
	if (!s)
		return NULL;
	memcpy(s, path, dl);
	strcpy(s + dl, name);
	return s;
}

/* Checks one device into the lane (which takes its path). */
static void check_one(dha_worker *w, lane *l, entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		done_dev *v = realloc(l->v, cap * sizeof(done_dev));
		if (!v) {
			l->oom = 1;
			free(e->path);
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	char *key = sibling(e->path, "private_key.pem", e->sib & SIB_KEY);
	char *cl = sibling(e->path, "dha-control-log-public-key.txt", e->sib & SIB_CLKEY);
	done_dev *d = &l->v[l->n++];
	d->e = *e;
	d->result = dha_verify_one(w, e->path, key, cl, false, &d->verdict);
	if (!d->result)
		l->oom = 1;
	free(key);
	free(cl);
}

static void *dir_worker(void *arg)
{
	dir_run *r = arg;
	dha_worker w;
	size_t i;
	int li = atomic_fetch_add(&r->nlanes, 1);
	if (li >= MAX_LANES)
		return NULL; /* more threads than lanes: the others do the work */
	lane *l = &r->lanes[li];
	dha_worker_init(&w, r->b);
	w.listed = true; /* the walk read each file's type */
	while ((i = atomic_fetch_add(&r->next, 1)) < r->tasks.n + r->root_dev.n) {
		if (i >= r->tasks.n) { /* the root's own device */
			check_one(&w, l, &r->root_dev.v[i - r->tasks.n]);
			r->root_dev.v[i - r->tasks.n].path = NULL;
		} else {
			dir_check chk = {&w, l};
			if (walk(r->tasks.v[i].path, 1, NULL, NULL, &chk) != 0)
				l->oom = 1;
		}
		atomic_fetch_add(&r->done, 1);
	}
	dha_worker_free(&w);
	return NULL;
}

static int cmp_done(const void *a, const void *b)
{
	return strcmp(((const done_dev *)a)->e.path, ((const done_dev *)b)->e.path);
}

/* Every lane's devices in one array, sorted by path (stable reports). -1: out of memory. */
static int gather(dir_run *r)
{
	size_t n = 0;
	int lanes = atomic_load(&r->nlanes) < MAX_LANES ? atomic_load(&r->nlanes) : MAX_LANES, oom = 0;
	for (int i = 0; i < lanes; i++) {
		n += r->lanes[i].n;
		oom |= r->lanes[i].oom;
	}
	if (!(r->all = malloc((n ? n : 1) * sizeof(done_dev))))
		oom = 1;
	for (int i = 0; i < lanes; i++) {
		if (r->all && r->lanes[i].n)
			memcpy(r->all + r->n, r->lanes[i].v, r->lanes[i].n * sizeof(done_dev));
		else
			for (size_t k = 0; k < r->lanes[i].n; k++) {
				json_decref(r->lanes[i].v[k].result);
				free(r->lanes[i].v[k].e.path);
			}
		r->n += r->all ? r->lanes[i].n : 0;
		free(r->lanes[i].v);
		r->lanes[i].v = NULL;
	}
	if (r->all && r->n > 1)
		qsort(r->all, r->n, sizeof(done_dev), cmp_done);
	return oom ? -1 : 0;
}

/* Serials used twice under one DAK are a fault of the batch, not of either device. */
static size_t duplicate_serials(const json_t *devices, json_t *problems)
{
	size_t n = json_array_size(devices), dups = 0;
	const char **s = calloc(n + 1, sizeof(char *));
	if (!s)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_object_get(json_array_get(devices, i), "serial"));
		if (v)
			s[k++] = v;
	}
	qsort(s, k, sizeof(char *), cmp_str);
	for (size_t i = 1; i < k; i++)
		if (strcmp(s[i], s[i - 1]) == 0 && (i < 2 || strcmp(s[i], s[i - 2]) != 0)) {
			char msg[200];
			snprintf(msg, sizeof(msg), "serial %s is used by more than one device certificate", s[i]);
			ats_report_problem(problems, ATS_VERDICT_CRITICAL, NULL, NULL, msg,
					   "two signing runs shared a serial file (-CAcreateserial): "
					   "re-provision one of the devices");
			dups++;
		}
	free(s);
	return dups;
}

static json_t *dir_report(dir_run *r, const char *dir, time_t at)
{
	size_t count[4] = {0}, listed = 0, bad = 0;
	json_t *devices = json_array(), *problems = json_array();
	ats_verdict worst = ATS_VERDICT_OK;
	char when[32];

	for (size_t i = 0; i < r->n; i++) {
		ats_verdict v = r->all[i].verdict;
		count[v]++;
		/* A device whose files cannot be read is a failed device, not a tool that could not run. */
		worst = ats_verdict_worst(worst, v == ATS_VERDICT_UNKNOWN ? ATS_VERDICT_CRITICAL : v);
		if (v != ATS_VERDICT_OK) {
			bad++;
			if (listed < MAX_LISTED_PROBLEMS) {
				json_t *res = r->all[i].result, *ck = json_array_get(json_object_get(res, "checks"), 0);
				const char *e = json_string_value(json_object_get(res, "error"));
				char msg[1200];
				if (e)
					snprintf(msg, sizeof(msg), "%s", e);
				else
					snprintf(msg, sizeof(msg), "%s: %s: %s", r->all[i].e.path,
						 json_string_value(json_object_get(ck, "name")),
						 json_string_value(json_object_get(ck, "message")));
				ats_report_problem(problems, v == ATS_VERDICT_WARNING ? ATS_VERDICT_WARNING
										      : ATS_VERDICT_CRITICAL,
						   NULL, NULL, msg, json_string_value(json_object_get(ck, "fix")));
				listed++;
			}
		}
		json_array_append_new(devices, r->all[i].result);
		r->all[i].result = NULL;
	}
	if (bad > listed) {
		char msg[120];
		snprintf(msg, sizeof(msg), "and %zu more devices with problems (see devices[])", bad - listed);
		ats_report_problem(problems, worst, NULL, NULL, msg, NULL);
	}
	if (duplicate_serials(devices, problems))
		worst = ATS_VERDICT_CRITICAL;
	json_t *rep = ats_report_new("dha verify");
	if (!rep || json_object_update_new(rep, json_pack("{s:s, s:s}", "at",
							  ats_time_format(at, when, sizeof(when)),
							  "dir", dir)) != 0) {
		json_decref(rep);
		json_decref(problems);
		json_decref(devices);
		return NULL;
	}
	ats_report_close(rep, worst, problems);
	if (json_object_update_new(rep, json_pack("{s:{s:I, s:I, s:I, s:I, s:I}, s:o}", "summary",
						  "devices", (json_int_t)r->n, "ok",
						  (json_int_t)count[0], "warning", (json_int_t)count[1],
						  "critical", (json_int_t)count[2], "unreadable",
						  (json_int_t)count[3], "devices", devices)) != 0) {
		json_decref(rep);
		return NULL;
	}
	return rep;
}

int ats_dha_verify_dir(const char *dir, const ats_dha_verify_opts *o, json_t **report,
		       ats_err *err)
{
	dir_run r;
	dha_batch b;
	struct stat st;
	int rc;

	*report = NULL;
	memset(&r, 0, sizeof(r));
	if (stat(dir, &st) != 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot open: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ats_err_set(err, ATS_EUSAGE, "%s: not a directory (a folder of devices was expected)", dir);
	if ((rc = dha_batch_init(&b, o, err)) != 0)
		goto out;
	if (walk(dir, 0, &r.root_dev, &r.tasks, NULL) != 0) {
		rc = ats_err_set(err, ATS_EIO, "%s: cannot read it: %s", dir, strerror(errno));
		goto out;
	}
	if (r.tasks.n > 1)
		qsort(r.tasks.v, r.tasks.n, sizeof(entry), cmp_entry); /* the same order run to run */
	r.b = &b;
	ats_par_progress pr = {o->progress, o->progress_ctx, &r.done, r.tasks.n + r.root_dev.n};
	if (r.tasks.n + r.root_dev.n && ats_par_run(o->jobs, dir_worker, &r, &pr) != 0) {
		rc = ats_err_set(err, ATS_ENOMEM, "%s: cannot start a thread to verify its devices", dir);
		goto out;
	}
	if (gather(&r) != 0) {
		rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory listing the devices", dir);
		goto out;
	}
	if (r.n == 0) {
		rc = ats_err_set(err, ATS_EUSAGE, "%s: no certificate.pem (or <id>/<id>.pem) under it", dir);
		goto out;
	}
	*report = dir_report(&r, dir, o->at); /* takes the results */
	if (!*report)
		rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory listing the devices", dir);
out:
	for (size_t i = 0; i < r.n; i++) {
		json_decref(r.all[i].result);
		free(r.all[i].e.path);
	}
	for (size_t i = 0; i < r.tasks.n; i++)
		free(r.tasks.v[i].path);
	for (size_t i = 0; i < r.root_dev.n; i++)
		free(r.root_dev.v[i].path);
	free(r.tasks.v);
	free(r.root_dev.v);
	free(r.all);
	dha_batch_free(&b);
	return rc;
}
