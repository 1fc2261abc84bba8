#include "store/store.h"

#include "store/catalog.h"
#include "base/der.h"
#include "base/pem.h"
#include "base/rootfs.h"
#include "base/util.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ats_store_kind_name(ats_store_kind k)
{
	switch (k) {
	case ATS_STORE_BUNDLE: return "bundle";
	case ATS_STORE_CAPATH: return "capath";
	default: return "debian-selection";
	}
}

static ats_store *store_new(ats_store_kind kind, const char *root, const char *path)
{
	char host[PATH_MAX];
	ats_err err = {0};
	ats_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->kind = kind;
	s->path = strdup(path);
	s->labels = json_array();
	s->problems = json_array();
	if (ats_root_path(root, path, host, sizeof(host), &err) != 0) {
		s->error = strdup(err.msg);
		s->host_path = strdup(path);
	} else {
		s->host_path = strdup(host);
	}
	if (!s->path || !s->labels || !s->problems || !s->host_path) {
		ats_store_free(s);
		return NULL;
	}
	return s;
}

void ats_store_free(ats_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->certs[i].der);
		free(s->certs[i].file);
	}
	free(s->certs);
	free(s->path);
	free(s->host_path);
	free(s->error);
	json_decref(s->labels);
	json_decref(s->aliases);
	json_decref(s->problems);
	free(s);
}

static void add_problem(ats_store *s, const char *file, int line, int index, const char *msg)
{
	if (json_array_size(s->problems) >= ATS_STORE_PROBLEMS_MAX) {
		s->problems_omitted++;
		return;
	}
	json_t *p = json_pack("{s:s, s:i, s:i, s:s}", "file", file, "line", line, "entry", index,
			      "message", msg);
	if (p)
		json_array_append_new(s->problems, p);
}

struct scan_ctx {
	ats_store *s;
	const char *file; /* as the device sees it */
};

static void on_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	struct scan_ctx *c = ctx;
	ats_store *s = c->s;
	ats_der_cert dc;
	unsigned char sha[32];

	ats_sha256(der, len, sha);
	for (size_t i = 0; i < s->n; i++) /* the same certificate twice is one anchor */
		if (memcmp(s->certs[i].sha256, sha, 32) == 0)
			return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		ats_store_cert *v = realloc(s->certs, cap * sizeof(*v));
		if (!v) {
			add_problem(s, c->file, pos.line, pos.index,
				    "out of memory: this certificate was not read");
			return;
		}
		s->certs = v;
		s->cap = cap;
	}
	ats_store_cert *sc = &s->certs[s->n];
	memset(sc, 0, sizeof(*sc));
	sc->der = malloc(len);
	sc->file = strdup(c->file);
	if (!sc->der || !sc->file || ats_der_cert_read(der, len, &dc) != 0) {
		add_problem(s, c->file, pos.line, pos.index,
			    !sc->der || !sc->file ? "out of memory: this certificate was not read"
						  : "not a certificate atscheck can read (its DER is "
						    "malformed): left out");
		free(sc->der);
		free(sc->file);
		return;
	}
	memcpy(sc->der, der, len);
	sc->len = len;
	memcpy(sc->sha256, sha, 32);
	ats_sha256(dc.spki.p, dc.spki.n, sc->spki_sha256);
	sc->line = pos.line;
	sc->index = pos.index;
	s->n++;
}

static void on_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	struct scan_ctx *c = ctx;
	add_problem(c->s, c->file, pos.line, pos.index, msg);
}

/* Reads one file of a store; a failure is a problem of the store (or its error for a bundle). */
static int scan_file(ats_store *s, const char *host, const char *shown)
{
	unsigned char *data = NULL;
	size_t len = 0;
	ats_err err = {0};
	struct scan_ctx c = {s, shown};
	ats_cert_sink sink = {&c, on_cert, on_problem};

	if (ats_file_read(host, shown, &data, &len, &err) != 0) {
		if (s->kind == ATS_STORE_BUNDLE) /* the file is the store: its error, not an entry's */
			s->error = strdup(err.msg);
		else
			add_problem(s, shown, 0, 0, err.msg);
		return -1;
	}
	int n = ats_certs_scan(data, len, &sink);
	free(data);
	return n;
}

ats_store *ats_store_load_bundle(const char *root, const char *path)
{
	ats_store *s = store_new(ATS_STORE_BUNDLE, root, path);
	if (!s || s->error)
		return s;
	if (scan_file(s, s->host_path, path) >= 0 && s->n == 0 && json_array_size(s->problems) == 0)
		add_problem(s, path, 0, 0, "no certificates in this file");
	return s;
}

