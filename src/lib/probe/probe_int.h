/* Inside the probe: one certificate verification, captured whole. The probe runs it from
 * libcurl's handshake (as OpenSSL's certificate-verify callback); the chain command runs it on
 * a saved chain. Either way the same facts come out, so both are diagnosed alike. */
#ifndef ATS_PROBE_INT_H
#define ATS_PROBE_INT_H

#include "probe/probe.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef struct ats_verify_capture {
	/* Set by the caller before the verification. */
	time_t at;       /* 0: the TLS stack's own clock */
	char host[256];  /* the name the leaf must carry; "" for none */
	const ats_lab_roots *lab;
	/* Filled by ats_verify_run. */
	bool called;
	bool ok;
	int first_error, first_depth; /* X509_V_* of the first failure, and its depth */
	json_t *errors;               /* every failure: [{"code","error","depth","subject"}] */
	STACK_OF(X509) *sent;         /* the chain the peer sent, leaf first */
	STACK_OF(X509) *path;         /* the chain OpenSSL built (up to its anchor when ok) */
	/* Handshake facts (the probe only). */
	char tls_version[32], cipher[96], alpn[64];
	int alert; /* last TLS alert received (its description code), -1 when none */
	bool hs_started;  /* the TLS handshake began (so TCP was connected) */
	bool hs_answered; /* the server answered it (a ServerHello or an alert) */
} ats_verify_capture;

void ats_verify_capture_init(ats_verify_capture *c);
void ats_verify_capture_free(ats_verify_capture *c);

/* Verifies the certificate set up in ctx (X509_STORE_CTX_init done): at c->at, with c->host,
 * never accepting a partial chain; records every failure rather than stopping at the first.
 * Leaves the first failure as ctx's error. Returns 1 when the chain verified, 0 when not. */
int ats_verify_run(X509_STORE_CTX *ctx, ats_verify_capture *c);

/* The facts of a capture: {"verified", "errors", "sent": [cert...], "path": [cert...],
 * "anchor": cert|null, "would_anchor": cert|null, "hostname": {...}}. would_anchor is what the
 * six (and lab roots) would anchor the sent chain at when the store did not. */
json_t *ats_verify_facts(const ats_verify_capture *c);

/* One certificate as a report object: subject, issuer, sha256, not_before, not_after, key,
 * self_signed, and "ats" (one of the six by SHA-256, a re-issue of one by its key, or a lab
 * root) when it is one. */
json_t *ats_cert_json(X509 *x, const ats_lab_roots *lab);

/* One probe while it runs: its libcurl handle and what the handshake let us capture. */
typedef struct ats_probe_handle {
	const char *name; /* "h2" or "http/1.1" */
	bool want_h2;
	CURL *h;
	ats_verify_capture cap;
	bool captured; /* libcurl let us see the handshake (OpenSSL backend) */
	X509_STORE *store; /* the trust store both probes share, loaded once */
	char errbuf[CURL_ERROR_SIZE];
	unsigned char body[ATS_PROBE_BODY_BYTES];
	size_t body_n;
	CURLcode result;
	/* Phase ends the handshake saw (microseconds on a monotonic clock, 0: not reached): libcurl
	 * keeps its connect times at 0 when the TLS handshake fails, though TCP connected and the
	 * server's chain arrived. */
	long long t0_us, tcp_us, tls_us;
	bool hs_done; /* the handshake completed */
	struct {
		bool asked;          /* the handshake asked for a stapled OCSP response */
		long len;            /* bytes stapled; 0: none */
		int response_status; /* OCSP_RESPONSE_STATUS_*, -1: none */
		int cert_status;     /* V_OCSP_CERTSTATUS_* of the first answer, -1: none */
		int reason;          /* revocation reason (OCSP_REVOKED_STATUS_*), -1: none */
	} ocsp;
} ats_probe_handle;

/* The machinery every run of probes shares (probe.c). A handle set up here verifies against
 * p->store (loaded once per run by ats_probe_store_load and shared), captures the handshake and
 * records a stapled OCSP response when one was asked for. */
int ats_probe_handle_setup(ats_probe_handle *p, const ats_probe_opts *o, const char *url,
			   struct curl_slist *resolve, ats_err *err);
/* The store the options name (libcurl's defaults when none), and its facts for the report
 * (with "error" when a file could not be loaded). NULL only when out of memory. */
X509_STORE *ats_probe_store_load(const ats_probe_opts *o, json_t **facts);
/* o->resolve as a libcurl list (appended to *out); subject names what is probed in an error. */
int ats_probe_resolve_list(const ats_probe_opts *o, const char *subject, struct curl_slist **out,
			   ats_err *err);
/* Runs every handle on m to its end (each bounded by its own timeout) and sets each one's
 * result (the handles carry their ats_probe_handle as CURLOPT_PRIVATE). */
void ats_probe_perform(CURLM *m);

/* A finished probe's facts as a report object (probe_facts.c). */
json_t *ats_probe_facts(ats_probe_handle *p, const ats_probe_opts *o, const char *host, long url_port);

/* Writes the certificates as a PEM chain, atomically. */
int ats_chain_save(const char *path, STACK_OF(X509) *chain, ats_err *err);

#endif
