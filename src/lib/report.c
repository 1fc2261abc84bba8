#include "report.h"

#include "curl_lazy.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

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
	if (device_id)
		json_object_set_new(r, "device", json_string(device_id));
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

int ats_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return ATS_FMT_TEXT;
	if (strcmp(s, "json") == 0)
		return ATS_FMT_JSON;
	return -1;
}

char *ats_report_render(const json_t *r, ats_format fmt, const ats_render_opts *o, ats_err *err)
{
	char *s = NULL;
	switch (fmt) {
	case ATS_FMT_TEXT: s = ats_report_text(r, o); break;
	case ATS_FMT_JSON: s = ats_report_json(r); break;
	default:
		ats_err_set(err, ATS_EUSAGE, "this output format is not available for this command");
		return NULL;
	}
	if (!s)
		ats_err_set(err, ATS_ENOMEM, "out of memory rendering the report");
	return s;
}
