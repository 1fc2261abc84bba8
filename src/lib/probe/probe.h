/* Probe: can this device's TLS stack reach an ATS endpoint? HTTP/2 and HTTP/1.1 run in parallel
 * on one libcurl multi handle (the trust store loads once for both, and afresh on each run, so a
 * probe after an install in the same process sees the new store), TLS 1.2 or newer, full
 * verification with partial chains refused (a pass proves the root really is in the store), SNI.
 * Each probe reports the facts (address, timings, TLS version, cipher, ALPN, HTTP version,
 * status, first bytes, the chain the server sent, the anchor that verified it) and one verdict
 * with its cause and fix (diagnose.h). Certificate facts are kept even when verification fails.
 *
 * Chain: the same verification and diagnosis offline, for a chain saved earlier, against a
 * store loaded from files (ats_chain_run).
 *
 * Layer 4, beside install/ and dha/: uses store/ below it and report/tree.h, never a renderer.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_PROBE_H
#define ATS_PROBE_H

#include "base/ats.h"
#include "store/store.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>

#define ATS_PROBE_DEFAULT_URL "https://avs-ats-cert-test.amazon.com"
#define ATS_PROBE_BODY_BYTES 256

/* Certificates to count as ATS roots besides the six: a lab's own ATS-like PKI (selftest's,
 * or one served by `atscheck serve`). Never used unless given. */
typedef struct ats_lab_roots ats_lab_roots;
/* Reads every certificate in a PEM/DER file; a file with none is an error naming it. */
int ats_lab_roots_load(const char *path, ats_lab_roots **out, ats_err *err);
/* Adds one certificate (up-refs it); creates the set when *l is NULL. */
int ats_lab_roots_add(ats_lab_roots **l, X509 *x, ats_err *err);
void ats_lab_roots_free(ats_lab_roots *l);

typedef struct ats_probe_opts {
	const char *url;            /* NULL: ATS_PROBE_DEFAULT_URL */
	bool http2, http11;         /* which probes; neither set: both */
	const char *cainfo;         /* CA bundle, or NULL */
	const char *capath;         /* hashed CA directory, or NULL; both NULL: libcurl's defaults */
	const char *cainfo_pem;     /* a CA bundle in memory (PEM text), instead of cainfo */
	const char *const *resolve; /* NULL-terminated "HOST:PORT:ADDR" (curl --resolve), or NULL */
	const char *proxy;          /* NULL: libcurl honours https_proxy / no_proxy itself */
	long timeout_ms;            /* whole probe; 0: 10 s */
	time_t at;                  /* verify certificates at this time; 0: the TLS stack's clock */
	time_t now;                 /* the caller's clock (reports, and judging --at) */
	const ats_lab_roots *lab;   /* extra roots to count as ATS, or NULL */
	const char *save_chain;     /* write the chain the server sent here (PEM), or NULL */
} ats_probe_opts;

/* Runs the probes and builds the report ("command": "probe"). Fails only for bad usage or out
 * of memory: a probe that cannot connect is a finding in the report, not an error. */
int ats_probe_run(const ats_probe_opts *o, json_t **report, ats_err *err);

/* The same for several endpoints at once (o->url ignored): every probe of every endpoint on one
 * libcurl multi handle, sharing one trust store; reports[i] is urls[i]'s report (a NULL url is
 * the default). save_chain applies to the first. */
#define ATS_PROBE_MAX_ENDPOINTS 4
int ats_probe_run_many(const ats_probe_opts *o, const char *const *urls, size_t n,
		       json_t **reports, ats_err *err);

typedef struct ats_chain_opts {
	const char *file;           /* the chain: leaf first, PEM or DER */
	const char *host;           /* the name the leaf must carry, or NULL */
	const ats_store_list *stores; /* verify against each of these */
	time_t at, now;
	const char *root;           /* image root the stores were read under (for fixes), or NULL */
	const ats_lab_roots *lab;
} ats_chain_opts;

/* Verifies a saved chain against each store, offline ("command": "chain"). An unreadable or
 * empty chain file is an error naming it (UNKNOWN); a chain that does not verify is a finding. */
int ats_chain_run(const ats_chain_opts *o, json_t **report, ats_err *err);

#endif
