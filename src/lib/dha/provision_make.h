/* One device's key, CSR and certificate, made from a batch template (dha_tmpl.h): key
 * generation and two ECDSA signatures are the only real work; everything else is copying. One
 * maker per thread (it owns reusable OpenSSL contexts and output buffers). */
#ifndef ATS_PROVISION_MAKE_H
#define ATS_PROVISION_MAKE_H

#include "dha/dha_tmpl.h"

typedef struct ats_prov_maker ats_prov_maker;

/* dak_key signs the certificates; it is shared (read only) between makers. */
ats_prov_maker *ats_prov_maker_new(const ats_dha_tmpl *t, EVP_PKEY *dak_key, ats_err *err);
void ats_prov_maker_free(ats_prov_maker *m);

typedef struct ats_prov_device {
	unsigned char serial[ATS_SERIAL_LEN];
	unsigned char point[ATS_P256_POINT_LEN];
	unsigned char spki[ATS_P256_SPKI_LEN];
	unsigned char pkcs8[ATS_P256_PKCS8_LEN]; /* the private key: wiped by ats_prov_device_wipe */
	const unsigned char *cert, *csr;         /* DER, in the maker's buffers until its next make */
	size_t cert_len, csr_len;
	unsigned char cert_sha256[32];
} ats_prov_device;

/* Makes a device: a new key (or key, when given: tests), a random 16-byte positive serial (or
 * serial, when given), the CSR signed by the device key, the certificate signed by the DAK. */
int ats_prov_make(ats_prov_maker *m, EVP_PKEY *key, const unsigned char *serial,
		  ats_prov_device *d, ats_err *err);
void ats_prov_device_wipe(ats_prov_device *d);

/* The certificate alone, for a key made elsewhere (a CSR's point): fills d's serial (random, or
 * serial when given), point, spki, cert and cert_sha256; no CSR, no private key. */
int ats_prov_certify(ats_prov_maker *m, const unsigned char point[ATS_P256_POINT_LEN],
		     const unsigned char *serial, ats_prov_device *d, ats_err *err);

/* A fresh random serial: 16 bytes, positive, first byte non-zero (so its DER length is fixed). */
int ats_prov_serial(unsigned char serial[ATS_SERIAL_LEN]);

#endif
