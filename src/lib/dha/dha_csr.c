#include "dha/dha_csr.h"

#include <openssl/core_names.h>
#include <stdarg.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ats_csr_check_names[ATS_CSR_NCHECKS] = {
	"parses", "key", "signature", "subject", "extensions", "dak-key",
};

static const unsigned char oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const unsigned char oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const unsigned char oid_ext_req[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
static const unsigned char oid_ecdsa_sha[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03}; /* + 2/3/4 */

static int take(const unsigned char **p, const unsigned char *end, unsigned want, ats_der_span *whole,
		ats_der_span *content)
{
	unsigned tag;
	size_t h, l;
	if (*p >= end || ats_der_tlv(*p, end, &tag, &h, &l) != 0 || tag != want)
		return -1;
	if (whole)
		*whole = (ats_der_span){*p, h + l};
	if (content)
		*content = (ats_der_span){*p + h, l};
	*p += h + l;
	return 0;
}

static int fail(ats_csr_result *r, int check, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ats_csr_result *r, int check, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg[check], sizeof(r->msg[check]), fmt, ap);
	va_end(ap);
	r->status[check] = ATS_CSR_FAIL;
	if (r->failed < 0)
		r->failed = check;
	return 1;
}

static void pass(ats_csr_result *r, int check, const char *msg)
{
	r->status[check] = ATS_CSR_PASS;
	snprintf(r->msg[check], sizeof(r->msg[check]), "%s", msg);
}

/* PEM (CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST) or DER to DER, in out (cap bytes). */
static int to_der(const unsigned char *data, size_t len, unsigned char *out, size_t cap, size_t *n,
		  ats_csr_result *r)
{
	const char *t = (const char *)data, *b, *e;
	if (len == 0)
		return fail(r, ATS_CSR_PARSES, "empty file");
	if (data[0] == 0x30) {
		if (len > cap)
			return fail(r, ATS_CSR_PARSES, "larger than %d bytes", ATS_CSR_FILE_MAX);
		memcpy(out, data, len);
		*n = len;
		return 0;
	}
	b = memmem(t, len, "-----BEGIN ", 11);
	if (!b)
		return fail(r, ATS_CSR_PARSES, "neither PEM nor DER: no BEGIN line and no DER SEQUENCE");
	const char *label = b + 11, *lend = memchr(label, '\n', len - (size_t)(label - t));
	if (!lend)
		return fail(r, ATS_CSR_PARSES, "the PEM block ends after its BEGIN line (truncated)");
	if (!((size_t)(lend - label) >= 24 && memcmp(label, "CERTIFICATE REQUEST-----", 24) == 0) &&
	    !((size_t)(lend - label) >= 28 && memcmp(label, "NEW CERTIFICATE REQUEST-----", 28) == 0))
		return fail(r, ATS_CSR_PARSES, "a PEM block that is not a CERTIFICATE REQUEST");
	e = memmem(lend, len - (size_t)(lend - t), "-----END ", 9);
	if (!e)
		return fail(r, ATS_CSR_PARSES, "no END line: the PEM block is truncated");
	if (ats_b64_decode_loose(lend + 1, (size_t)(e - lend - 1), out, cap, n) != 0)
		return fail(r, ATS_CSR_PARSES, "the PEM body is not base64");
	return 0;
}

/* Names of the extensions an extensionRequest asks for, into r->dropped. */
static int list_exts(ats_der_span value_set, ats_csr_result *r, size_t *used)
{
	const unsigned char *p = value_set.p, *end = value_set.p + value_set.n;
	ats_der_span exts, ext, oid;
	if (take(&p, end, 0x30, NULL, &exts) != 0)
		return -1;
	p = exts.p;
	end = exts.p + exts.n;
	while (p < end) {
		if (take(&p, end, 0x30, NULL, &ext) != 0)
			return -1;
		const unsigned char *q = ext.p;
		if (take(&q, ext.p + ext.n, 0x06, &oid, NULL) != 0)
			return -1;
		char name[80];
		const unsigned char *o = oid.p;
		ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &o, (long)oid.n);
		if (!obj || OBJ_obj2txt(name, sizeof(name), obj, 0) <= 0)
			snprintf(name, sizeof(name), "an unreadable extension");
		ASN1_OBJECT_free(obj);
		*used += (size_t)snprintf(r->dropped + *used, sizeof(r->dropped) - *used, "%s%s",
					  *used ? ", " : "", name);
		if (*used >= sizeof(r->dropped))
			*used = sizeof(r->dropped) - 1;
	}
	return 0;
}

