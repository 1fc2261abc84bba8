/* A throw-away PKI factory: keys and certificates of any shape (any hierarchy, validity window,
 * key type, names), for `atscheck selftest` and for the test suite. Not for production keys. */
#ifndef ATS_SERVE_PKI_H
#define ATS_SERVE_PKI_H

#include "base/ats.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

/* "rsa:2048", "rsa:1024", "ec:P-256", "ec:P-384". */
EVP_PKEY *ats_pki_key_new(const char *spec, ats_err *err);

typedef struct ats_pki_cert_opts {
	const char *subject;   /* "/C=US/O=Amazon/CN=Amazon Root CA 1" (openssl -subj style) */
	const X509_NAME *subject_name; /* instead of subject, when set (an exact copy of a name) */
	EVP_PKEY *key;         /* whose public key is certified */
	X509 *issuer;          /* NULL: self-signed (issuer_key NULL: signed by key) */
	EVP_PKEY *issuer_key;
	time_t not_before, not_after;
	bool ca;
	int pathlen;           /* -1: none */
	const char *dns;       /* comma-separated subjectAltName DNS names, or NULL */
	const char *ip;        /* comma-separated subjectAltName IP addresses, or NULL */
	const char *md;        /* digest name, default "sha256" */
	const char *ocsp_url;  /* authorityInfoAccess OCSP responder URL, or NULL */
} ats_pki_cert_opts;

X509 *ats_pki_cert_new(const ats_pki_cert_opts *o, ats_err *err);
/* Parses "/A=b/C=d" into a name; NULL when malformed. */
X509_NAME *ats_pki_name(const char *subject);

/* (Certificates are written with ats_pem_write_certs, base/pem.h.) */
/* Writes a private key as PKCS#8 PEM, atomically, mode 0600. */
int ats_pki_write_key(const char *path, EVP_PKEY *key, ats_err *err);

#endif
