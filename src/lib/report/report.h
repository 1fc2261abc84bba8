/* Renderers: the one result tree (a jansson object with "command", "verdict", "exit_code",
 * "problems" and the command's own facts) turned into text for people or formats for machines.
 * Each returns a malloc'd string; the command decides where it goes.
 *
 * Every renderer works from the common shape, so a command it does not know still renders:
 * "problems" (severity, message, fix, store?, ca?, cause?) and "checks" (name, status
 * pass|warn|fail, message) are the generic parts; audit's stores[].cas[] and probe's probes[]
 * get their own metrics and test cases. reports/README.md is the contract.
 *
 * Layer 6, the top of the library: renderers read a report and include only report/ and base/;
 * building one is report/tree.h (layer 1), which every command uses.
 * The order is checked by tests/integration/layering.sh. */
#ifndef ATS_REPORT_H
#define ATS_REPORT_H

#include "base/ats.h"
#include "report/tree.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct ats_render_opts {
	bool color;    /* ANSI colours (the command decides: a terminal, and no NO_COLOR) */
	bool days_set; /* nagios: warn_days / crit_days given (else 30 and 7) */
	int warn_days, crit_days;
} ats_render_opts;

char *ats_report_json(const json_t *report);
/* Text for people; dispatches on report["command"]. */
char *ats_report_text(const json_t *report, const ats_render_opts *o);
/* Prometheus text exposition (metric names in reports/README.md, frozen). */
char *ats_report_prometheus(const json_t *report);
/* JUnit XML: one testcase per check (per CA per store for an audit). */
char *ats_report_junit(const json_t *report);
/* Nagios/Icinga plugin output: one status line, perfdata per certificate (days left). Sets
 * *exit_code to the plugin status: the report's verdict made worse by the day thresholds. */
char *ats_report_nagios(const json_t *report, const ats_render_opts *o, int *exit_code);

/* Parses a --format word; -1 when unknown. markdown and html apply to fleet summaries only. */
typedef enum {
	ATS_FMT_TEXT,
	ATS_FMT_JSON,
	ATS_FMT_PROMETHEUS,
	ATS_FMT_JUNIT,
	ATS_FMT_NAGIOS,
	ATS_FMT_MARKDOWN,
	ATS_FMT_HTML,
} ats_format;
int ats_format_parse(const char *s);
/* Renders report in fmt; NULL with err set when the format does not apply to this report. */
char *ats_report_render(const json_t *report, ats_format fmt, const ats_render_opts *o,
			ats_err *err);

#endif
