/* The CSR checks of dha sign on requests made here with OpenSSL's own encoder: each check named
 * and each broken input refused by the right one (and never read outside its input: ASan); the
 * 32-byte digest set the batch and the log merge count on. */
#include "dha/dha_csr.h"
#include "base/pem.h"
#include "dha/keyset.h"
#include "testutil.h"

#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static X509_NAME *name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Example Devices Inc.", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

/* A CSR for key with subject cn, signed with md, as DER (malloc'd). */
static unsigned char *csr(EVP_PKEY *key, const char *cn, const EVP_MD *md, bool ext, size_t *n)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *nm = name(cn);
	X509_REQ_set_version(r, 0);
	X509_REQ_set_subject_name(r, nm);
	X509_REQ_set_pubkey(r, key);
	if (ext) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:x.example"));
		X509_REQ_add_extensions(r, exts);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	cr_assert(X509_REQ_sign(r, key, md) > 0);
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(r, &der);
	cr_assert_gt(len, 0);
	unsigned char *copy = malloc((size_t)len + 1);
	memcpy(copy, der, (size_t)len);
	OPENSSL_free(der);
	X509_NAME_free(nm);
	X509_REQ_free(r);
	*n = (size_t)len;
	return copy;
}

typedef struct fixture {
	unsigned char *subj;
	ats_csr_checker ck;
	EVP_PKEY *scratch;
} fixture;

static void setup(fixture *f, const unsigned char *dak_point)
{
	X509_NAME *nm = name("Example Speaker DHA");
	f->subj = NULL;
	int n = i2d_X509_NAME(nm, &f->subj);
	X509_NAME_free(nm);
	f->ck.subject = f->subj;
	f->ck.subject_len = (size_t)n;
	f->ck.dak_point = dak_point;
	f->scratch = NULL;
}

static void teardown(fixture *f)
{
	OPENSSL_free(f->subj);
	EVP_PKEY_free(f->scratch);
}

Test(dha_csr, a_good_csr_passes_every_check_pem_and_der)
{
	fixture f;
	setup(&f, NULL);
	EVP_PKEY *k = tu_key("ec:P-256");
	size_t n;
	unsigned char *der = csr(k, "Example Speaker DHA", EVP_sha256(), false, &n);
	ats_csr_result r;
	cr_assert_eq(ats_csr_check(&f.ck, &f.scratch, der, n, &r), 0, "%s", r.msg[r.failed < 0 ? 0 : r.failed]);
	for (int i = 0; i < ATS_CSR_NCHECKS; i++)
		cr_assert_eq(r.status[i], ATS_CSR_PASS, "%s: %s", ats_csr_check_names[i], r.msg[i]);
	char pem[4096];
	size_t pn = ats_pem_encode(der, n, "CERTIFICATE REQUEST", pem);
	cr_assert_eq(ats_csr_check(&f.ck, &f.scratch, (unsigned char *)pem, pn, &r), 0);
	/* the point is the key's */
	unsigned char *spki = NULL;
	int sl = i2d_PUBKEY(k, &spki);
	cr_assert_eq(sl, ATS_P256_SPKI_LEN);
	cr_assert_eq(memcmp(r.point, spki + 26, ATS_P256_POINT_LEN), 0);
	OPENSSL_free(spki);
	free(der);
	EVP_PKEY_free(k);
	teardown(&f);
}

Test(dha_csr, sha384_signature_and_requested_extensions)
{
	fixture f;
	setup(&f, NULL);
	EVP_PKEY *k = tu_key("ec:P-256");
	size_t n;
	unsigned char *der = csr(k, "Example Speaker DHA", EVP_sha384(), true, &n);
	ats_csr_result r;
	cr_assert_eq(ats_csr_check(&f.ck, &f.scratch, der, n, &r), 0);
	cr_assert(strstr(r.msg[ATS_CSR_SIGNATURE], "SHA384"));
	cr_assert(strstr(r.dropped, "Subject Alternative Name"), "%s", r.dropped);
	cr_assert(strstr(r.msg[ATS_CSR_EXTENSIONS], "dropped"));
	free(der);
	EVP_PKEY_free(k);
	teardown(&f);
}

static int failed_check(fixture *f, const unsigned char *der, size_t n, ats_csr_result *r)
{
	int rc = ats_csr_check(&f->ck, &f->scratch, der, n, r);
	cr_assert_eq(rc, 1);
	return r->failed;
}

