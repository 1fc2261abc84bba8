/* The Device Attestation Key: its certificate (from Amazon) and its private key (made here by
 * `atscheck dak csr`, kept by the manufacturer). The key file must not be readable by group or
 * others; a caller may override that, and the override is reported, never silent. */
#ifndef ATS_DAK_H
#define ATS_DAK_H

#include "base/ats.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>

typedef struct ats_dak {
	X509 *cert;
	unsigned char *der;
	size_t der_len;
	char *pem; /* the certificate as `cat` copies it into certificate.pem */
	size_t pem_len;
	EVP_PKEY *key; /* NULL unless loaded */
	unsigned key_mode; /* the key file's permission bits */
} ats_dak;

/* The DAK certificate: exactly one certificate, PEM or DER. */
int ats_dak_load_cert(const char *path, ats_dak **out, ats_err *err);
/* Where a token's PIN comes from: the first line of file, else value (the environment's). */
typedef struct ats_dak_pin {
	const char *file;
	const char *value;
} ats_dak_pin;

/* And its key: a file (refused when readable by group or others unless allow_open_mode), or an
 * RFC 7512 pkcs11: URI (dha_p11.h; pin may be NULL); refused when it is not the certificate's
 * key. */
int ats_dak_load_key(ats_dak *dak, const char *key, bool allow_open_mode, const ats_dak_pin *pin,
		     ats_err *err);
void ats_dak_free(ats_dak *dak);

/* `atscheck dak csr`: a P-256 key (out_dir/dak_private_key.pem, 0600, never over an existing
 * file) and out_dir/dak.csr from dak.conf, as `openssl req -new -nodes -config dak.conf -newkey
 * ec:dak-params.pem -keyout dak_private_key.pem -out dak.csr` makes them. */
int ats_dak_csr(const char *conf_path, const char *out_dir, json_t **report, ats_err *err);
/* The same with the key in a PKCS#11 token (key_uri): made there when make_key (never over an
 * existing object), or the one already there; only out_dir/dak.csr is written. */
int ats_dak_csr_p11(const char *conf_path, const char *out_dir, const char *key_uri, bool make_key,
		    const ats_dak_pin *pin, json_t **report, ats_err *err);

/* Writes a new file: temporary name, fsync, then link() to the final name, which fails rather
 * than replace an existing file. */
int ats_file_write_new(const char *path, const void *data, size_t len, mode_t mode, ats_err *err);

#endif
