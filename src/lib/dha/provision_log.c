#include "dha/provision_log.h"

#include "base/util.h"
#include "dha/keyset.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSV_NAME "control-log.csv"
#define JSONL_NAME "control-log.jsonl"
const char ats_prov_csv_header[] = "device_id,dha_public_key,serial,sha256_fingerprint,time\n";
#define csv_header ats_prov_csv_header

/* A string set (open addressing); ids are short and a batch holds at most millions. */
typedef struct idset {
	char **slot;
	size_t cap, n;
} idset;

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a, 64-bit even where size_t is 32 */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static bool set_has(const idset *s, const char *id)
{
	if (!s->cap)
		return false;
	for (size_t i = hash(id) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i])
			return false;
		if (strcmp(s->slot[i], id) == 0)
			return true;
	}
}

static int set_add(idset *s, const char *id)
{
	if (set_has(s, id))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **slot = calloc(cap, sizeof(char *));
		if (!slot)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t j = hash(s->slot[i]) & (cap - 1);
				while (slot[j])
					j = (j + 1) & (cap - 1);
				slot[j] = s->slot[i];
			}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	size_t i = hash(id) & (s->cap - 1);
	while (s->slot[i])
		i = (i + 1) & (s->cap - 1);
	if (!(s->slot[i] = strdup(id)))
		return -1;
	s->n++;
	return 0;
}

static void set_free(idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

struct ats_prov_log {
	int csv, jsonl;
	char csv_path[4096], jsonl_path[4096];
	off_t csv_off;       /* how far this run has read the CSV */
	idset ids, json_ids; /* committed ids; ids present in the JSON lines */
	ats_keyset keys;     /* SHA-256 of each committed line's dha_public_key text */
	pthread_mutex_t mu;
};

bool ats_device_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > ATS_DEVICE_ID_MAX || id[0] == '.' || id[0] == '-')
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

bool ats_device_id_reserved(const char *id)
{
	/* Case-insensitive: a station's output folder may be on a FAT or exFAT stick. */
	static const char *const names[] = {CSV_NAME, JSONL_NAME, "batch-id"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(id, names[i]) == 0)
			return true;
	return false;
}

/* Reads whole lines from fd starting at *off; calls fn for each complete line (no '\n'). */
static int read_lines(int fd, off_t *off, int (*fn)(void *, char *), void *ctx)
{
	char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t r = pread(fd, buf + have, sizeof(buf) - have, *off + (off_t)have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0; /* what is left has no '\n': a torn line, not a record */
		have += (size_t)r;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = '\0';
			if (fn(ctx, start) != 0)
				return -1;
			start = nl + 1;
		}
		size_t used = (size_t)(start - buf);
		*off += (off_t)used;
		memmove(buf, start, have - used);
		have -= used;
		if (have == sizeof(buf))
			return -1; /* a 64 KiB line is not ours */
	}
}

int ats_prov_record_parse(const char *line, ats_prov_record *r)
{
	char copy[512];
	char *f[5], *save = NULL, *p;
	int n = 0;
	if (strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line);
	for (p = strtok_r(copy, ",", &save); p && n < 5; p = strtok_r(NULL, ",", &save))
		f[n++] = p;
	if (n != 5 || p || !ats_device_id_ok(f[0]) || strlen(f[1]) >= sizeof(r->key_b64) ||
	    strlen(f[2]) >= sizeof(r->serial) || strlen(f[3]) >= sizeof(r->sha256) ||
	    strlen(f[4]) >= sizeof(r->time))
		return -1;
	snprintf(r->id, sizeof(r->id), "%s", f[0]);
	snprintf(r->key_b64, sizeof(r->key_b64), "%s", f[1]);
	snprintf(r->serial, sizeof(r->serial), "%s", f[2]);
	snprintf(r->sha256, sizeof(r->sha256), "%s", f[3]);
	snprintf(r->time, sizeof(r->time), "%s", f[4]);
	return 0;
}

