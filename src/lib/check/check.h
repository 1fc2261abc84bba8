/* Check: the main job in one verdict. Audits the trust stores, probes the ATS endpoint with
 * this device's libcurl, and puts both with their diagnosis in one report, its verdict the
 * worst of the two, led by the one cause that keeps this device from AVS (if any).
 *
 * Layer 5: the one module that calls both audit/ and probe/.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_CHECK_H
#define ATS_CHECK_H

#include "audit/audit.h"
#include "probe/probe.h"

typedef struct ats_check_opts {
	ats_store_opts stores; /* what to audit (none named: the stores this device uses) */
	ats_audit_opts audit;
	ats_probe_opts probe;
	const char *no_probe;  /* why the endpoint is not probed (an image, --offline), or NULL */
} ats_check_opts;

/* Builds the report ("command": "check", "audit": {...}, "probe": {...}). */
int ats_check_run(const ats_check_opts *o, json_t **report, ats_err *err);

#endif
