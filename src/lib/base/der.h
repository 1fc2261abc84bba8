/* A few fields of an X.509 certificate read straight from its DER, without building an X509
 * object (d2i_X509 costs ~100 µs; this costs well under one). Used to identify certificates in
 * large stores; full parsing is kept for the few that need it. */
#ifndef ATS_DER_H
#define ATS_DER_H

#include <stddef.h>
#include <time.h>

typedef struct ats_der_span {
	const unsigned char *p; /* the whole TLV */
	size_t n;
} ats_der_span;

typedef struct ats_der_cert {
	ats_der_span cert; /* the Certificate SEQUENCE (may be shorter than the input: trailing aux) */
	ats_der_span tbs, serial, issuer, not_before, not_after, subject, spki;
} ats_der_cert;

/* 0 when der starts with a well-formed certificate skeleton; -1 otherwise. */
int ats_der_cert_read(const unsigned char *der, size_t len, ats_der_cert *out);
/* Reads one TLV at *p (within end): its tag, the header length and content length. -1 if bad. */
int ats_der_tlv(const unsigned char *p, const unsigned char *end, unsigned *tag, size_t *hdr,
		size_t *len);
/* Time from a UTCTime / GeneralizedTime TLV, or (time_t)-1. */
time_t ats_der_time(ats_der_span t);

#endif
