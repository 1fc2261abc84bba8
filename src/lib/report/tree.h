/* The report tree: building one report, the one place every command ends its report.
 *
 * A report is a jansson object: "command", "verdict" and "exit_code" (always together, from one
 * ats_verdict), "problems" (severity, message, fix, store?, ca?, cause?) and the command's own
 * facts (reports/schema.json). A command makes it with ats_report_new (open: UNKNOWN until
 * closed), adds its facts and problems, and ends it with ats_report_close; the CLI stamps it.
 * The getters are for renderers, which read a report and build none. This module sits just
 * above base/ and below every command and every renderer: it includes nothing else. */
#ifndef ATS_REPORT_TREE_H
#define ATS_REPORT_TREE_H

#include "base/ats.h"

#include <jansson.h>
#include <time.h>

/* {"command": command, "verdict": "UNKNOWN", "exit_code": 3}: open until ats_report_close. NULL
 * when out of memory. */
json_t *ats_report_new(const char *command);
/* Adds the open verdict and exit code to a report built by hand, at this place in its keys. */
void ats_report_open(json_t *report);
/* Ends a report: its verdict and the exit code that goes with it (in place when open, else
 * appended), and its problems (taken over; NULL: the report's own "problems" stay). */
void ats_report_close(json_t *report, ats_verdict v, json_t *problems);

/* Adds {"severity","store","ca","message","fix"} to a report's "problems" array and returns it
 * (borrowed), so the caller can add more; NULL when out of memory. */
json_t *ats_report_problem(json_t *problems, ats_verdict sev, const char *store, const char *ca,
			   const char *message, const char *fix);
/* The same with its stable cause id (reports/README.md). */
void ats_report_problem_cause(json_t *problems, const char *cause, ats_verdict sev,
			      const char *store, const char *ca, const char *message, const char *fix);
/* v made as bad as the worst severity among problems. */
ats_verdict ats_report_worst(const json_t *problems, ats_verdict v);

/* Stamps the report with what every report carries: schema version, tool and library versions,
 * the device's name and its machine id (32 hex digits; anything else is left out) when given. */
void ats_report_stamp(json_t *report, const char *device_id, const char *machine_id);

/* For renderers: o[k] as a string, "" when absent or not a string. */
const char *ats_json_str(const json_t *o, const char *k);
/* o[k] as an integer, 0 when absent or not one. */
long long ats_json_int(const json_t *o, const char *k);
/* The moment a report judged ("at"), or -1 when it has none. */
time_t ats_report_at(const json_t *report);
/* What a "checks" status or a verdict word says: pass/ok -> OK, warn/warning -> WARNING,
 * fail/critical -> CRITICAL, anything else UNKNOWN (case ignored). */
ats_verdict ats_status_verdict(const char *status);

#endif