static int read_attrs(ats_der_span attrs, ats_csr_result *r)
{
	const unsigned char *p = attrs.p, *end = attrs.p + attrs.n;
	size_t used = 0;
	r->dropped[0] = '\0';
	while (p < end) {
		ats_der_span attr, oid, values;
		if (take(&p, end, 0x30, NULL, &attr) != 0)
			return -1;
		const unsigned char *q = attr.p, *qe = attr.p + attr.n;
		if (take(&q, qe, 0x06, &oid, NULL) != 0 || take(&q, qe, 0x31, NULL, &values) != 0)
			return -1;
		if (oid.n == 2 + sizeof(oid_ext_req) && memcmp(oid.p + 2, oid_ext_req, sizeof(oid_ext_req)) == 0) {
			if (list_exts(values, r, &used) != 0)
				return -1;
			continue;
		}
		char name[80];
		const unsigned char *o = oid.p;
		ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &o, (long)oid.n);
		if (!obj || OBJ_obj2txt(name, sizeof(name), obj, 0) <= 0)
			snprintf(name, sizeof(name), "an unreadable attribute");
		ASN1_OBJECT_free(obj);
		used += (size_t)snprintf(r->dropped + used, sizeof(r->dropped) - used, "%sattribute %s",
					 used ? ", " : "", name);
		if (used >= sizeof(r->dropped))
			used = sizeof(r->dropped) - 1;
	}
	return 0;
}

/* What a non-P-256 SubjectPublicKeyInfo holds, for the message. */
static const char *key_kind(ats_der_span spki)
{
	const unsigned char *p = spki.p, *end = spki.p + spki.n;
	ats_der_span body, alg, oid;
	if (take(&p, end, 0x30, NULL, &body) != 0)
		return "an unreadable key";
	p = body.p;
	if (take(&p, body.p + body.n, 0x30, NULL, &alg) != 0)
		return "an unreadable key";
	p = alg.p;
	if (take(&p, alg.p + alg.n, 0x06, NULL, &oid) != 0)
		return "an unreadable key";
	if (oid.n == sizeof(oid_rsa) && memcmp(oid.p, oid_rsa, oid.n) == 0)
		return "an RSA key";
	if (oid.n == sizeof(oid_ec) && memcmp(oid.p, oid_ec, oid.n) == 0) {
		if (spki.n == 26 + 33 && memcmp(spki.p + 2, ats_p256_spki_prefix + 2, 21) == 0)
			return "a compressed P-256 point (atscheck signs uncompressed P-256 keys only)";
		return "an EC key on another curve";
	}
	return "a key of another algorithm";
}

/* A P-256 public key for point. The first builds it from parameters (which makes the curve's
 * group, the costly part); later ones only swap the point into the thread's key. */
static EVP_PKEY *p256_pub(EVP_PKEY **scratch, const unsigned char point[ATS_P256_POINT_LEN])
{
	if (*scratch) {
		if (EVP_PKEY_set_octet_string_param(*scratch, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						    (unsigned char *)point, ATS_P256_POINT_LEN) == 1)
			return *scratch;
		ERR_clear_error();
		return NULL; /* not a point on the curve */
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	char group[] = "prime256v1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group) - 1),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, ATS_P256_POINT_LEN),
		OSSL_PARAM_END,
	};
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		k = NULL;
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(ctx);
	return *scratch = k;
}

