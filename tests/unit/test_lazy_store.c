/* The lazily parsed CA file against OpenSSL's own X509_STORE_load_file: the same verification
 * result (verdict, error, depth, chain) for every case, with a system-sized bundle around them. */
#include "probe/lazy_store.h"

#include "testutil.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

typedef struct outcome {
	int ok, error, depth, chain_len;
	unsigned char anchor[32];
} outcome;

static X509_STORE *store_of(int lazy, const char *file)
{
	X509_STORE *st = X509_STORE_new();
	cr_assert_not_null(st);
	cr_assert_eq(lazy ? ats_lazy_store_load_file(st, file) : X509_STORE_load_file(st, file), 1,
		     "%s store: cannot load %s", lazy ? "lazy" : "full", file);
	return st;
}

static outcome verify_in(X509_STORE *st, X509 *leaf, STACK_OF(X509) *untrusted)
{
	outcome r = {0};
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	cr_assert_not_null(ctx);
	cr_assert_eq(X509_STORE_CTX_init(ctx, st, leaf, untrusted), 1);
	X509_STORE_CTX_set_default(ctx, "ssl_server");
	r.ok = X509_verify_cert(ctx);
	r.error = X509_STORE_CTX_get_error(ctx);
	r.depth = X509_STORE_CTX_get_error_depth(ctx);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	r.chain_len = chain ? sk_X509_num(chain) : 0;
	if (r.chain_len > 0) {
		unsigned int n = 0;
		X509_digest(sk_X509_value(chain, r.chain_len - 1), EVP_sha256(), r.anchor, &n);
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

static outcome verify_with(int lazy, const char *file, X509 *leaf, STACK_OF(X509) *untrusted)
{
	X509_STORE *st = store_of(lazy, file);
	outcome r = verify_in(st, leaf, untrusted);
	X509_STORE_free(st);
	return r;
}

static void same(const char *what, const char *file, X509 *leaf, STACK_OF(X509) *untrusted, int want_ok)
{
	outcome full = verify_with(0, file, leaf, untrusted), lazy = verify_with(1, file, leaf, untrusted);
	cr_expect_eq(lazy.ok, full.ok, "%s: verdict lazy %d, full %d", what, lazy.ok, full.ok);
	cr_expect_eq(lazy.error, full.error, "%s: error lazy %s, full %s", what,
		     X509_verify_cert_error_string(lazy.error), X509_verify_cert_error_string(full.error));
	cr_expect_eq(lazy.depth, full.depth, "%s: depth", what);
	cr_expect_eq(lazy.chain_len, full.chain_len, "%s: chain length lazy %d, full %d", what,
		     lazy.chain_len, full.chain_len);
	cr_expect_eq(memcmp(lazy.anchor, full.anchor, 32), 0, "%s: another anchor", what);
	cr_expect_eq(full.ok, want_ok, "%s: OpenSSL's own verdict is %d (the case is not what it says)",
		     what, full.ok);
}

/* The system bundle's certificates as filler (so lookups must find the right few), or the six
 * embedded ones when this machine has no bundle. */
static int filler(X509 **out, int max)
{
	int n = 0;
	FILE *f = fopen("/etc/ssl/certs/ca-certificates.crt", "r");
	X509 *x;
	while (f && n < max && (x = PEM_read_X509(f, NULL, NULL, NULL)))
		out[n++] = x;
	if (f)
		fclose(f);
	ERR_clear_error();
	for (int i = 0; n == 0 && i < ATS_CA_COUNT; i++)
		out[i] = tu_catalog_x509(i), n = i + 1;
	return n;
}

Test(lazy_store, same_verdicts_as_openssl_loading_the_whole_file)
{
	char *dir = tu_tmpdir();
	time_t now = time(NULL);
	EVP_PKEY *rk = tu_key("ec:P-256"), *ik = tu_key("ec:P-256"), *lk = tu_key("ec:P-256");
	EVP_PKEY *xk = tu_key("rsa:2048"), *ok = tu_key("ec:P-256");
	X509 *root = tu_cert("/CN=Lab Root", rk, NULL, NULL, 1);
	X509 *inter = tu_cert("/CN=Lab Inter", ik, root, rk, 1);
	/* The same root name and key, cross-signed by another CA: two certificates, one subject. */
	X509 *cross_ca = tu_cert("/CN=Lab Cross", xk, NULL, NULL, 1);
	X509 *root_cross = tu_cert("/CN=Lab Root", rk, cross_ca, xk, 1);
	X509 *other = tu_cert("/CN=Other Root", ok, NULL, NULL, 1);
	ats_pki_cert_opts lo = {.subject = "/CN=leaf", .key = lk, .issuer = inter, .issuer_key = ik,
				.not_before = now - 3600, .not_after = now + YEAR, .pathlen = -1};
	ats_err err = {0};
	X509 *leaf = ats_pki_cert_new(&lo, &err);
	cr_assert_not_null(leaf, "%s", err.msg);
	lo.subject = "/CN=expired leaf", lo.not_after = now - 60, lo.not_before = now - YEAR;
	X509 *expired = ats_pki_cert_new(&lo, &err);
	cr_assert_not_null(expired, "%s", err.msg);
	/* A name that differs only in case and spacing: OpenSSL's canonical comparison matches it. */
	X509 *root_case = tu_cert("/CN=lab   ROOT", rk, NULL, NULL, 1);

	X509 *all[400];
	int n = filler(all, 380);
	STACK_OF(X509) *with_inter = sk_X509_new_null();
	sk_X509_push(with_inter, inter);

	struct {
		const char *what;
		X509 *extra[3];
		X509 *leaf;
		STACK_OF(X509) *untrusted;
		int want_ok;
	} cases[] = {
		{"root and intermediate in the file", {root, inter}, leaf, NULL, 1},
		{"root in the file, intermediate sent", {root}, leaf, with_inter, 1},
		{"root and its cross-sign in the file", {root_cross, root, cross_ca}, leaf, with_inter, 1},
		{"only the cross-sign and its CA", {root_cross, cross_ca}, leaf, with_inter, 1},
		{"only the cross-sign, its CA absent", {root_cross}, leaf, with_inter, 0},
		{"the root's name in other case and spacing", {root_case}, leaf, with_inter, 1},
		{"an unrelated root", {other}, leaf, with_inter, 0},
		{"intermediate missing everywhere", {root}, leaf, NULL, 0},
		{"an expired leaf", {root, inter}, expired, NULL, 0},
		{"a trusted root as its own leaf", {root}, root, NULL, 1},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		X509 *certs[404];
		int k = 0;
		for (int i = 0; i < n / 2; i++)
			certs[k++] = all[i];
		for (int i = 0; i < 3 && cases[c].extra[i]; i++)
			certs[k++] = cases[c].extra[i];
		for (int i = n / 2; i < n; i++)
			certs[k++] = all[i];
		char *file = tu_path(dir, "bundle.pem");
		tu_write_certs(file, certs, k);
		same(cases[c].what, file, cases[c].leaf, cases[c].untrusted, cases[c].want_ok);
	}
	/* Every certificate of the filler verifies (or not) alike as its own leaf. */
	char *file = tu_path(dir, "filler.pem");
	tu_write_certs(file, all, n);
	X509_STORE *full = store_of(0, file), *lazy = store_of(1, file);
	for (int i = 0; i < n; i++) {
		outcome a = verify_in(full, all[i], NULL), b = verify_in(lazy, all[i], NULL);
		cr_expect(a.ok == b.ok && a.error == b.error && a.chain_len == b.chain_len,
			  "filler certificate %d: lazy and full differ", i);
	}
	X509_STORE_free(full);
	X509_STORE_free(lazy);

	sk_X509_free(with_inter);
	for (int i = 0; i < n; i++)
		X509_free(all[i]);
	X509 *xs[] = {root, inter, cross_ca, root_cross, other, leaf, expired, root_case};
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		X509_free(xs[i]);
	EVP_PKEY *ks[] = {rk, ik, lk, xk, ok};
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
		EVP_PKEY_free(ks[i]);
	tu_rmtree(dir);
}

Test(lazy_store, a_file_it_cannot_scan_is_loaded_whole)
{
	char *dir = tu_tmpdir();
	EVP_PKEY *rk = tu_key("ec:P-256"), *lk = tu_key("ec:P-256");
	X509 *root = tu_cert("/CN=Lab Root", rk, NULL, NULL, 1);
	X509 *leaf = tu_cert("/CN=leaf", lk, root, rk, 0);
	char *file = tu_path(dir, "mixed.pem");
	tu_write_certs(file, &root, 1);
	/* A broken block after the root: OpenSSL's loader decides, and both agree. */
	FILE *f = fopen(file, "a");
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	X509_STORE *st = X509_STORE_new();
	int lazy_rc = ats_lazy_store_load_file(st, file);
	X509_STORE_free(st);
	st = X509_STORE_new();
	int full_rc = X509_STORE_load_file(st, file);
	X509_STORE_free(st);
	ERR_clear_error();
	cr_expect_eq(lazy_rc, full_rc, "load result lazy %d, full %d", lazy_rc, full_rc);
	if (full_rc == 1)
		same("a broken block after the root", file, leaf, NULL, 1);
	st = X509_STORE_new();
	cr_expect_eq(ats_lazy_store_load_file(st, tu_path(dir, "absent.pem")), 0, "a missing file loads");
	X509_STORE_free(st);
	ERR_clear_error();
	X509_free(root);
	X509_free(leaf);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(lk);
	tu_rmtree(dir);
}

static void write_bytes(const char *file, const unsigned char *d, size_t n)
{
	FILE *f = fopen(file, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(d, 1, n, f), n);
	fclose(f);
}

/* The store keeps no certificate, only where each is in its file: a lookup reads the range back.
 * A file OpenSSL's loader reads otherwise (DER certificates back to back, PKCS#7 in DER and in
 * PEM: it takes none of them, as libcurl's CA file) loads as OpenSSL loads it; two files make one
 * store; a file replaced under its name after loading is still read through the descriptor the
 * load opened; one truncated in place finds nothing, as if the root had gone. */
static int load_rc(int lazy, const char *file)
{
	X509_STORE *st = X509_STORE_new();
	int rc = lazy ? ats_lazy_store_load_file(st, file) : X509_STORE_load_file(st, file);
	X509_STORE_free(st);
	ERR_clear_error();
	return rc;
}

Test(lazy_store, read_back_from_every_form_of_file)
{
	char *dir = tu_tmpdir();
	EVP_PKEY *rk = tu_key("ec:P-256"), *ik = tu_key("ec:P-256"), *lk = tu_key("ec:P-256");
	X509 *root = tu_cert("/CN=Lab Root", rk, NULL, NULL, 1);
	X509 *inter = tu_cert("/CN=Lab Inter", ik, root, rk, 1);
	X509 *leaf = tu_cert("/CN=leaf", lk, inter, ik, 0);
	X509 *all[40];
	int n = filler(all, 30);
	cr_assert_gt(n, 2);
	X509 *with[64];
	int k = 0;
	for (int i = 0; i < n; i++) {
		with[k++] = all[i];
		if (i == n / 2)
			with[k++] = root, with[k++] = inter;
	}
	/* DER, back to back */
	unsigned char *der = NULL;
	size_t dn = 0;
	for (int i = 0; i < k; i++) {
		unsigned char *one = NULL;
		int m = i2d_X509(with[i], &one);
		cr_assert_gt(m, 0);
		der = realloc(der, dn + (size_t)m);
		memcpy(der + dn, one, (size_t)m);
		dn += (size_t)m;
		OPENSSL_free(one);
	}
	char *f_der = tu_path(dir, "bundle.der");
	write_bytes(f_der, der, dn);
	cr_expect_eq(load_rc(1, f_der), load_rc(0, f_der), "DER certificates back to back");
	/* PKCS#7, DER and PEM */
	PKCS7 *p7 = PKCS7_new();
	cr_assert(PKCS7_set_type(p7, NID_pkcs7_signed));
	cr_assert(PKCS7_content_new(p7, NID_pkcs7_data));
	for (int i = 0; i < k; i++)
		cr_assert(PKCS7_add_certificate(p7, with[i]));
	unsigned char *p7der = NULL;
	int p7n = i2d_PKCS7(p7, &p7der);
	cr_assert_gt(p7n, 0);
	char *f_p7 = tu_path(dir, "bundle.p7b");
	write_bytes(f_p7, p7der, (size_t)p7n);
	char *f_p7pem = tu_path(dir, "bundle.p7.pem");
	FILE *f = fopen(f_p7pem, "w");
	cr_assert(PEM_write_PKCS7(f, p7));
	fclose(f);
	cr_expect_eq(load_rc(1, f_p7), load_rc(0, f_p7), "PKCS#7 in DER");
	cr_expect_eq(load_rc(1, f_p7pem), load_rc(0, f_p7pem), "PKCS#7 in PEM");
	if (load_rc(0, f_p7pem) == 1)
		same("PKCS#7 in PEM", f_p7pem, leaf, NULL, 0);
	X509_STORE *st;
	/* Two files, the root in one, the intermediate in the other */
	char *f_root = tu_path(dir, "root.pem"), *f_inter = tu_path(dir, "inter.pem");
	tu_write_certs(f_root, all, n); /* filler first: the root is not the file's first */
	f = fopen(f_root, "a");
	cr_assert(PEM_write_X509(f, root));
	fclose(f);
	tu_write_certs(f_inter, &inter, 1);
	st = X509_STORE_new();
	cr_assert_eq(ats_lazy_store_load_file(st, f_inter), 1);
	cr_assert_eq(ats_lazy_store_load_file(st, f_root), 1);
	cr_expect_eq(verify_in(st, leaf, NULL).ok, 1, "two files in one store");
	X509_STORE_free(st);
	/* Replaced under its name after loading: the descriptor still reads what was loaded */
	char *f_pem = tu_path(dir, "bundle.pem");
	tu_write_certs(f_pem, with, k);
	st = X509_STORE_new();
	cr_assert_eq(ats_lazy_store_load_file(st, f_pem), 1);
	char *f_new = tu_path(dir, "other.pem");
	write_bytes(f_new, (const unsigned char *)"not a certificate", 17);
	cr_assert_eq(rename(f_new, f_pem), 0);
	cr_expect_eq(verify_in(st, leaf, NULL).ok, 1, "a file replaced after loading");
	X509_STORE_free(st);
	/* Truncated in place after loading: nothing is found, nothing breaks */
	tu_write_certs(f_pem, with, k);
	st = X509_STORE_new();
	cr_assert_eq(ats_lazy_store_load_file(st, f_pem), 1);
	cr_assert_eq(truncate(f_pem, 10), 0);
	outcome o = verify_in(st, leaf, NULL);
	cr_expect_eq(o.ok, 0, "a file truncated after loading still verified");
	cr_expect_eq(o.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "%s",
		     X509_verify_cert_error_string(o.error));
	X509_STORE_free(st);

	free(der);
	OPENSSL_free(p7der);
	PKCS7_free(p7);
	for (int i = 0; i < n; i++)
		X509_free(all[i]);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
	tu_rmtree(dir);
}
