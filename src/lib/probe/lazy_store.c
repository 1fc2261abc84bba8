#include "probe/lazy_store.h"

#include "base/ats.h"
#include "base/der.h"
#include "base/pem.h"
#include "base/util.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One certificate of a scanned file: where its DER is in the arena, its subject's hash. */
typedef struct lazy_cert {
	size_t off, len;
	unsigned long subject_hash;
	bool loaded; /* handed to the store already */
} lazy_cert;

/* Every file one store loads lazily (one lookup per store holds them all). The arena holds the
 * DER of every certificate; both grow with the files, which ats_file_read bounds in size. */
typedef struct lazy_data {
	unsigned char *arena;
	size_t used, cap;
	lazy_cert *certs;
	size_t n, ncap;
	bool broken; /* an entry that is not a plain certificate, or out of memory */
} lazy_data;

static void lazy_data_free(lazy_data *d)
{
	if (!d)
		return;
	free(d->arena);
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
	(void)pos;
	if (d->broken)
		return;
	if (!subject_hash(der, len, &h) || grow((void **)&d->certs, &d->ncap, d->n + 1, sizeof(lazy_cert)) ||
	    grow((void **)&d->arena, &d->cap, d->used + len, 1)) {
		d->broken = true;
		return;
	}
	memcpy(d->arena + d->used, der, len);
	d->certs[d->n++] = (lazy_cert){.off = d->used, .len = len, .subject_hash = h};
	d->used += len;
}

static void on_problem(void *arg, ats_cert_pos pos, const char *msg)
{
	(void)pos;
	(void)msg;
	((lazy_data *)arg)->broken = true;
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
		const unsigned char *p = d->arena + c->off;
		X509 *x = d2i_X509(NULL, &p, (long)c->len);
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

/* A TRUSTED CERTIFICATE block carries trust settings OpenSSL's loader would keep: such a file,
 * like one with CRLs or broken blocks, goes to OpenSSL's loader whole. */
static bool has_trusted_blocks(const unsigned char *data, size_t len)
{
	static const char tag[] = "-----BEGIN TRUSTED CERTIFICATE-----";
	return memmem(data, len, tag, sizeof(tag) - 1) != NULL;
}

int ats_lazy_store_load_file(X509_STORE *st, const char *file)
{
	unsigned char *data = NULL;
	size_t len = 0;
	ats_err err = {0};
	lazy_data *scan = NULL;
	int rc = 0;

	pthread_once(&method_once, method_init);
	if (!method || ats_file_read(file, NULL, &data, &len, &err) != 0 || has_trusted_blocks(data, len))
		goto whole;
	scan = calloc(1, sizeof(*scan));
	if (!scan)
		goto whole;
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
		/* Append this file's certificates to the ones the lookup holds. */
		if (grow((void **)&d->arena, &d->cap, d->used + scan->used, 1) ||
		    grow((void **)&d->certs, &d->ncap, d->n + scan->n, sizeof(lazy_cert)))
			goto whole;
		memcpy(d->arena + d->used, scan->arena, scan->used);
		for (size_t i = 0; i < scan->n; i++) {
			d->certs[d->n + i] = scan->certs[i];
			d->certs[d->n + i].off += d->used;
		}
		d->n += scan->n;
		d->used += scan->used;
	}
	rc = 1;
	goto out;
whole:
	ERR_clear_error();
	rc = X509_STORE_load_file(st, file) == 1;
out:
	lazy_data_free(scan);
	free(data);
	return rc;
}