Test(dha_csr, each_fault_is_refused_by_its_check)
{
	fixture f;
	EVP_PKEY *k = tu_key("ec:P-256"), *rsa = tu_key("rsa:2048"), *p384 = tu_key("ec:P-384");
	unsigned char *kspki = NULL;
	i2d_PUBKEY(k, &kspki);
	setup(&f, kspki + 26); /* k plays the DAK */
	size_t n;
	ats_csr_result r;
	unsigned char *der;

	der = csr(k, "Example Speaker DHA", EVP_sha256(), false, &n);
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_DAK_KEY);
	free(der);
	der = csr(rsa, "Example Speaker DHA", EVP_sha256(), false, &n);
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_KEY);
	cr_assert(strstr(r.msg[ATS_CSR_KEY], "RSA"));
	free(der);
	der = csr(p384, "Example Speaker DHA", EVP_sha256(), false, &n);
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_KEY);
	cr_assert(strstr(r.msg[ATS_CSR_KEY], "another curve"));
	free(der);

	EVP_PKEY *d = tu_key("ec:P-256");
	der = csr(d, "Someone Else", EVP_sha256(), false, &n);
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_SUBJECT);
	cr_assert(strstr(r.msg[ATS_CSR_SUBJECT], "Someone Else") && strstr(r.msg[ATS_CSR_SUBJECT], "Example Speaker DHA"));
	free(der);

	der = csr(d, "Example Speaker DHA", EVP_sha256(), false, &n);
	der[n - 1] ^= 1; /* inside the signature */
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_SIGNATURE);
	der[n - 1] ^= 1;
	der[n] = 0; /* one byte after it */
	cr_assert_eq(failed_check(&f, der, n + 1, &r), ATS_CSR_PARSES);
	/* every truncation is refused, and read within its bounds */
	for (size_t cut = 0; cut < n; cut++) {
		unsigned char *t = malloc(cut ? cut : 1);
		memcpy(t, der, cut);
		cr_assert_eq(ats_csr_check(&f.ck, &f.scratch, t, cut, &r), 1, "cut at %zu", cut);
		free(t);
	}
	/* a point off the curve: refused by the key check, with a fresh key and with a reused one */
	unsigned char *spki = memmem(der, n, "\x03\x42\x00\x04", 4);
	cr_assert(spki);
	spki[20] ^= 0x55;
	EVP_PKEY *saved = f.scratch;
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_KEY);
	cr_assert(strstr(r.msg[ATS_CSR_KEY], "not a point"));
	f.scratch = NULL;
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_KEY);
	EVP_PKEY_free(f.scratch);
	f.scratch = saved;
	free(der);

	/* a compressed P-256 point */
	EVP_PKEY_set_utf8_string_param(d, "point-format", "compressed");
	der = csr(d, "Example Speaker DHA", EVP_sha256(), false, &n);
	cr_assert_eq(failed_check(&f, der, n, &r), ATS_CSR_KEY);
	cr_assert(strstr(r.msg[ATS_CSR_KEY], "compressed"), "%s", r.msg[ATS_CSR_KEY]);
	free(der);

	const char *garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	cr_assert_eq(failed_check(&f, (const unsigned char *)garbage, strlen(garbage), &r), ATS_CSR_PARSES);
	OPENSSL_free(kspki);
	EVP_PKEY_free(k);
	EVP_PKEY_free(d);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p384);
	teardown(&f);
}

Test(keyset, members_and_strangers_through_growth)
{
	ats_keyset s = {0};
	unsigned char (*v)[32] = malloc(20000 * 32);
	RAND_bytes((unsigned char *)v, 20000 * 32);
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(ats_keyset_add(&s, v[i]), 1);
	for (int i = 0; i < 10000; i++) {
		cr_assert(ats_keyset_has(&s, v[i]));
		cr_assert_eq(ats_keyset_add(&s, v[i]), 0);
		cr_assert(!ats_keyset_has(&s, v[10000 + i]));
	}
	cr_assert_eq(s.n, 10000);
	cr_assert_leq(s.cap, 32768, "at most half full, so %zu slots", s.cap);
	unsigned char zero[32] = {0};
	cr_assert(!ats_keyset_has(&s, zero));
	cr_assert_eq(ats_keyset_add(&s, zero), 1);
	cr_assert(ats_keyset_has(&s, zero));
	cr_assert_eq(ats_keyset_add(&s, zero), 0);
	ats_keyset_free(&s);
	free(v);
}
