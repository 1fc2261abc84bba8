/* A lab for the ATS root matrix (atscheck probe --ats-roots): the 15 test hosts
 * (good. / expired. / revoked. scaNa.amazontrust.com) with a throw-away PKI shaped like theirs:
 * five roots with the real names and key types (Starfield Services G2, Amazon Root CA 1-4), per
 * root an issuing CA and under it a good leaf, an expired one and one that is revoked for real:
 * the CA's index.txt marks
 * it revoked, so `openssl ocsp -index` acting as the root's responder says so, and the
 * look-alike endpoint staples that response (one port, SNI picks the certificate).
 *
 * Files in the lab folder:
 *   roots.pem                 the five roots (trust these: --cacert, --lab-roots)
 *   scaNa-root.pem, .key      root N and its key
 *   scaNa-ca.pem, .key        the CA under root N that issues its hosts' certificates (the
 *                             OCSP responder signs with them)
 *   scaNa-index.txt           that CA's openssl ca index: V good, E expired, R revoked
 *   HOST.pem, HOST.key        each host's certificate followed by its CA, and its key
 *   HOST.ocsp.der             the response to staple for HOST, when one was made */
#ifndef ATS_ROOTS_LAB_H
#define ATS_ROOTS_LAB_H

#include "probe/ats_roots.h"
#include "serve/serve.h"

#include <limits.h>

/* Writes the lab into dir (made when missing), valid around now. Keys are written 0600. */
int ats_roots_lab_write(const char *dir, time_t now, ats_err *err);

typedef struct ats_roots_lab {
	ats_serve_site sites[ATS_ROOTS_HOSTS];
	char name[ATS_ROOTS_HOSTS][64];
	char cert[ATS_ROOTS_HOSTS][PATH_MAX], key[ATS_ROOTS_HOSTS][PATH_MAX];
	char ocsp[ATS_ROOTS_HOSTS][PATH_MAX];
} ats_roots_lab;

/* The 15 sites of a lab folder, for ats_serve_opts.sites; a missing certificate or key is an
 * error naming it; a HOST.ocsp.der is stapled when present. */
int ats_roots_lab_sites(const char *dir, ats_roots_lab *lab, ats_err *err);

#endif
