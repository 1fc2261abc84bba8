#include "report/report.h"

#include "base/redact.h"
#include "report/report_merge.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ats_report_json(const json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	return t;
}

static const char *const format_names[] = {
	[ATS_FMT_TEXT] = "text",	 [ATS_FMT_JSON] = "json",	  [ATS_FMT_PROMETHEUS] = "prometheus",
	[ATS_FMT_JUNIT] = "junit",	 [ATS_FMT_NAGIOS] = "nagios", [ATS_FMT_MARKDOWN] = "markdown",
	[ATS_FMT_HTML] = "html",
};

int ats_format_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcmp(s, format_names[i]) == 0)
			return (int)i;
	return -1;
}

char *ats_report_render(const json_t *r, ats_format fmt, const ats_render_opts *o, ats_err *err)
{
	static const ats_render_opts none = {0};
	bool fleet = strcmp(ats_json_str(r, "command"), "merge") == 0;
	char *s = NULL;
	int code;
	if (!o)
		o = &none;
	switch (fmt) {
	case ATS_FMT_TEXT: s = ats_report_text(r, o); break;
	case ATS_FMT_JSON: s = ats_report_json(r); break;
	case ATS_FMT_PROMETHEUS: s = ats_report_prometheus(r); break;
	case ATS_FMT_JUNIT: s = ats_report_junit(r); break;
	case ATS_FMT_NAGIOS: s = ats_report_nagios(r, o, &code); break;
	case ATS_FMT_MARKDOWN:
	case ATS_FMT_HTML:
		if (!fleet) {
			ats_err_set(err, ATS_EUSAGE, "format %s is for fleet summaries (atscheck report "
				    "merge); a %s report renders as text, json, prometheus, junit or nagios",
				    format_names[fmt], ats_json_str(r, "command"));
			return NULL;
		}
		s = fmt == ATS_FMT_HTML ? ats_merge_html(r) : ats_merge_markdown(r);
		break;
	default:
		ats_err_set(err, ATS_EUSAGE, "this output format is not available for this command");
		return NULL;
	}
	/* Whatever a fact or a saved report holds, no password leaves in any format (the probe
	 * redacts at the source; this is for reports written before it did, and for free text). */
	char *shown = ats_redact_text(s);
	free(s);
	if (!shown)
		ats_err_set(err, ATS_ENOMEM, "out of memory rendering the report");
	return shown;
}
