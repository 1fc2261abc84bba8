/* Inside the audit: key families and the AVS Device SDK's trust, shared by audit.c and
 * audit_sdk.c. */
#ifndef ATS_AUDIT_INT_H
#define ATS_AUDIT_INT_H

#include "audit/audit.h"

/* {"Amazon Root CA 1 (RSA 2048)": "root" | "starfield-cross-sign" | null, ...} */
json_t *ats_audit_families(const bool usable[ATS_CA_COUNT]);
/* The problem (sev, usually CRITICAL) of a store (or the SDK's trust, named by `what`) that
 * holds ATS CAs but cannot anchor the chains AVS serves, with the fix that installs the right
 * root; aside is added to the message. */
void ats_audit_cannot_anchor(const char *what, const bool usable[ATS_CA_COUNT],
			     const ats_audit_opts *o, ats_verdict sev, const char *aside,
			     json_t *problems);
/* Whether the SDK reads the store (a label "sdk-..."): then what it lacks is judged with the
 * rest of the SDK's trust, as one (a CA file that lacks Root CA 1 is no fault when the SDK's
 * CURLOPT_CAPATH adds it: the SDK is what talks to AVS). */
bool ats_audit_sdk_reads(const ats_store *s);
/* The SDK's trust judged as one: libcurl's CA file plus the config's CURLOPT_CAPATH, what the
 * folder adds, verifyHostsAndPeers, the config's own problems and its gateway; adds
 * "sdk" to the report and returns its verdict. sdk_problems: those of the stores the SDK reads,
 * of which the ones about a CA the store lacks are left to the union. */
ats_verdict ats_audit_sdk(const ats_store_list *l, bool (*usable)[ATS_CA_COUNT],
			  const ats_audit_opts *o, json_t *report, json_t *problems,
			  const json_t *sdk_problems);

#endif
