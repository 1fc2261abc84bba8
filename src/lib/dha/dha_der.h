/* Device certificates read and written at the DER level, without building OpenSSL objects:
 * parsing a certificate with d2i_X509 costs ~100 µs and encoding a key ~60 µs, more than the
 * signature itself. Reading: a certificate's fields and extensions as spans of its DER. Writing:
 * DER headers, the fixed P-256 SubjectPublicKeyInfo and PKCS#8 layouts, a signed wrapper. Every
 * layout here is checked byte for byte against what OpenSSL encodes in tests/unit/test_dha_tmpl.c. */
#ifndef ATS_DHA_DER_H
#define ATS_DHA_DER_H

#include "base/der.h"

#include <stdbool.h>
#include <stddef.h>

#define ATS_P256_POINT_LEN 65 /* 0x04 || X || Y */
#define ATS_P256_SPKI_LEN 91
#define ATS_P256_PKCS8_LEN 138
#define ATS_SERIAL_LEN 16
#define ATS_ECDSA_SIG_MAX 72

/* The 26 bytes before the point in every P-256 SubjectPublicKeyInfo. */
extern const unsigned char ats_p256_spki_prefix[26];
/* AlgorithmIdentifier ecdsa-with-SHA256 (a SEQUENCE with no parameters). */
extern const unsigned char ats_ecdsa_sha256_alg[12];

typedef struct ats_dha_cert {
	ats_der_cert c;          /* tbs, serial, issuer, dates, subject, spki */
	ats_der_span tbs_sigalg; /* the TBS "signature" AlgorithmIdentifier */
	ats_der_span sigalg;     /* the outer signatureAlgorithm */
	ats_der_span sig;        /* the signature value (BIT STRING content after the unused-bits byte) */
	ats_der_span exts;       /* SEQUENCE OF Extension (whole TLV), n == 0 when absent */
	ats_der_span point;      /* the public key bits (for P-256: the 65-byte point) */
	int version;             /* 1, 2 or 3 */
} ats_dha_cert;

/* 0 when der holds a well-formed certificate (trailing bytes refused); -1 otherwise. */
int ats_dha_cert_read(const unsigned char *der, size_t len, ats_dha_cert *out);

typedef struct ats_der_ext {
	ats_der_span whole; /* the Extension SEQUENCE */
	ats_der_span oid;   /* OID content bytes */
	ats_der_span value; /* extnValue content (the extension's own DER) */
	bool critical;
} ats_der_ext;

/* Iterates the extensions; *pos starts at 0. 1: *e filled; 0: no more; -1: malformed. */
int ats_der_ext_next(ats_der_span exts, size_t *pos, ats_der_ext *e);
/* Finds an extension by its OID content bytes; 1 found, 0 absent, -1 malformed. */
int ats_der_ext_find(ats_der_span exts, const unsigned char *oid, size_t oidlen, ats_der_ext *e);

extern const unsigned char ats_oid_basic_constraints[3], ats_oid_key_usage[3],
	ats_oid_ski[3], ats_oid_aki[3];

/* Extension values: 0 when well formed. */
int ats_der_bc_read(ats_der_span value, bool *ca);
int ats_der_ku_read(ats_der_span value, unsigned *bits); /* bit 0 = digitalSignature (0x80) */
int ats_der_ski_read(ats_der_span value, ats_der_span *id);
int ats_der_aki_read(ats_der_span value, ats_der_span *keyid); /* keyid.n == 0 when absent */
#define ATS_KU_DIGITAL_SIGNATURE 0x80u
#define ATS_KU_KEY_CERT_SIGN 0x04u

/* A Name as OpenSSL's one-line form, "C = US, O = Example, CN = Device" (messages and facts). */
void ats_der_name_text(ats_der_span name, char *out, size_t cap);

/* Writes a DER header (tag, length) at out; returns its size (out may be NULL to measure). */
size_t ats_der_put_hdr(unsigned char *out, unsigned tag, size_t len);

/* SubjectPublicKeyInfo of a P-256 point: 91 bytes. */
void ats_p256_spki(const unsigned char point[ATS_P256_POINT_LEN], unsigned char out[ATS_P256_SPKI_LEN]);
/* PKCS#8 PrivateKeyInfo as OpenSSL 3 writes a P-256 key ("BEGIN PRIVATE KEY"): 138 bytes. */
void ats_p256_pkcs8(const unsigned char scalar[32], const unsigned char point[ATS_P256_POINT_LEN],
		    unsigned char out[ATS_P256_PKCS8_LEN]);
/* The scalar and point of a P-256 PKCS#8 or SEC1 ("EC PRIVATE KEY") DER that has the public key
 * inside, in the layout OpenSSL writes; -1 when the DER has any other shape. */
int ats_p256_key_split(const unsigned char *der, size_t len, const unsigned char **scalar,
		       const unsigned char **point);

/* SEQUENCE { body, ecdsa-with-SHA256, BIT STRING sig }: a signed certificate or CSR.
 * out needs body_len + sig_len + 32 bytes; returns the length written. */
size_t ats_der_signed(const unsigned char *body, size_t body_len, const unsigned char *sig,
		      size_t sig_len, unsigned char *out);

/* UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280, as OpenSSL's ASN1_TIME_set);
 * returns the TLV length written to out (at most 17 bytes), 0 for a time out of range. */
size_t ats_der_put_time(unsigned char *out, time_t t);

/* Base64 of data in 64-column lines, each ending in '\n' (what `openssl enc -base64` and PEM
 * bodies look like); returns the length written (out needs ats_b64_lines_len). */
size_t ats_b64_lines_len(size_t n);
size_t ats_b64_lines(const unsigned char *data, size_t n, char *out);
/* Decodes base64 text, ignoring whitespace and "-----" marker lines; -1 when not base64. */
int ats_b64_decode_loose(const char *text, size_t len, unsigned char *out, size_t cap,
			 size_t *outlen);

#endif