static bool is_hash_name(const char *n)
{
	int i = 0;
	for (; i < 8; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	if (n[i++] != '.' || !n[i])
		return false;
	for (; n[i]; i++)
		if (n[i] < '0' || n[i] > '9')
			return false;
	return true;
}

/* Subject hash of a DER certificate as OpenSSL's hashed-directory lookup computes it. */
static int subject_hash(const unsigned char *der, size_t len, unsigned long *h)
{
	ats_der_cert c;
	const unsigned char *p;
	int ok = 0;
	if (ats_der_cert_read(der, len, &c) != 0)
		return -1;
	p = c.subject.p;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)c.subject.n);
	if (!name)
		return -1;
	*h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	X509_NAME_free(name);
	return ok ? 0 : -1;
}

/* Files in a hashed directory that are not reachable by their hash link are invisible to
 * OpenSSL: report each with the link it needs. */
typedef struct file_id {
	dev_t dev;
	ino_t ino;
} file_id;

static int cmp_file_id(const void *a, const void *b)
{
	const file_id *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void check_links(ats_store *s, const char *root, const char *shown, char **names, size_t n,
			const file_id *read, size_t nread)
{
	for (size_t i = 0; i < n; i++) {
		char host[PATH_MAX], file[PATH_MAX];
		struct stat st;
		unsigned char *data = NULL;
		size_t len;
		unsigned long h;
		ats_err err = {0};

		if (is_hash_name(names[i]))
			continue;
		snprintf(file, sizeof(file), "%s/%s", shown, names[i]);
		if (ats_root_path(root, file, host, sizeof(host), &err) != 0)
			continue;
		/* Bundles (ca-certificates.crt) live here too; only single certificates need links. */
		if (stat(host, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024)
			continue;
		/* The very file a hash link led to (Debian's name.pem and its hash link are two links to
		 * one file): its certificates are in the store already, no need to read it again. */
		file_id id = {st.st_dev, st.st_ino};
		if (nread && bsearch(&id, read, nread, sizeof(*read), cmp_file_id))
			continue;
		if (ats_file_read(host, names[i], &data, &len, &err) != 0)
			continue;
		/* A small bundle is a bundle too: OpenSSL only looks up single certificates here. */
		const char *begin = "-----BEGIN CERTIFICATE-----";
		unsigned char *first = memmem(data, len, begin, strlen(begin));
		if (first && memmem(first + 1, len - (size_t)(first + 1 - data), begin, strlen(begin))) {
			free(data);
			continue;
		}
		unsigned char *der = NULL;
		size_t dlen = 0;
		bool found = false;
		if (ats_pem_decode_first((char *)data, len, &der, &dlen) == 0 &&
		    subject_hash(der, dlen, &h) == 0) {
			unsigned char sha[32];
			ats_sha256(der, dlen, sha);
			for (size_t k = 0; k < s->n && !found; k++)
				found = memcmp(s->certs[k].sha256, sha, 32) == 0;
			if (!found) {
				char msg[512];
				snprintf(msg, sizeof(msg),
					 "has no hash link %08lx.N, so OpenSSL will not find it in this "
					 "directory (fix: update-ca-certificates, or openssl rehash %s)",
					 h, shown);
				add_problem(s, file, 0, 0, msg);
			}
		}
		free(der);
		free(data);
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

ats_store *ats_store_load_capath(const char *root, const char *path)
{
	ats_store *s = store_new(ATS_STORE_CAPATH, root, path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;
	struct dirent *e;

	if (!s || s->error)
		return s;
	d = opendir(s->host_path);
	if (!d) {
		char msg[PATH_MAX + 64];
		snprintf(msg, sizeof(msg), "%s: %s", path,
			 errno == ENOTDIR ? "is a file, expected a directory" : strerror(errno));
		s->error = strdup(msg);
		return s;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			char **v = realloc(names, cap * sizeof(*v));
			if (!v)
				break;
			names = v;
		}
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	if (n) /* an empty folder has no list (qsort must not be given NULL) */
		qsort(names, n, sizeof(*names), cmp_names); /* stable order, stable reports */
	/* The files read through hash links (at most one per folder entry), by device and inode. */
	file_id *read = n ? malloc(n * sizeof(*read)) : NULL;
	size_t nread = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_hash_name(names[i]))
			continue;
		char host[PATH_MAX], shown[PATH_MAX];
		snprintf(host, sizeof(host), "%s/%s", s->host_path, names[i]);
		snprintf(shown, sizeof(shown), "%s/%s", path, names[i]);
		/* A link in the image may point anywhere in the image: resolve it there. */
		if (root && *root) {
			ats_err err = {0};
			char img[PATH_MAX];
			snprintf(img, sizeof(img), "%s/%s", ats_root_strip(root, s->host_path), names[i]);
			if (ats_root_path(root, img, host, sizeof(host), &err) != 0) {
				add_problem(s, shown, 0, 0, err.msg);
				continue;
			}
		}
		scan_file(s, host, shown);
		struct stat st;
		if (read && stat(host, &st) == 0)
			read[nread++] = (file_id){st.st_dev, st.st_ino};
	}
	if (nread)
		qsort(read, nread, sizeof(*read), cmp_file_id);
	check_links(s, root, path, names, n, read, nread);
	free(read);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return s;
}
