/* Audit: stores × the six CAs → one status per CA per store, a verdict per store, and the
 * problems with their fixes. Statuses (exact words in reports): present, variant, impostor,
 * expired, not-yet-valid, deselected, missing.
 *
 * Layer 3: reads store/ (and builds its report with report/tree.h); nothing above.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_AUDIT_H
#define ATS_AUDIT_H

#include "report/tree.h"
#include "store/store.h"

typedef struct ats_audit_opts {
	time_t at;         /* the moment the audit is about (usually now) */
	int warn_days;     /* a present CA expiring within this many days is a WARNING */
	const char *root;  /* image root, or NULL */
} ats_audit_opts;

/* Builds the audit report (see reports/schema.json, "audit"). */
int ats_audit_run(const ats_store_list *stores, const ats_audit_opts *o, json_t **report,
		  ats_err *err);

#endif
