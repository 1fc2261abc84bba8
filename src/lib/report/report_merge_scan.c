/* Feeding the fleet accumulator: the calling thread walks the paths (folders recursively, for
 * *.json) and hands file names through a small bounded queue to parsing threads. Memory holds
 * the queue and the accumulator's rows, never the list of files or more than one report per
 * thread. */
#include "report/report_merge_int.h"

#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE 256

typedef struct queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	char *v[QUEUE];
	size_t head, n;
	int closed;
} queue;

typedef struct scan {
	ats_merge *m;
	const ats_merge_opts *o;
	queue q;
	size_t pushed;
	int workers; /* 0: parse on the calling thread, with own */
	struct reader *own;
} scan;

struct reader;
static void one_file(ats_merge *m, struct reader *r, const char *path);

static void push(scan *sc, char *path)
{
	queue *q = &sc->q;
	if (!sc->workers) {
		one_file(sc->m, sc->own, path);
		free(path);
		return;
	}
	pthread_mutex_lock(&q->lock);
	while (q->n == QUEUE)
		pthread_cond_wait(&q->not_full, &q->lock);
	q->v[(q->head + q->n++) % QUEUE] = path;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	if (++sc->pushed % 512 == 0 && sc->o->progress)
		sc->o->progress(sc->o->progress_ctx, ats_merge_done(sc->m));
}

static char *pop(queue *q)
{
	char *p = NULL;
	pthread_mutex_lock(&q->lock);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->n) {
		p = q->v[q->head];
		q->head = (q->head + 1) % QUEUE;
		q->n--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return p;
}

/* What one parsing thread reuses from file to file. */
typedef struct reader {
	char *buf;
	size_t cap;
	mj_doc doc;
} reader;

/* Reads path into r->buf (reused); 0, or -1 with why set. */
static int read_file(reader *r, const char *path, size_t *len, time_t *mtime, char *why, size_t n)
{
	struct stat st;
	ats_err e = {0};
	int fd = ats_file_open_regular(path, NULL, &st, &e), rc = -1;
	size_t off = 0;
	if (fd < 0) {
		snprintf(why, n, "%s", e.msg);
		return -1;
	}
	if ((uint64_t)st.st_size > ATS_MAX_INPUT) {
		snprintf(why, n, "too large (%lld bytes)", (long long)st.st_size);
		goto out;
	}
	if ((size_t)st.st_size + 1 > r->cap) {
		size_t cap = (size_t)st.st_size + 1 > 2 * r->cap ? (size_t)st.st_size + 1 : 2 * r->cap;
		char *b = realloc(r->buf, cap);
		if (!b) {
			snprintf(why, n, "out of memory");
			goto out;
		}
		r->buf = b;
		r->cap = cap;
	}
	while (off < (size_t)st.st_size) {
		ssize_t k = read(fd, r->buf + off, (size_t)st.st_size - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(why, n, "cannot read: %s", k < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		off += (size_t)k;
	}
	*len = off;
	*mtime = st.st_mtime;
	rc = 0;
out:
	close(fd);
	return rc;
}

static void one_file(ats_merge *m, reader *r, const char *path)
{
	size_t len;
	time_t mtime;
	char why[1100];
	const mj_node *root;

	if (read_file(r, path, &len, &mtime, why, sizeof(why)) != 0) {
		ats_merge_bad(m, path, "unreadable", why);
		return;
	}
	if (mj_parse(&r->doc, r->buf, len) != 0) {
		snprintf(why, sizeof(why), "not whole JSON: %s", r->doc.err);
		ats_merge_bad(m, path, "partial", why);
		return;
	}
	root = &r->doc.v[0];
	const mj_node *cmd = mj_get(&r->doc, root, "command"), *v = mj_get(&r->doc, root, "verdict");
	if (!cmd || cmd->type != MJ_STR || !v || v->type != MJ_STR)
		ats_merge_bad(m, path, "partial", "not an atscheck report: no \"command\" or \"verdict\"");
	else if (strcmp(cmd->str, "merge") == 0)
		ats_merge_bad(m, path, "partial", "a fleet summary, not a device report");
	else
		ats_merge_add(m, path, mtime, &r->doc);
}

static void *worker(void *arg)
{
	scan *sc = arg;
	reader r = {0};
	char *p;
	while ((p = pop(&sc->q)) != NULL) {
		one_file(sc->m, &r, p);
		free(p);
	}
	free(r.buf);
	mj_free(&r.doc);
	return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A folder: every *.json under it (symlinked folders are not followed, so no loops). */
static void walk(scan *sc, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) {
		char why[300];
		snprintf(why, sizeof(why), "%s: cannot open folder: %s", dir, strerror(errno));
		ats_merge_bad(sc->m, dir, "unreadable", why);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files such as a writer's temporary */
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(n);
		if (!p)
			break;
		snprintf(p, n, "%s/%s", dir, e->d_name);
		unsigned char type = e->d_type;
		struct stat st;
		if (type == DT_UNKNOWN && lstat(p, &st) == 0)
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		if (type == DT_DIR) {
			walk(sc, p);
			free(p);
		} else if ((type == DT_REG || type == DT_LNK) && ends_with(p, ".json")) {
			push(sc, p);
		} else {
			free(p);
		}
	}
	closedir(d);
}

int ats_merge_run(const char *const *paths, size_t n, const ats_merge_opts *o, json_t **summary,
		  ats_err *err)
{
	reader own = {0};
	scan sc = {.o = o, .own = &own};
	int jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs, started = 0, rc;
	pthread_t th[64];

	if (n == 0)
		return ats_err_set(err, ATS_EUSAGE, "report merge: name at least one file or folder");
	if (!(sc.m = ats_merge_new(o)))
		return ats_err_set(err, ATS_ENOMEM, "merging %zu paths (%s...): out of memory", n, paths[0]);
	pthread_mutex_init(&sc.q.lock, NULL);
	pthread_cond_init(&sc.q.not_empty, NULL);
	pthread_cond_init(&sc.q.not_full, NULL);
	for (; started < jobs; started++)
		if (pthread_create(&th[started], NULL, worker, &sc) != 0)
			break;
	sc.workers = started;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			char why[300];
			snprintf(why, sizeof(why), "%s: cannot open: %s", paths[i], strerror(errno));
			ats_merge_bad(sc.m, paths[i], "unreadable", why);
		} else if (S_ISDIR(st.st_mode)) {
			walk(&sc, paths[i]);
		} else {
			char *p = strdup(paths[i]);
			if (p)
				push(&sc, p);
		}
	}
	pthread_mutex_lock(&sc.q.lock);
	sc.q.closed = 1;
	pthread_cond_broadcast(&sc.q.not_empty);
	pthread_mutex_unlock(&sc.q.lock);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (o->progress)
		o->progress(o->progress_ctx, ats_merge_done(sc.m));
	free(own.buf);
	mj_free(&own.doc);
	rc = ats_merge_summary(sc.m, summary, err);
	ats_merge_free(sc.m);
	pthread_cond_destroy(&sc.q.not_empty);
	pthread_cond_destroy(&sc.q.not_full);
	pthread_mutex_destroy(&sc.q.lock);
	return rc;
}
