#include "dha/dha_tmpl.h"

#include "base/time_abi.h"
#include "base/util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/sha.h>
#include <string.h>

/* A key held by an engine (a PKCS#11 token) may not give provider params: its public half
 * still encodes, and a P-256 SubjectPublicKeyInfo's layout is fixed. */
static int point_from_spki(EVP_PKEY *key, unsigned char point[ATS_P256_POINT_LEN])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	int ok = len == ATS_P256_SPKI_LEN &&
		 memcmp(der, ats_p256_spki_prefix, sizeof(ats_p256_spki_prefix)) == 0;
	if (ok)
		memcpy(point, der + sizeof(ats_p256_spki_prefix), ATS_P256_POINT_LEN);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int ats_p256_raw(EVP_PKEY *key, unsigned char point[ATS_P256_POINT_LEN], unsigned char *scalar)
{
	size_t n = 0;
	char group[32];
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return -1;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
	    strcmp(group, "prime256v1") != 0)
		return scalar ? -1 : point_from_spki(key, point);
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, ATS_P256_POINT_LEN, &n) ||
	    n != ATS_P256_POINT_LEN || point[0] != 0x04)
		return scalar ? -1 : point_from_spki(key, point);
	if (scalar) {
		BIGNUM *d = NULL;
		int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) &&
			 BN_bn2binpad(d, scalar, 32) == 32;
		BN_clear_free(d);
		if (!ok)
			return -1;
	}
	return 0;
}

void ats_tmpl_fill(const ats_tmpl_bytes *t, unsigned char *out, const unsigned char *serial,
		   const unsigned char point[ATS_P256_POINT_LEN])
{
	if (serial)
		memcpy(out + t->serial_off, serial, ATS_SERIAL_LEN);
	memcpy(out + t->point_off, point, ATS_P256_POINT_LEN);
	if (t->nski) {
		unsigned char ski[SHA_DIGEST_LENGTH];
		ats_sha1(point, ATS_P256_POINT_LEN, ski);
		for (int i = 0; i < t->nski; i++)
			memcpy(out + t->ski_off[i], ski, sizeof(ski));
	}
}

/* Finds the holes of key's point (and its SHA-1) in bytes. */
static int find_holes(ats_tmpl_bytes *t, const unsigned char point[ATS_P256_POINT_LEN])
{
	unsigned char ski[SHA_DIGEST_LENGTH];
	const unsigned char *hit;
	size_t from = 0;

	hit = memmem(t->buf, t->n, point, ATS_P256_POINT_LEN);
	if (!hit || memmem(hit + 1, t->n - (size_t)(hit - t->buf) - 1, point, ATS_P256_POINT_LEN))
		return -1;
	t->point_off = (size_t)(hit - t->buf);
	ats_sha1(point, ATS_P256_POINT_LEN, ski);
	while (from < t->n && (hit = memmem(t->buf + from, t->n - from, ski, sizeof(ski)))) {
		if (t->nski == ATS_TMPL_MAX_SKI)
			return -1;
		t->ski_off[t->nski++] = (size_t)(hit - t->buf);
		from = (size_t)(hit - t->buf) + sizeof(ski);
	}
	return 0;
}

/* What OpenSSL encodes for key: the TBS certificate and the CSR info, malloc'd. */
static int encode_with_openssl(const ats_dha_conf *conf, const char *section, X509 *dak,
			       time_t nb, time_t na, EVP_PKEY *key, const unsigned char serial[16],
			       unsigned char **tbs, size_t *tbs_n, unsigned char **cri, size_t *cri_n,
			       ats_err *err)
{
	X509 *x = X509_new();
	X509_REQ *req = NULL;
	unsigned char *der = NULL;
	int n, rc = ATS_ECRYPTO;

	*tbs = *cri = NULL;
	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_STRING_set(X509_get_serialNumber(x), serial, ATS_SERIAL_LEN) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(dak)) ||
	    !ats_asn1_time_set(X509_getm_notBefore(x), (int64_t)nb) ||
	    !ats_asn1_time_set(X509_getm_notAfter(x), (int64_t)na) ||
	    !X509_set_subject_name(x, ats_dha_conf_subject(conf)) || !X509_set_pubkey(x, key)) {
		ats_err_set(err, ATS_ECRYPTO, "cannot make the certificate template");
		ats_err_add_openssl(err);
		goto out;
	}
	if ((rc = ats_dha_conf_add_exts(conf, section, x, dak, err)) != 0)
		goto out;
	rc = ATS_ECRYPTO;
	/* Signed only so the inner algorithm is set: ecdsa-with-SHA256, as the DAK will sign. */
	if (!X509_sign(x, key, EVP_sha256()) || (n = i2d_re_X509_tbs(x, &der)) <= 0) {
		ats_err_set(err, ATS_ECRYPTO, "cannot encode the certificate template");
		ats_err_add_openssl(err);
		goto out;
	}
	*tbs = der;
	*tbs_n = (size_t)n;
	der = NULL;
	if (!(req = ats_dha_conf_csr(conf, key, err)))
		goto out;
	if ((n = i2d_re_X509_REQ_tbs(req, &der)) <= 0) {
		ats_err_set(err, ATS_ECRYPTO, "cannot encode the request template");
		goto out;
	}
	*cri = der;
	*cri_n = (size_t)n;
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*tbs);
		*tbs = NULL;
	}
	X509_free(x);
	X509_REQ_free(req);
	return rc;
}

