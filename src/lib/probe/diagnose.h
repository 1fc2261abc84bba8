/* Diagnosis: a probe's (or a saved chain's) facts → one enumerated cause, a verdict, a message
 * that says what happened with its subject, and one fix a field engineer can act on.
 *
 * Causes (exact words in reports): ok, dns, proxy, refused, blocked, stalled, reset, not-tls,
 * tls-version, tls-alert, store, untrusted, unknown-root, self-signed, incomplete-chain,
 * hostname, clock, expired, weak-key, intercepted, libcurl-no-http2, no-h2, timeout, other. */
#ifndef ATS_DIAGNOSE_H
#define ATS_DIAGNOSE_H

#include "base/ats.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct ats_diag_ctx {
	time_t at;          /* the moment judged: the clock, or --at */
	bool at_given;      /* at came from --at, not the clock */
	bool libcurl_http2; /* this libcurl can speak HTTP/2 */
	const char *root;   /* image root (fixes then name --root), or NULL */
} ats_diag_ctx;

/* Sets "verdict", "cause", "message" and "fix" on one probe object (see probe.c for its facts)
 * and adds one problem ({"severity","message","fix","probe","cause"}) unless it passed. */
ats_verdict ats_diagnose_probe(json_t *probe, const ats_diag_ctx *d, json_t *problems);

/* The same for one offline verification of a saved chain against one store: `facts` is a
 * verification's facts (ats_verify_facts), `store` names the store in messages. */
ats_verdict ats_diagnose_chain(json_t *facts, const char *store, const ats_diag_ctx *d,
			       json_t *problems);

#endif
