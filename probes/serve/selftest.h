/* Selftest: proof that this device's libcurl/OpenSSL stack can do the job, even offline. A
 * throw-away ATS-like PKI (the six roots with the real CAs' names and key types, the
 * cross-signs, an intermediate, a leaf), served on loopback by the look-alike endpoint in this
 * process, probed both ways like the real endpoint. */
#ifndef ATS_SELFTEST_H
#define ATS_SELFTEST_H

#include "base/ats.h"
#include "store/catalog.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* The certificates of the lab PKI, by role. Roots 0..5 follow the catalog's order. */
enum {
	ATS_LAB_ROOT1,  /* Amazon Root CA 1, self-signed, RSA 2048 */
	ATS_LAB_ROOT2,  /* RSA 4096 */
	ATS_LAB_ROOT3,  /* EC P-256 */
	ATS_LAB_ROOT4,  /* EC P-384 */
	ATS_LAB_SFSG2,  /* Starfield Services Root Certificate Authority - G2, self-signed */
	ATS_LAB_SFC2,   /* Starfield Class 2 Certification Authority, self-signed */
	ATS_LAB_ROOT1X, /* Amazon Root CA 1..4 cross-signed by Starfield Services G2 */
	ATS_LAB_ROOT2X,
	ATS_LAB_ROOT3X,
	ATS_LAB_ROOT4X,
	ATS_LAB_SFSG2X, /* Starfield Services G2 cross-signed by Starfield Class 2 */
	ATS_LAB_INTER,  /* an intermediate under Amazon Root CA 1 */
	ATS_LAB_LEAF,   /* the server's certificate, for the host given */
	ATS_LAB_N
};

typedef struct ats_lab_pki {
	X509 *cert[ATS_LAB_N];
	EVP_PKEY *key[ATS_LAB_N]; /* a cross-sign shares its root's key (same pointer, up-ref'd) */
} ats_lab_pki;

/* Short names of the roles ("root1", "root1x", "sfsg2", "inter", "leaf", ...). */
const char *ats_lab_name(int role);

/* Makes the lab PKI, valid around `now`, its leaf for `host` (a DNS name; localhost also gets
 * 127.0.0.1 and ::1). The RSA 4096 key is made on a second thread while the others are. */
int ats_lab_pki_new(time_t now, const char *host, ats_lab_pki **out, ats_err *err);
void ats_lab_pki_free(ats_lab_pki *p);

typedef struct ats_selftest_opts {
	time_t now;
	long timeout_ms; /* per probe run; 0: 10 s */
	const char *listen; /* loopback address to serve on, default "127.0.0.1" */
} ats_selftest_opts;

/* Builds the PKI, serves it, probes it both ways over HTTP/2 and HTTP/1.1 (a store holding
 * Amazon Root CA 1; a store holding only Starfield Class 2 with the cross-signs sent) and
 * reports ("command": "selftest"). */
int ats_selftest_run(const ats_selftest_opts *o, json_t **report, ats_err *err);

#endif
