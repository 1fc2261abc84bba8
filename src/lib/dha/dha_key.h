/* Private keys read for DHA work: the DAK's key (to sign) and a device's private_key.pem (to
 * check it matches its certificate). Key bytes are wiped after reading and never put in a
 * message; an encrypted key is refused with a line that says so. */
#ifndef ATS_DHA_KEY_H
#define ATS_DHA_KEY_H

#include "base/ats.h"
#include "dha/dha_der.h"

#include <openssl/evp.h>
#include <stdbool.h>

/* Reads a private key (PEM: PKCS#8 or traditional; or DER). label names it in messages. */
int ats_key_load(const char *path, const char *label, EVP_PKEY **out, ats_err *err);

/* What checking many keys against their points reuses: a BN_CTX and two points. One per
 * thread; NULL where a single key is checked. */
typedef struct ats_key_checker ats_key_checker;
ats_key_checker *ats_key_checker_new(void);
void ats_key_checker_free(ats_key_checker *kc);

/* Whether the private key in path belongs to the P-256 point. A PKCS#8 or SEC1 P-256 key is
 * checked by computing scalar x G and comparing it with the point in projective coordinates
 * (no inversion, no decoder); others through OpenSSL's decoder. *why says what it is when it
 * does not match ("an RSA key", "another P-256 key"). kc may be NULL. */
int ats_key_matches_point(ats_key_checker *kc, const char *path, const char *label,
			  const unsigned char point[ATS_P256_POINT_LEN], bool *match,
			  const char **why, ats_err *err);
/* The same for a key already read (data, len: the file's bytes; they are wiped). */
int ats_key_data_matches_point(ats_key_checker *kc, unsigned char *data, size_t len,
			       const char *label, const unsigned char point[ATS_P256_POINT_LEN],
			       bool *match, const char **why, ats_err *err);

#endif
