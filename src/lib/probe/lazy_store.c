#include "probe/lazy_store.h"

#include "base/ats.h"
#include "base/der.h"
#include "base/pem.h"
#include "base/util.h"

#include <errno.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One certificate of a scanned file: where it is in its file, its subject's hash. */
typedef struct lazy_cert {
	size_t off, len; /* its PEM block in its file */
	int file; /* index into lazy_data.fds */
	unsigned long subject_hash;
	bool loaded; /* handed to the store already */
} lazy_cert;

/* Files one store loads lazily: a probe's store is one CA file, or a few (--cacert and an SDK
 * config's); past this many the next file is loaded whole by OpenSSL. */
#define LAZY_MAX_FILES 16

/* Every file one store loads lazily (one lookup per store holds them all). No certificate's DER
 * is kept: each file's descriptor stays open, and a lookup reads back the few byte ranges a chain
 * asks for (a bundle's DER kept in memory was 160 KB of a probe's peak). The list grows with the
 * files, which ats_file_read bounds in size. */
typedef struct lazy_data {
	int fds[LAZY_MAX_FILES];
	size_t nfd;
	lazy_cert *certs;
	size_t n, ncap;
	bool broken; /* an entry that is not a plain certificate, or out of memory */
} lazy_data;

static void lazy_data_free(lazy_data *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfd; i++)
		close(d->fds[i]);
	free(d->certs);
	free(d);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* The canonical hash OpenSSL's own lookups use (X509_NAME_hash_ex), from the subject's DER. */
static bool subject_hash(const unsigned char *der, size_t len, unsigned long *h)
{
	ats_der_cert c;
	if (ats_der_cert_read(der, len, &c) != 0)
		return false;
	const unsigned char *p = c.subject.p;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)c.subject.n);
	int ok = 0;
	if (name)
		*h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	X509_NAME_free(name);
	return ok == 1;
}

static void on_cert(void *arg, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	lazy_data *d = arg;
	unsigned long h = 0;
	if (d->broken)
		return;
	if (!subject_hash(der, len, &h) || grow((void **)&d->certs, &d->ncap, d->n + 1, sizeof(lazy_cert))) {
		d->broken = true;
		return;
	}
	d->certs[d->n++] = (lazy_cert){.off = pos.off, .len = pos.len, .subject_hash = h};
}

static void on_problem(void *arg, ats_cert_pos pos, const char *msg)
{
	(void)pos;
	(void)msg;
	((lazy_data *)arg)->broken = true;
}

/* The certificate c names, read back from its file: NULL when its block no longer holds one (the
 * file changed since the scan; the subject is then compared again by the caller anyway). */
static void pick_cert(void *arg, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	X509 **x = arg;
	const unsigned char *p = der;
	(void)pos;
	if (!*x)
		*x = d2i_X509(NULL, &p, (long)len);
}

static X509 *read_back(const lazy_data *d, const lazy_cert *c)
{
	unsigned char *buf = malloc(c->len + 1);
	size_t got = 0;
	X509 *x = NULL;
	if (!buf)
		return NULL;
	while (got < c->len) {
		ssize_t r = pread(d->fds[c->file], buf + got, c->len - got, (off_t)(c->off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == c->len) {
		ats_cert_sink sink = {&x, pick_cert, NULL};
		ats_certs_scan(buf, got, &sink);
	}
	free(buf);
	return x;
}

/* Called by OpenSSL when a verification asks for a subject the store has not cached: parses
 * every certificate of that subject, adds them to the store (which caches them, as the hashed
 * directory lookup does), and returns the first. */
static int lazy_get_by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
			       X509_OBJECT *ret)
{
	lazy_data *d = X509_LOOKUP_get_method_data(lu);
	X509_STORE *st = X509_LOOKUP_get_store(lu);
	X509 *first = NULL;
	int ok = 0;

	if (!d || type != X509_LU_X509 || !name)
		return 0;
	unsigned long h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (ok != 1)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		lazy_cert *c = &d->certs[i];
		if (c->subject_hash != h || c->loaded)
			continue;
		X509 *x = read_back(d, c);
		if (!x)
			continue;
		c->loaded = true;
		if (X509_NAME_cmp(X509_get_subject_name(x), name) == 0 && X509_STORE_add_cert(st, x) == 1 &&
		    !first)
			first = x; /* the store holds it */
		X509_free(x);
	}
	ERR_clear_error();
	if (!first)
		return 0;
	/* ret is borrowed, as OpenSSL's own lookups fill it: the caller takes its own reference and
	 * never frees ret, so the store's reference is the only one. */
	ok = X509_OBJECT_set1_X509(ret, first);
	if (ok)
		X509_free(first);
	return ok;
}

