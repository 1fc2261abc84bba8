/* A device's certificate signing request (`ace hal dha get_field 0x201`), read at the DER level
 * and checked before the DAK signs anything, one named check at a time:
 *   parses      PEM or DER, one CertificationRequest, version 1, nothing after it
 *   key         EC P-256, an uncompressed point on the curve
 *   signature   the CSR's self-signature verifies with its own key (ecdsa-with-SHA256/384/512):
 *               proof the device holds the private key
 *   subject     byte for byte what device.conf's distinguished_name makes (at most
 *               ATS_CSR_SUBJECT_MAX bytes); otherwise both names are given
 *   extensions  what the CSR asks for is dropped, as `openssl x509 -req` drops it without
 *               -copy_extensions; the names are listed (never a failure)
 *   dak-key     the key is not the DAK's own
 * Batch checks (device-id, unique-key) are dha_sign.c's. */
#ifndef ATS_DHA_CSR_H
#define ATS_DHA_CSR_H

#include "base/ats.h"
#include "dha/dha_der.h"

#include <openssl/evp.h>
#include <stdbool.h>

#define ATS_CSR_FILE_MAX 65536  /* a CSR file larger than this is refused unread */
#define ATS_CSR_SUBJECT_MAX 1024 /* bytes of DER; device.conf's own subject is ~100 */

enum { ATS_CSR_PARSES, ATS_CSR_KEY, ATS_CSR_SIGNATURE, ATS_CSR_SUBJECT, ATS_CSR_EXTENSIONS,
       ATS_CSR_DAK_KEY, ATS_CSR_NCHECKS };

extern const char *const ats_csr_check_names[ATS_CSR_NCHECKS];

typedef enum { ATS_CSR_PASS, ATS_CSR_FAIL, ATS_CSR_SKIP } ats_csr_status;

typedef struct ats_csr_result {
	ats_csr_status status[ATS_CSR_NCHECKS];
	char msg[ATS_CSR_NCHECKS][320];
	int failed; /* the first failed check, or -1 */
	unsigned char point[ATS_P256_POINT_LEN];
	char dropped[256]; /* the requested extensions and attributes that are dropped, or "" */
} ats_csr_result;

typedef struct ats_csr_checker {
	const unsigned char *subject; /* the DER of the subject device.conf makes */
	size_t subject_len;
	const unsigned char *dak_point; /* NULL when the DAK key is not P-256 */
} ats_csr_checker;

/* Checks a CSR file's bytes; fills r. Returns 0 when every check passed, 1 when one failed (r
 * says which and why), negative only when memory ran out. scratch is the calling thread's
 * reusable key (start it NULL, EVP_PKEY_free it when done): building a key from nothing costs
 * more than the signature check. */
int ats_csr_check(const ats_csr_checker *ck, EVP_PKEY **scratch, const unsigned char *data,
		  size_t len, ats_csr_result *r);

#endif
