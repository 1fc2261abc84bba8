/* Fixed templates for a batch of device certificates and CSRs.
 *
 * Within one batch every device's to-be-signed certificate is the same bytes except its serial,
 * its public key and its subject key identifier (SHA-1 of the key); the same holds for the CSR.
 * So OpenSSL itself encodes one certificate and one CSR for a throw-away key, the holes are
 * found where that key's bytes landed, and every device is a copy with the holes filled in: no
 * encoder on the hot path (it costs ~400 µs a device; filling costs ~1 µs). The template checks
 * itself when it is made: a second key encoded by OpenSSL must equal the filled template byte
 * for byte, or the template is refused. */
#ifndef ATS_DHA_TMPL_H
#define ATS_DHA_TMPL_H

#include "dha/dha_conf.h"
#include "dha/dha_der.h"

#define ATS_TMPL_MAX_SKI 4

typedef struct ats_tmpl_bytes {
	unsigned char *buf;
	size_t n;
	size_t point_off;                  /* where the 65-byte point goes */
	size_t serial_off;                 /* TBS only: the 16 serial bytes */
	size_t ski_off[ATS_TMPL_MAX_SKI];  /* where SHA-1(point) goes (subjectKeyIdentifier = hash) */
	int nski;
} ats_tmpl_bytes;

typedef struct ats_dha_tmpl {
	ats_tmpl_bytes tbs; /* TBSCertificate */
	ats_tmpl_bytes cri; /* CertificationRequestInfo */
	size_t subject_off, subject_len; /* within tbs.buf */
	size_t exts_off, exts_len;       /* the Extensions SEQUENCE within tbs.buf, len 0 if none */
} ats_dha_tmpl;

/* A template for certificates issued by dak with the extensions of conf's [section], valid from
 * not_before to not_after. */
int ats_dha_tmpl_new(const ats_dha_conf *conf, const char *section, X509 *dak, time_t not_before,
		     time_t not_after, ats_dha_tmpl **out, ats_err *err);
void ats_dha_tmpl_free(ats_dha_tmpl *t);

/* Fills a copy of t->buf (already in out) with a device's values. serial may be NULL (CRI). */
void ats_tmpl_fill(const ats_tmpl_bytes *t, unsigned char *out, const unsigned char *serial,
		   const unsigned char point[ATS_P256_POINT_LEN]);

/* A P-256 key's raw point (and scalar, when scalar is not NULL; wipe it after use). */
int ats_p256_raw(EVP_PKEY *key, unsigned char point[ATS_P256_POINT_LEN], unsigned char *scalar);

#endif