static int verify(EVP_PKEY **scratch, const unsigned char point[ATS_P256_POINT_LEN], ats_der_span cri,
		  int hash, ats_der_span sig)
{
	const EVP_MD *md = hash == 2 ? EVP_sha256() : hash == 3 ? EVP_sha384() : EVP_sha512();
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	EVP_PKEY *k = p256_pub(scratch, point);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	int ok = -1;
	if (!k)
		ok = -2; /* not a point on the curve */
	else if (ctx && EVP_Digest(cri.p, cri.n, dg, &dn, md, NULL) && EVP_PKEY_verify_init(ctx) > 0 &&
		 EVP_PKEY_CTX_set_signature_md(ctx, md) > 0)
		ok = EVP_PKEY_verify(ctx, sig.p, sig.n, dg, dn) == 1 ? 0 : -1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int ats_csr_check(const ats_csr_checker *ck, EVP_PKEY **scratch, const unsigned char *data,
		  size_t len, ats_csr_result *r)
{
	unsigned char *der = malloc(ATS_CSR_FILE_MAX);
	const unsigned char *p, *end;
	ats_der_span whole = {0}, body, cri, cri_body, ver, subject, spki, attrs = {0}, alg, algc, oid, bits;
	size_t n = 0;
	int rc = 1, hash = 0;

	memset(r, 0, sizeof(*r));
	r->failed = -1;
	for (int i = 0; i < ATS_CSR_NCHECKS; i++) {
		r->status[i] = ATS_CSR_SKIP;
		snprintf(r->msg[i], sizeof(r->msg[i]), "not checked: the CSR cannot be read");
	}
	if (!der)
		return ATS_ENOMEM;
	if (len > ATS_CSR_FILE_MAX) {
		fail(r, ATS_CSR_PARSES, "the file is %zu bytes; a CSR is at most %d", len, ATS_CSR_FILE_MAX);
		goto out;
	}
	if (to_der(data, len, der, ATS_CSR_FILE_MAX, &n, r) != 0)
		goto out;
	p = der;
	end = der + n;
	{
		unsigned tag;
		size_t h, l;
		if (ats_der_tlv(p, end, &tag, &h, &l) != 0) {
			if (n >= 2 && der[0] == 0x30)
				fail(r, ATS_CSR_PARSES, "truncated: %zu bytes of DER, fewer than its header says", n);
			else
				fail(r, ATS_CSR_PARSES, "not DER");
			goto out;
		}
	}
	if (take(&p, end, 0x30, &whole, &body) != 0 || p != end) {
		if (p != end && whole.n)
			fail(r, ATS_CSR_PARSES, "%zu bytes after the CSR", (size_t)(end - p));
		else
			fail(r, ATS_CSR_PARSES, "not a CSR: no SEQUENCE at its start");
		goto out;
	}
	p = body.p;
	end = body.p + body.n;
	if (take(&p, end, 0x30, &cri, &cri_body) != 0 || take(&p, end, 0x30, &alg, &algc) != 0 ||
	    take(&p, end, 0x03, NULL, &bits) != 0 || p != end || bits.n < 2 || bits.p[0] != 0) {
		fail(r, ATS_CSR_PARSES, "not a CertificationRequest (info, algorithm, signature)");
		goto out;
	}
	p = cri_body.p;
	end = cri_body.p + cri_body.n;
	if (take(&p, end, 0x02, NULL, &ver) != 0 || take(&p, end, 0x30, &subject, NULL) != 0 ||
	    take(&p, end, 0x30, &spki, NULL) != 0 || take(&p, end, 0xa0, NULL, &attrs) != 0 || p != end) {
		fail(r, ATS_CSR_PARSES, "the request info is not version, subject, key, attributes");
		goto out;
	}
	if (ver.n != 1 || ver.p[0] != 0) {
		fail(r, ATS_CSR_PARSES, "version is not 1 (0)");
		goto out;
	}
	if (read_attrs(attrs, r) != 0) {
		fail(r, ATS_CSR_PARSES, "its attributes cannot be read");
		goto out;
	}
	p = algc.p;
	if (take(&p, algc.p + algc.n, 0x06, &oid, NULL) == 0 && p == algc.p + algc.n &&
	    oid.n == 2 + sizeof(oid_ecdsa_sha) + 1 && memcmp(oid.p + 2, oid_ecdsa_sha, sizeof(oid_ecdsa_sha)) == 0 &&
	    oid.p[oid.n - 1] >= 2 && oid.p[oid.n - 1] <= 4)
		hash = oid.p[oid.n - 1];
	pass(r, ATS_CSR_PARSES, "a PKCS#10 request, version 1");

	/* key */
	if (spki.n != ATS_P256_SPKI_LEN || memcmp(spki.p, ats_p256_spki_prefix, sizeof(ats_p256_spki_prefix)) != 0) {
		fail(r, ATS_CSR_KEY, "%s, not EC P-256", key_kind(spki));
		snprintf(r->msg[ATS_CSR_SIGNATURE], sizeof(r->msg[0]), "not checked: not a P-256 key");
	} else {
		memcpy(r->point, spki.p + sizeof(ats_p256_spki_prefix), ATS_P256_POINT_LEN);
		pass(r, ATS_CSR_KEY, "EC P-256");
		if (!hash) {
			fail(r, ATS_CSR_SIGNATURE, "signed with an algorithm other than ecdsa-with-SHA256/384/512");
		} else {
			int v = verify(scratch, r->point, cri, hash, (ats_der_span){bits.p + 1, bits.n - 1});
			if (v == -2) {
				r->status[ATS_CSR_SIGNATURE] = ATS_CSR_SKIP;
				snprintf(r->msg[ATS_CSR_SIGNATURE], sizeof(r->msg[0]), "not checked: no key");
				r->status[ATS_CSR_KEY] = ATS_CSR_PASS;
				fail(r, ATS_CSR_KEY, "the public key is not a point on the P-256 curve");
			} else if (v != 0)
				fail(r, ATS_CSR_SIGNATURE, "the self-signature does not verify with the CSR's own "
							   "key: the device did not sign it, or it was altered");
			else
				pass(r, ATS_CSR_SIGNATURE, hash == 2 ? "ecdsa-with-SHA256, by the CSR's own key"
						   : hash == 3	 ? "ecdsa-with-SHA384, by the CSR's own key"
								 : "ecdsa-with-SHA512, by the CSR's own key");
		}
	}

	/* subject */
	if (subject.n > ATS_CSR_SUBJECT_MAX) {
		fail(r, ATS_CSR_SUBJECT, "the subject is %zu bytes (at most %d; device.conf's is %zu)",
		     subject.n, ATS_CSR_SUBJECT_MAX, ck->subject_len);
	} else if (subject.n != ck->subject_len || memcmp(subject.p, ck->subject, subject.n) != 0) {
		char have[160], want[160];
		ats_der_name_text(subject, have, sizeof(have));
		ats_der_name_text((ats_der_span){ck->subject, ck->subject_len}, want, sizeof(want));
		if (strcmp(have, want) == 0)
			fail(r, ATS_CSR_SUBJECT, "'%s' as device.conf asks, but in other string types", have);
		else
			fail(r, ATS_CSR_SUBJECT, "'%s'; device.conf asks for '%s'", have, want);
	} else {
		pass(r, ATS_CSR_SUBJECT, "as device.conf's distinguished_name");
	}

	/* extensions */
	r->status[ATS_CSR_EXTENSIONS] = ATS_CSR_PASS;
	if (r->dropped[0])
		snprintf(r->msg[ATS_CSR_EXTENSIONS], sizeof(r->msg[0]),
			 "dropped, as openssl x509 -req drops them: %s; the certificate has device.conf's", r->dropped);
	else
		snprintf(r->msg[ATS_CSR_EXTENSIONS], sizeof(r->msg[0]), "none requested; the certificate has device.conf's");

	/* dak-key */
	if (r->status[ATS_CSR_KEY] != ATS_CSR_PASS)
		snprintf(r->msg[ATS_CSR_DAK_KEY], sizeof(r->msg[0]), "not checked: not a P-256 key");
	else if (ck->dak_point && memcmp(ck->dak_point, r->point, ATS_P256_POINT_LEN) == 0)
		fail(r, ATS_CSR_DAK_KEY, "the key is the DAK's own: a device must never hold it");
	else
		pass(r, ATS_CSR_DAK_KEY, "not the DAK's key");
	rc = r->failed >= 0 ? 1 : 0;
out:
	free(der);
	return rc;
}
