/* Check: the main job in one verdict. Audits the trust stores, probes the ATS test endpoint and
 * the AVS gateway this device uses (its SDK config's, else its region's, else the SDK's
 * default) side by side with this device's libcurl and trust (an SDK config's CURLOPT_CAPATH
 * included), and puts all of it with its diagnosis in one report, its verdict the worst of them,
 * led by the one cause that keeps this device from AVS (if any).
 *
 * Layer 5: the one module that calls both audit/ and probe/.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_CHECK_H
#define ATS_CHECK_H

#include "audit/audit.h"
#include "probe/ats_roots.h"
#include "probe/probe.h"

typedef struct ats_check_opts {
	ats_store_opts stores; /* what to audit (none named: the stores this device uses) */
	ats_audit_opts audit;
	ats_probe_opts probe;
	const char *no_probe;  /* why the endpoint is not probed (an image, --offline), or NULL */
	const char *region;    /* "na", "eu", "fe": the gateway when the SDK config names none */
	const ats_roots_opts *ats_roots; /* also run the ATS root matrix (not when no_probe), or NULL */
} ats_check_opts;

/* Builds the report ("command": "check", "audit": {...}, "probe": {...} (the test endpoint),
 * "gateway": {"url", "source", "probe": {...}}, "endpoints": [...], and with ats_roots
 * "ats_roots": {...} whose per-host checks are also the check's "checks"). A region that is not
 * one of the three is ATS_EUSAGE. */
int ats_check_run(const ats_check_opts *o, json_t **report, ats_err *err);

#endif
