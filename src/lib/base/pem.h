/* Reads certificates out of whatever a trust store file holds: PEM (any text between blocks,
 * CRLF line ends, TRUSTED CERTIFICATE blocks), DER (one or several concatenated), PKCS#7 (PEM or
 * DER). Each certificate or broken entry is handed to a callback with its position, so a broken
 * entry is reported and the rest still read. */
#ifndef ATS_PEM_H
#define ATS_PEM_H

#include "base/ats.h"

#include <openssl/types.h>
#include <stddef.h>

typedef struct ats_cert_pos {
	int line;  /* line of the BEGIN marker (PEM); 0 for DER */
	int index; /* 1-based position of the entry in the file */
	/* Bytes [off, off + len) of the data scanned hold it: its PEM block (BEGIN through END) or
	 * its DER; for a certificate of a PKCS#7 bundle, the whole bundle's block. */
	size_t off, len;
} ats_cert_pos;

typedef struct ats_cert_sink {
	void *ctx;
	/* der points into a buffer valid only during the call. */
	void (*cert)(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos);
	void (*problem)(void *ctx, ats_cert_pos pos, const char *msg);
} ats_cert_sink;

/* Returns the number of certificates found (problems go to the sink). */
int ats_certs_scan(const unsigned char *data, size_t len, const ats_cert_sink *sink);

/* One "plain" base64 line: a whole number of 4-character groups of the alphabet A-Z a-z 0-9 + /
 * (no padding, no whitespace). Writes n / 4 * 3 bytes to out and returns that; -1 for any other
 * line (which the scanner hands to OpenSSL's EVP_DecodeUpdate). Hand-written because a PEM
 * body is such lines but its last, and EVP_DecodeUpdate costs ~10x more per character: the
 * scanner's decoding was most of a bundle audit's own work. Checked against EVP_DecodeBlock in
 * tests/unit/test_pem.c and by fuzz_store. */
long ats_b64_plain_line(const char *p, size_t n, unsigned char *out);

/* Decodes the first CERTIFICATE block of a PEM text; *der malloc'd. 0 on success. */
int ats_pem_decode_first(const char *pem, size_t len, unsigned char **der, size_t *derlen);

/* Encodes DER as a "-----BEGIN <label>-----" PEM block with 64-column lines; returns the length
 * written to out (which needs ats_pem_encoded_len bytes) . */
size_t ats_pem_encoded_len(size_t derlen, const char *label);
size_t ats_pem_encode(const unsigned char *der, size_t derlen, const char *label, char *out);

/* Writes certificates as one PEM file (a chain, in the order given), atomically, mode 0644. */
int ats_pem_write_certs(const char *path, X509 *const *certs, int n, ats_err *err);

#endif
