#include "dha/provision_make.h"

#include "base/util.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

struct ats_prov_maker {
	const ats_dha_tmpl *t;
	EVP_PKEY_CTX *keygen; /* reused: a new context per key costs ~70 % more */
	EVP_PKEY_CTX *dak;    /* sign-initialised once for the batch */
	unsigned char *tbs, *cri, *cert, *csr;
};

ats_prov_maker *ats_prov_maker_new(const ats_dha_tmpl *t, EVP_PKEY *dak_key, ats_err *err)
{
	ats_prov_maker *m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->t = t;
	m->tbs = malloc(t->tbs.n);
	m->cri = malloc(t->cri.n);
	m->cert = malloc(t->tbs.n + 128);
	m->csr = malloc(t->cri.n + 128);
	if (!m->tbs || !m->cri || !m->cert || !m->csr)
		goto nomem;
	memcpy(m->tbs, t->tbs.buf, t->tbs.n);
	memcpy(m->cri, t->cri.buf, t->cri.n);
	m->keygen = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	m->dak = EVP_PKEY_CTX_new_from_pkey(NULL, dak_key, NULL);
	if (!m->keygen || EVP_PKEY_keygen_init(m->keygen) <= 0 ||
	    EVP_PKEY_CTX_set_group_name(m->keygen, "P-256") <= 0 || !m->dak ||
	    EVP_PKEY_sign_init(m->dak) <= 0 || EVP_PKEY_CTX_set_signature_md(m->dak, EVP_sha256()) <= 0) {
		ats_err_set(err, ATS_ECRYPTO, "cannot set up key generation and DAK signing");
		ats_err_add_openssl(err);
		ats_prov_maker_free(m);
		return NULL;
	}
	return m;
nomem:
	ats_err_set(err, ATS_ENOMEM, "DAK signer: out of memory setting up key generation");
	ats_prov_maker_free(m);
	return NULL;
}

void ats_prov_maker_free(ats_prov_maker *m)
{
	if (!m)
		return;
	EVP_PKEY_CTX_free(m->keygen);
	EVP_PKEY_CTX_free(m->dak);
	free(m->tbs);
	free(m->cri);
	free(m->cert);
	free(m->csr);
	free(m);
}

int ats_prov_serial(unsigned char serial[ATS_SERIAL_LEN])
{
	if (RAND_bytes(serial, ATS_SERIAL_LEN) != 1)
		return -1;
	serial[0] = (unsigned char)((serial[0] & 0x3f) | 0x40); /* 126 random bits */
	return 0;
}

/* ECDSA over SHA-256 of data with a sign-initialised context; DER signature to sig. */
static int sign(EVP_PKEY_CTX *ctx, const unsigned char *data, size_t n, unsigned char *sig,
		size_t *siglen)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	ats_sha256(data, n, md);
	*siglen = ATS_ECDSA_SIG_MAX;
	return EVP_PKEY_sign(ctx, sig, siglen, md, sizeof(md)) == 1 ? 0 : -1;
}

/* The certificate for d->serial and d->point, signed by the DAK. */
static int certify(ats_prov_maker *m, ats_prov_device *d)
{
	unsigned char sig[ATS_ECDSA_SIG_MAX];
	size_t siglen;
	ats_tmpl_fill(&m->t->tbs, m->tbs, d->serial, d->point);
	if (sign(m->dak, m->tbs, m->t->tbs.n, sig, &siglen) != 0)
		return -1;
	d->cert_len = ats_der_signed(m->tbs, m->t->tbs.n, sig, siglen, m->cert);
	d->cert = m->cert;
	ats_sha256(d->cert, d->cert_len, d->cert_sha256);
	return 0;
}

int ats_prov_certify(ats_prov_maker *m, const unsigned char point[ATS_P256_POINT_LEN],
		     const unsigned char *serial, ats_prov_device *d, ats_err *err)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->point, point, ATS_P256_POINT_LEN);
	ats_p256_spki(d->point, d->spki);
	if ((serial ? (memcpy(d->serial, serial, ATS_SERIAL_LEN), 0) : ats_prov_serial(d->serial)) != 0 ||
	    certify(m, d) != 0) {
		ats_err_set(err, ATS_ECRYPTO, "cannot sign a device certificate with the DAK");
		ats_err_add_openssl(err);
		return ATS_ECRYPTO;
	}
	return 0;
}

int ats_prov_make(ats_prov_maker *m, EVP_PKEY *key, const unsigned char *serial,
		  ats_prov_device *d, ats_err *err)
{
	EVP_PKEY *k = key;
	EVP_PKEY_CTX *own = NULL;
	unsigned char scalar[32], sig[ATS_ECDSA_SIG_MAX];
	size_t siglen;
	int rc = ATS_ECRYPTO;

	memset(d, 0, sizeof(*d));
	if (!k && EVP_PKEY_keygen(m->keygen, &k) <= 0)
		goto out;
	if (ats_p256_raw(k, d->point, scalar) != 0)
		goto out;
	if (serial)
		memcpy(d->serial, serial, ATS_SERIAL_LEN);
	else if (ats_prov_serial(d->serial) != 0)
		goto out;
	ats_p256_spki(d->point, d->spki);
	ats_p256_pkcs8(scalar, d->point, d->pkcs8);

	/* The CSR, signed by the device's own key. */
	ats_tmpl_fill(&m->t->cri, m->cri, NULL, d->point);
	own = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	if (!own || EVP_PKEY_sign_init(own) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(own, EVP_sha256()) <= 0 ||
	    sign(own, m->cri, m->t->cri.n, sig, &siglen) != 0)
		goto out;
	d->csr_len = ats_der_signed(m->cri, m->t->cri.n, sig, siglen, m->csr);
	d->csr = m->csr;

	/* The certificate, signed by the DAK. */
	if (certify(m, d) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		ats_err_set(err, ATS_ECRYPTO, "cannot make a device key and certificate");
		ats_err_add_openssl(err);
		ats_prov_device_wipe(d);
	}
	ats_wipe(scalar, sizeof(scalar));
	EVP_PKEY_CTX_free(own);
	if (k != key)
		EVP_PKEY_free(k);
	return rc;
}

void ats_prov_device_wipe(ats_prov_device *d)
{
	ats_wipe(d->pkcs8, sizeof(d->pkcs8));
}
