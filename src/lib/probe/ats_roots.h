/* The ATS root matrix: Amazon Trust Services' own test hosts, `good.`, `expired.` and `revoked.`
 * `scaNa.amazontrust.com` for N = 0 (Starfield Services Root CA G2) and 1-4 (Amazon Root CA 1-4:
 * RSA 2048, RSA 4096, EC P-256, EC P-384), all 15 probed at once on one libcurl multi handle with
 * this device's stack and one store loaded once (the probe machinery of probe.c).
 *
 * Per root: is the good chain accepted, the expired one rejected (for its expiry), the revoked
 * one noticed? Revocation as the device could see it: libcurl checks none by default; asked
 * (CURLOPT_SSL_VERIFYSTATUS) it judges an OCSP response the server staples; it never asks the
 * responder the certificate names. The revoked hosts are probed with the stapled check on, and
 * the report says what was tried and what came back. A host that cannot be reached fills its
 * own cell ("not tested", with the cause); the run is bounded by the probe timeout. */
#ifndef ATS_ROOTS_H
#define ATS_ROOTS_H

#include "probe/probe.h"

#include <stddef.h>

#define ATS_ROOTS_N 5     /* sca0a .. sca4a */
#define ATS_ROOTS_KINDS 3 /* good, expired, revoked */
#define ATS_ROOTS_HOSTS (ATS_ROOTS_N * ATS_ROOTS_KINDS)
#define ATS_ROOTS_DOMAIN "amazontrust.com"

enum { ATS_ROOTS_GOOD, ATS_ROOTS_EXPIRED, ATS_ROOTS_REVOKED };

/* "good", "expired", "revoked". */
const char *ats_roots_kind_name(int kind);
/* The test host of root n and one kind: "good.sca1a.amazontrust.com". */
void ats_roots_host(int n, int kind, char *buf, size_t len);
/* The root of sca<n>a as the catalog names it, and its key type ("RSA 2048", "EC P-256"). */
const char *ats_roots_root_name(int n);
const char *ats_roots_key_type(int n);

typedef struct ats_roots_opts {
	ats_probe_opts probe;    /* store, resolve, proxy, timeout, at, now, lab (url, http2/http11
				    and save_chain do not apply) */
	long port;               /* 0: 443 */
	bool require_revocation; /* a revoked chain that is not noticed is CRITICAL, not information */
} ats_roots_opts;

/* Probes the 15 hosts and builds the report ("command": "ats-roots", reports/schema.json).
 * Fails only for out of memory: a host that cannot be reached is a finding in its cell. */
int ats_roots_run(const ats_roots_opts *o, json_t **report, ats_err *err);

#endif
