/* `dha verify --dir`: every certificate.pem under a folder (a factory line's output tree), with
 * the private_key.pem and dha-control-log-public-key.txt beside each, on all cores. */
#include "dha_int.h"

#include "audit.h"
#include "dha_par.h"
#include "util.h"

#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LISTED_PROBLEMS 20

typedef struct found {
	char **v;
	size_t n, cap;
	int oom;
} found;

static found *g_found; /* nftw has no context argument; one walk at a time (walk_mu) */
static pthread_mutex_t walk_mu = PTHREAD_MUTEX_INITIALIZER;

static int on_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	(void)st;
	if (flag == FTW_D && ftw->level > 0 && strncmp(base, ".tmp-", 5) == 0)
		return FTW_SKIP_SUBTREE; /* a device being made: not a result yet */
	if (flag != FTW_F || strcmp(base, "certificate.pem") != 0)
		return FTW_CONTINUE;
	found *f = g_found;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		char **v = realloc(f->v, cap * sizeof(char *));
		if (!v) {
			f->oom = 1;
			return FTW_STOP;
		}
		f->v = v;
		f->cap = cap;
	}
	if (!(f->v[f->n] = strdup(path))) {
		f->oom = 1;
		return FTW_STOP;
	}
	f->n++;
	return FTW_CONTINUE;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct dir_run {
	dha_batch *b;
	found f;
	json_t **results;
	ats_verdict *verdicts;
	atomic_size_t next, done;
} dir_run;

/* path's sibling name, when that file exists. */
static char *sibling(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	char *s = malloc(dl + strlen(name) + 1);
	if (!s)
		return NULL;
	memcpy(s, path, dl);
	strcpy(s + dl, name);
	if (access(s, F_OK) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void *dir_worker(void *arg)
{
	dir_run *r = arg;
	size_t i;
	while ((i = atomic_fetch_add(&r->next, 1)) < r->f.n) {
		const char *path = r->f.v[i];
		char *key = sibling(path, "private_key.pem");
		char *cl = sibling(path, "dha-control-log-public-key.txt");
		r->results[i] = dha_verify_one(r->b, path, key, cl, false, &r->verdicts[i]);
		free(key);
		free(cl);
		atomic_fetch_add(&r->done, 1);
	}
	return NULL;
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

	for (size_t i = 0; i < r->f.n; i++) {
		ats_verdict v = r->verdicts[i];
		count[v]++;
		/* A device whose files cannot be read is a failed device, not a tool that could not run. */
		worst = ats_verdict_worst(worst, v == ATS_VERDICT_UNKNOWN ? ATS_VERDICT_CRITICAL : v);
		if (v != ATS_VERDICT_OK) {
			bad++;
			if (listed < MAX_LISTED_PROBLEMS) {
				json_t *res = r->results[i], *ck = json_array_get(json_object_get(res, "checks"), 0);
				const char *e = json_string_value(json_object_get(res, "error"));
				char msg[1200];
				if (e)
					snprintf(msg, sizeof(msg), "%s", e);
				else
					snprintf(msg, sizeof(msg), "%s: %s: %s", r->f.v[i],
						 json_string_value(json_object_get(ck, "name")),
						 json_string_value(json_object_get(ck, "message")));
				ats_report_problem(problems, v == ATS_VERDICT_WARNING ? ATS_VERDICT_WARNING
										      : ATS_VERDICT_CRITICAL,
						   NULL, NULL, msg, json_string_value(json_object_get(ck, "fix")));
				listed++;
			}
		}
		json_array_append_new(devices, r->results[i]);
		r->results[i] = NULL;
	}
	if (bad > listed) {
		char msg[120];
		snprintf(msg, sizeof(msg), "and %zu more devices with problems (see devices[])", bad - listed);
		ats_report_problem(problems, worst, NULL, NULL, msg, NULL);
	}
	if (duplicate_serials(devices, problems))
		worst = ATS_VERDICT_CRITICAL;
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:o}", "command",
			 "dha verify", "verdict", ats_verdict_name(worst), "exit_code", (int)worst,
			 "at", ats_time_format(at, when, sizeof(when)), "dir", dir, "problems", problems,
			 "summary", "devices", (json_int_t)r->f.n, "ok", (json_int_t)count[0], "warning",
			 (json_int_t)count[1], "critical", (json_int_t)count[2], "unreadable",
			 (json_int_t)count[3], "devices", devices);
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
		return ats_err_set(err, ATS_EUSAGE, "%s: not a directory (--dir takes a folder)", dir);
	if ((rc = dha_batch_init(&b, o, err)) != 0)
		goto out;
	pthread_mutex_lock(&walk_mu);
	g_found = &r.f;
	int w = nftw(dir, on_entry, 32, FTW_PHYS | FTW_ACTIONRETVAL);
	g_found = NULL;
	pthread_mutex_unlock(&walk_mu);
	if (r.f.oom || w == -1) {
		rc = ats_err_set(err, r.f.oom ? ATS_ENOMEM : ATS_EIO, "%s: cannot walk it: %s", dir,
				 r.f.oom ? "out of memory" : strerror(errno));
		goto out;
	}
	if (r.f.n == 0) {
		rc = ats_err_set(err, ATS_EUSAGE, "%s: no certificate.pem under it", dir);
		goto out;
	}
	qsort(r.f.v, r.f.n, sizeof(char *), cmp_str);
	r.b = &b;
	r.results = calloc(r.f.n, sizeof(json_t *));
	r.verdicts = calloc(r.f.n, sizeof(ats_verdict));
	if (!r.results || !r.verdicts) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
		goto out;
	}
	ats_par_progress pr = {o->progress, o->progress_ctx, &r.done, r.f.n};
	if (ats_par_run(o->jobs, dir_worker, &r, &pr) != 0) {
		rc = ats_err_set(err, ATS_ENOMEM, "cannot start a thread");
		goto out;
	}
	for (size_t i = 0; i < r.f.n; i++)
		if (!r.results[i]) {
			rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
			goto out;
		}
	*report = dir_report(&r, dir, o->at); /* takes the results */
	if (!*report)
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
out:
	for (size_t i = 0; i < r.f.n; i++) {
		if (r.results)
			json_decref(r.results[i]);
		free(r.f.v[i]);
	}
	free(r.f.v);
	free(r.results);
	free(r.verdicts);
	dha_batch_free(&b);
	return rc;
}
