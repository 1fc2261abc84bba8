#include "report/report.h"

#include "base/curl_lazy.h"
#include "report/report_merge.h"
#include "base/util.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ATS_SCHEMA_VERSION 1

void ats_report_stamp(json_t *r, const char *device_id)
{
	json_t *tool = json_pack("{s:s, s:s}", "atscheck", ATS_VERSION, "openssl",
				 OpenSSL_version(OPENSSL_VERSION));
	/* libcurl's facts only when this run used libcurl: an audit of a given bundle does not,
	 * and loading it just to name its version would double that audit's cost. */
	if (ats_curl_loaded()) {
		const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
		json_object_set_new(tool, "libcurl", json_string(cv->version));
		json_object_set_new(tool, "libcurl_http2",
				    json_boolean((cv->features & CURL_VERSION_HTTP2) != 0));
	}
	json_object_set_new(r, "schema_version", json_integer(ATS_SCHEMA_VERSION));
	json_object_set_new(r, "tool", tool);
	char clean[1024];
	if (device_id)
		json_object_set_new(r, "device", json_string(ats_utf8_clean(device_id, clean, sizeof(clean))));
	/* The machine id tells apart devices that keep a default host name (report merge uses it). */
	char mid[64] = "";
	FILE *f = fopen("/etc/machine-id", "re");
	if (f) {
		if (fgets(mid, sizeof(mid), f))
			mid[strcspn(mid, " \r\n")] = '\0';
		fclose(f);
	}
	if (strlen(mid) == 32 && strspn(mid, "0123456789abcdef") == 32)
		json_object_set_new(r, "machine_id", json_string(mid));
}

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
			ats_err_set(err, ATS_EUSAGE, "--format %s is for fleet summaries (atscheck report "
				    "merge); use text, json, prometheus, junit or nagios",
				    format_names[fmt]);
			return NULL;
		}
		s = fmt == ATS_FMT_HTML ? ats_merge_html(r) : ats_merge_markdown(r);
		break;
	default:
		ats_err_set(err, ATS_EUSAGE, "this output format is not available for this command");
		return NULL;
	}
	if (!s)
		ats_err_set(err, ATS_ENOMEM, "out of memory rendering the report");
	return s;
}

const char *ats_json_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

time_t ats_report_at(const json_t *r)
{
	time_t t;
	const json_t *at = json_object_get(r, "at");
	if (json_is_integer(at))
		return (time_t)json_integer_value(at);
	if (!json_is_string(at) || ats_time_parse(json_string_value(at), 0, &t, NULL) != 0)
		return (time_t)-1;
	return t;
}

ats_verdict ats_status_verdict(const char *s)
{
	if (!strcasecmp(s, "pass") || !strcasecmp(s, "ok") || !strcasecmp(s, "passed"))
		return ATS_VERDICT_OK;
	if (!strcasecmp(s, "warn") || !strcasecmp(s, "warning"))
		return ATS_VERDICT_WARNING;
	if (!strcasecmp(s, "fail") || !strcasecmp(s, "critical") || !strcasecmp(s, "failed"))
		return ATS_VERDICT_CRITICAL;
	return ATS_VERDICT_UNKNOWN;
}