static void lazy_free(X509_LOOKUP *lu)
{
	lazy_data_free(X509_LOOKUP_get_method_data(lu));
}

static X509_LOOKUP_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static void method_init(void)
{
	X509_LOOKUP_METHOD *m = X509_LOOKUP_meth_new("atscheck lazy CA file");
	if (m && X509_LOOKUP_meth_set_get_by_subject(m, lazy_get_by_subject) &&
	    X509_LOOKUP_meth_set_free(m, lazy_free))
		method = m;
	else
		X509_LOOKUP_meth_free(m);
}

/* What OpenSSL's loader (PEM_X509_INFO_read_bio) takes exactly as this scan does: PEM, with
 * CERTIFICATE blocks. A file it reads otherwise goes to it whole: DER and PKCS#7 (which it does
 * not read at all: nor does libcurl, whose CA file it is), TRUSTED CERTIFICATE (trust settings it
 * would keep), and, through the scan's problems, CRLs and broken blocks. */
static bool scan_reads_as_openssl(const unsigned char *data, size_t len)
{
	static const char *const not_ours[] = {"-----BEGIN TRUSTED CERTIFICATE-----",
					       "-----BEGIN PKCS7-----", "-----BEGIN CERTIFICATES-----"};
	if (!memmem(data, len, "-----BEGIN ", 11))
		return false;
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
		if (memmem(data, len, not_ours[i], strlen(not_ours[i])))
			return false;
	return true;
}

int ats_lazy_store_load_file(X509_STORE *st, const char *file)
{
	unsigned char *data = NULL;
	size_t len = 0;
	ats_err err = {0};
	lazy_data *scan = NULL;
	int rc = 0, fd = -1;

	pthread_once(&method_once, method_init);
	if (!method || ats_file_read_keep(file, NULL, &fd, &data, &len, &err) != 0 ||
	    !scan_reads_as_openssl(data, len))
		goto whole;
	scan = calloc(1, sizeof(*scan));
	if (!scan)
		goto whole;
	scan->fds[scan->nfd++] = fd; /* the scan holds it now */
	fd = -1;
	ats_cert_sink sink = {scan, on_cert, on_problem};
	int found = ats_certs_scan(data, len, &sink);
	if (scan->broken || found <= 0)
		goto whole;

	/* One lookup per store holds every lazily loaded file: add_lookup returns the one there. */
	X509_LOOKUP *lu = X509_STORE_add_lookup(st, method);
	if (!lu)
		goto whole;
	lazy_data *d = X509_LOOKUP_get_method_data(lu);
	if (!d) {
		X509_LOOKUP_set_method_data(lu, scan);
		scan = NULL;
	} else {
		/* Append this file's certificates (and its descriptor) to the ones the lookup holds. */
		if (d->nfd == LAZY_MAX_FILES ||
		    grow((void **)&d->certs, &d->ncap, d->n + scan->n, sizeof(lazy_cert)))
			goto whole;
		for (size_t i = 0; i < scan->n; i++) {
			d->certs[d->n + i] = scan->certs[i];
			d->certs[d->n + i].file = (int)d->nfd;
		}
		d->n += scan->n;
		d->fds[d->nfd++] = scan->fds[0];
		scan->nfd = 0;
	}
	rc = 1;
	goto out;
whole:
	ERR_clear_error();
	rc = X509_STORE_load_file(st, file) == 1;
out:
	if (fd >= 0)
		close(fd);
	lazy_data_free(scan);
	free(data);
	return rc;
}