static int on_csv(void *ctx, char *line)
{
	ats_prov_log *l = ctx;
	ats_prov_record r;
	if (strncmp(line, csv_header, strlen(csv_header) - 1) == 0 || ats_prov_record_parse(line, &r) != 0)
		return 0; /* the header, or a line torn and then followed: not a record */
	unsigned char d[32];
	ats_sha256(r.key_b64, strlen(r.key_b64), d);
	return set_add(&l->ids, r.id) != 0 || ats_keyset_add(&l->keys, d) < 0 ? -1 : 0;
}

static int on_jsonl(void *ctx, char *line)
{
	ats_prov_log *l = ctx;
	const char *k = "{\"device_id\":\"";
	if (strncmp(line, k, strlen(k)) != 0)
		return 0;
	char *id = line + strlen(k), *q = strchr(id, '"');
	if (!q)
		return 0;
	*q = '\0';
	return ats_device_id_ok(id) ? set_add(&l->json_ids, id) : 0;
}

size_t ats_prov_record_csv(const ats_prov_record *r, char *out, size_t cap)
{
	return (size_t)snprintf(out, cap, "%s,%s,%s,%s,%s\n", r->id, r->key_b64, r->serial, r->sha256,
				r->time);
}

size_t ats_prov_record_json(const ats_prov_record *r, char *out, size_t cap)
{
	/* Every field is from a fixed alphabet (ids are checked): nothing needs escaping. */
	return (size_t)snprintf(out, cap,
				"{\"device_id\":\"%s\",\"dha_public_key\":\"%s\",\"serial\":\"%s\","
				"\"sha256_fingerprint\":\"%s\",\"time\":\"%s\"}\n",
				r->id, r->key_b64, r->serial, r->sha256, r->time);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A file that does not end in '\n' holds a torn line: end it so the next record starts clean. */
static int end_torn_line(int fd)
{
	struct stat st;
	char last;
	if (fstat(fd, &st) != 0)
		return -1;
	if (st.st_size == 0 || pread(fd, &last, 1, st.st_size - 1) != 1 || last == '\n')
		return 0;
	return write_all(fd, "\n", 1);
}

static int append(int fd, const char *path, const ats_prov_record *r, size_t n, bool json,
		  ats_err *err)
{
	size_t cap = n * 400 + 1, len = 0;
	char *buf = malloc(cap);
	int rc = 0;
	if (!buf)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory writing the control log", path);
	for (size_t i = 0; i < n; i++)
		len += json ? ats_prov_record_json(&r[i], buf + len, cap - len) : ats_prov_record_csv(&r[i], buf + len, cap - len);
	if (end_torn_line(fd) != 0 || write_all(fd, buf, len) != 0 || fdatasync(fd) != 0)
		rc = ats_err_set(err, ATS_EIO, "%s: cannot append: %s", path, strerror(errno));
	free(buf);
	return rc;
}

void ats_prov_log_lock(ats_prov_log *l)
{
	pthread_mutex_lock(&l->mu);
	while (flock(l->csv, LOCK_EX) != 0 && errno == EINTR)
		;
}

void ats_prov_log_unlock(ats_prov_log *l)
{
	flock(l->csv, LOCK_UN);
	pthread_mutex_unlock(&l->mu);
}

int ats_prov_log_refresh(ats_prov_log *l, ats_err *err)
{
	if (read_lines(l->csv, &l->csv_off, on_csv, l) != 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot read it", l->csv_path);
	return 0;
}

int ats_prov_log_append(ats_prov_log *l, const ats_prov_record *r, size_t n, ats_err *err)
{
	int rc;
	if (n == 0)
		return 0;
	if ((rc = append(l->csv, l->csv_path, r, n, false, err)) != 0 ||
	    (rc = append(l->jsonl, l->jsonl_path, r, n, true, err)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		unsigned char d[32];
		ats_sha256(r[i].key_b64, strlen(r[i].key_b64), d);
		if (set_add(&l->ids, r[i].id) != 0 || set_add(&l->json_ids, r[i].id) != 0 ||
		    ats_keyset_add(&l->keys, d) < 0)
			return ats_err_set(err, ATS_ENOMEM, "control log: out of memory indexing device %s", r[i].id);
	}
	/* Our own lines are read: skip them next refresh only if nobody wrote in between, which a
	 * refresh sorts out anyway (re-adding an id is harmless). */
	return 0;
}

bool ats_prov_log_has(const ats_prov_log *l, const char *id)
{
	return set_has(&l->ids, id);
}

bool ats_prov_log_has_key(const ats_prov_log *l, const char *key_b64)
{
	unsigned char d[32];
	ats_sha256(key_b64, strlen(key_b64), d);
	return ats_keyset_has(&l->keys, d);
}

size_t ats_prov_log_count(const ats_prov_log *l)
{
	return l->ids.n;
}

typedef struct missing_ctx {
	ats_prov_log *l;
	ats_prov_record *v;
	size_t n, cap;
} missing_ctx;

static int on_csv_missing_json(void *ctx, char *line)
{
	missing_ctx *m = ctx;
	ats_prov_record r;
	if (strncmp(line, csv_header, strlen(csv_header) - 1) == 0 || ats_prov_record_parse(line, &r) != 0 ||
	    set_has(&m->l->json_ids, r.id))
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		ats_prov_record *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = r;
	return 0;
}

static int open_log(int outfd, const char *name, int *fd, ats_err *err, const char *path)
{
	*fd = openat(outfd, name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd < 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot open: %s", path, strerror(errno));
	return 0;
}

int ats_prov_log_open(int outfd, const char *out_dir, ats_prov_log **out, ats_err *err)
{
	ats_prov_log *l = calloc(1, sizeof(*l));
	missing_ctx m = {0};
	struct stat st;
	off_t joff = 0;
	int rc;

	*out = NULL;
	if (!l)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the control log", out_dir);
	l->csv = l->jsonl = -1;
	pthread_mutex_init(&l->mu, NULL);
	snprintf(l->csv_path, sizeof(l->csv_path), "%s/%s", out_dir, CSV_NAME);
	snprintf(l->jsonl_path, sizeof(l->jsonl_path), "%s/%s", out_dir, JSONL_NAME);
	if ((rc = open_log(outfd, CSV_NAME, &l->csv, err, l->csv_path)) != 0 ||
	    (rc = open_log(outfd, JSONL_NAME, &l->jsonl, err, l->jsonl_path)) != 0)
		goto fail;
	ats_prov_log_lock(l);
	if (fstat(l->csv, &st) == 0 && st.st_size == 0 &&
	    (write_all(l->csv, csv_header, strlen(csv_header)) != 0 || fdatasync(l->csv) != 0)) {
		rc = ats_err_set(err, ATS_EIO, "%s: cannot write: %s", l->csv_path, strerror(errno));
	} else if (read_lines(l->jsonl, &joff, on_jsonl, l) != 0) {
		rc = ats_err_set(err, ATS_EIO, "%s: cannot read it", l->jsonl_path);
	} else {
		off_t off = 0;
		m.l = l;
		rc = ats_prov_log_refresh(l, err);
		if (rc == 0 && read_lines(l->csv, &off, on_csv_missing_json, &m) != 0)
			rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the control log", out_dir);
		if (rc == 0 && m.n)
			rc = append(l->jsonl, l->jsonl_path, m.v, m.n, true, err);
	}
	ats_prov_log_unlock(l);
	free(m.v);
	if (rc != 0)
		goto fail;
	*out = l;
	return 0;
fail:
	ats_prov_log_close(l);
	return rc;
}

void ats_prov_log_close(ats_prov_log *l)
{
	if (!l)
		return;
	if (l->csv >= 0)
		close(l->csv);
	if (l->jsonl >= 0)
		close(l->jsonl);
	set_free(&l->ids);
	set_free(&l->json_ids);
	ats_keyset_free(&l->keys);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
