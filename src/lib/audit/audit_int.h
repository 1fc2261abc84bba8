/* Inside the audit: key families and the AVS Device SDK's trust, shared by audit.c and
 * audit_sdk.c. */
#ifndef ATS_AUDIT_INT_H
#define ATS_AUDIT_INT_H

#include "audit/audit.h"

/* {"Amazon Root CA 1 (RSA 2048)": "root" | "starfield-cross-sign" | null, ...} */
json_t *ats_audit_families(const bool usable[ATS_CA_COUNT]);
/* The CRITICAL problem of a store (or the SDK's trust, named by `what`) that holds ATS CAs but
 * cannot anchor the chains AVS serves, with the fix that installs the right root. */
void ats_audit_cannot_anchor(const char *what, const bool usable[ATS_CA_COUNT],
			     const ats_audit_opts *o, json_t *problems);
/* Whether every label of the store is an SDK one ("sdk-..."): only the SDK reads it. */
bool ats_audit_sdk_only(const ats_store *s);
/* The SDK's trust judged as one: libcurl's CA file plus the config's CURLOPT_CAPATH, what the
 * folder adds, verifyHostsAndPeers, the config's own problems and its gateway; adds
 * "sdk" to the report and returns its verdict. sdk_problems: those of the SDK-only stores,
 * of which the ones about a CA the store lacks are left to the union. */
ats_verdict ats_audit_sdk(const ats_store_list *l, bool (*usable)[ATS_CA_COUNT],
			  const ats_audit_opts *o, json_t *report, json_t *problems,
			  const json_t *sdk_problems);

#endif