static int copy_bytes(ats_tmpl_bytes *t, const unsigned char *p, size_t n)
{
	t->buf = malloc(n);
	if (!t->buf)
		return -1;
	memcpy(t->buf, p, n);
	t->n = n;
	return 0;
}

/* Fills t for key and compares with what OpenSSL encoded for it. */
static int same_as_openssl(const ats_tmpl_bytes *t, const unsigned char *ref, size_t ref_n,
			   const unsigned char *serial, const unsigned char point[ATS_P256_POINT_LEN])
{
	unsigned char *b = malloc(t->n);
	int same = 0;
	if (!b)
		return 0;
	memcpy(b, t->buf, t->n);
	ats_tmpl_fill(t, b, serial, point);
	same = ref_n == t->n && memcmp(b, ref, ref_n) == 0;
	free(b);
	return same;
}

int ats_dha_tmpl_new(const ats_dha_conf *conf, const char *section, X509 *dak, time_t not_before,
		     time_t not_after, ats_dha_tmpl **out, ats_err *err)
{
	ats_dha_tmpl *t = calloc(1, sizeof(*t));
	EVP_PKEY *k0 = NULL, *k1 = NULL;
	unsigned char p0[ATS_P256_POINT_LEN], p1[ATS_P256_POINT_LEN];
	unsigned char s0[ATS_SERIAL_LEN], s1[ATS_SERIAL_LEN];
	unsigned char *tbs0 = NULL, *cri0 = NULL, *tbs1 = NULL, *cri1 = NULL;
	size_t tbs0_n = 0, cri0_n = 0, tbs1_n = 0, cri1_n = 0;
	ats_dha_cert parsed;
	int rc = ATS_ECRYPTO;

	*out = NULL;
	memset(s0, 0x5a, sizeof(s0));
	memset(s1, 0x3c, sizeof(s1));
	if (!t)
		return ats_err_set(err, ATS_ENOMEM, "certificate template [%s]: out of memory", section);
	k0 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!k0 || !k1 || ats_p256_raw(k0, p0, NULL) != 0 || ats_p256_raw(k1, p1, NULL) != 0) {
		ats_err_set(err, ATS_ECRYPTO, "cannot make a P-256 key");
		goto out;
	}
	if ((rc = encode_with_openssl(conf, section, dak, not_before, not_after, k0, s0, &tbs0,
				      &tbs0_n, &cri0, &cri0_n, err)) != 0 ||
	    (rc = encode_with_openssl(conf, section, dak, not_before, not_after, k1, s1, &tbs1,
				      &tbs1_n, &cri1, &cri1_n, err)) != 0)
		goto out;
	rc = ATS_EPARSE;
	if (copy_bytes(&t->tbs, tbs0, tbs0_n) != 0 || copy_bytes(&t->cri, cri0, cri0_n) != 0) {
		rc = ats_err_set(err, ATS_ENOMEM, "certificate template [%s]: out of memory", section);
		goto out;
	}
	/* The TBS alone is not a certificate: wrap it in a dummy signature to read its fields. */
	unsigned char *whole = malloc(tbs0_n + 128);
	static const unsigned char fake_sig[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
	size_t whole_n = whole ? ats_der_signed(tbs0, tbs0_n, fake_sig, sizeof(fake_sig), whole) : 0;
	int parsed_ok = whole && ats_dha_cert_read(whole, whole_n, &parsed) == 0 &&
			parsed.c.serial.n == ATS_SERIAL_LEN + 2;
	if (parsed_ok) {
		size_t base = (size_t)(parsed.c.tbs.p - whole);
		t->tbs.serial_off = (size_t)(parsed.c.serial.p - whole) - base + 2;
		t->subject_off = (size_t)(parsed.c.subject.p - whole) - base;
		t->subject_len = parsed.c.subject.n;
		if (parsed.exts.n) {
			t->exts_off = (size_t)(parsed.exts.p - whole) - base;
			t->exts_len = parsed.exts.n;
		}
	}
	free(whole);
	if (!parsed_ok || find_holes(&t->tbs, p0) != 0 || find_holes(&t->cri, p0) != 0) {
		ats_err_set(err, ATS_EPARSE, "%s: [%s]: cannot make a certificate template from it",
			    ats_dha_conf_path(conf), section);
		goto out;
	}
	if (!same_as_openssl(&t->tbs, tbs1, tbs1_n, s1, p1) ||
	    !same_as_openssl(&t->cri, cri1, cri1_n, NULL, p1)) {
		ats_err_set(err, ATS_EPARSE,
			    "%s: [%s]: its extensions depend on the key in a way atscheck cannot "
			    "template (only subjectKeyIdentifier = hash may)",
			    ats_dha_conf_path(conf), section);
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	ats_dha_tmpl_free(t);
	EVP_PKEY_free(k0);
	EVP_PKEY_free(k1);
	OPENSSL_free(tbs0);
	OPENSSL_free(cri0);
	OPENSSL_free(tbs1);
	OPENSSL_free(cri1);
	return rc;
}

void ats_dha_tmpl_free(ats_dha_tmpl *t)
{
	if (!t)
		return;
	free(t->tbs.buf);
	free(t->cri.buf);
	free(t);
}
