/* Audit: stores × the six CAs → one status per CA per store, a verdict per store, and the
 * problems with their fixes. Statuses (exact words in reports): present, variant, impostor,
 * expired, not-yet-valid, deselected, missing. */
#ifndef ATS_AUDIT_H
#define ATS_AUDIT_H

#include "store/store.h"

typedef struct ats_audit_opts {
	time_t at;         /* the moment the audit is about (usually now) */
	int warn_days;     /* a present CA expiring within this many days is a WARNING */
	const char *root;  /* image root, or NULL */
} ats_audit_opts;

/* Builds the audit report (see reports/schema.json, "audit"). */
int ats_audit_run(const ats_store_list *stores, const ats_audit_opts *o, json_t **report,
		  ats_err *err);

/* Adds {"severity","store","ca","message","fix"} to a report's "problems" array and returns it
 * (borrowed), so the caller can add a stable "cause" id (reports/README.md). */
json_t *ats_report_problem(json_t *problems, ats_verdict sev, const char *store, const char *ca,
			   const char *message, const char *fix);
/* Ends a report: its verdict, the exit code that goes with it, and its problems (taken over). */
void ats_report_close(json_t *report, ats_verdict v, json_t *problems);
/* The same with its cause id. */
void ats_report_problem_cause(json_t *problems, const char *cause, ats_verdict sev,
			      const char *store, const char *ca, const char *message, const char *fix);

#endif
