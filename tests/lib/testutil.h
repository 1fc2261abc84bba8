/* Helpers for the Criterion unit tests: scratch folders, files, and certificates from the
 * library's own PKI factory. Header-only so each test binary stays one file. */
#ifndef ATS_TESTUTIL_H
#define ATS_TESTUTIL_H

#include "store/catalog.h"
#include "base/pem.h"
#include "serve/pki.h"
#include "base/util.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define YEAR (365L * 86400L)

static inline char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/atscheck-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	cr_assert_not_null(d, "mkdtemp");
	return strdup(d);
}

static int tu_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void tu_rmtree(char *dir)
{
	if (dir) {
		nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(dir);
	}
}

static inline char *tu_path(const char *dir, const char *name)
{
	static char buf[8][PATH_MAX];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static inline void tu_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "open %s", path);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

static inline void tu_write_str(const char *path, const char *s)
{
	tu_write(path, s, strlen(s));
}

/* The embedded certificate of catalog entry i, parsed. */
static inline X509 *tu_catalog_x509(int i)
{
	unsigned char *der = NULL;
	size_t len;
	ats_err err = {0};
	cr_assert_eq(ats_catalog_der(ats_catalog_get(i), &der, &len, &err), 0, "%s", err.msg);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	free(der);
	cr_assert_not_null(x);
	return x;
}

/* A CA (self-signed unless issuer given) valid from a year ago for ten years. */
static inline X509 *tu_cert(const char *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
			    int ca)
{
	ats_err err = {0};
	time_t now = time(NULL);
	ats_pki_cert_opts o = {.subject = subject, .key = key, .issuer = issuer,
			       .issuer_key = issuer_key, .not_before = now - YEAR,
			       .not_after = now + 10 * YEAR, .ca = ca, .pathlen = -1};
	X509 *x = ats_pki_cert_new(&o, &err);
	cr_assert_not_null(x, "%s", err.msg);
	return x;
}

static inline EVP_PKEY *tu_key(const char *spec)
{
	ats_err err = {0};
	EVP_PKEY *k = ats_pki_key_new(spec, &err);
	cr_assert_not_null(k, "%s", err.msg);
	return k;
}

static inline void tu_write_certs(const char *path, X509 *const *certs, int n)
{
	ats_err err = {0};
	cr_assert_eq(ats_pem_write_certs(path, certs, n, &err), 0, "%s", err.msg);
}

#endif
