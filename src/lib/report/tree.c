#include "report/tree.h"

#include "base/curl_lazy.h"
#include "base/util.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

#define ATS_SCHEMA_VERSION 1

void ats_report_open(json_t *r)
{
	json_object_set_new(r, "verdict", json_string(ats_verdict_name(ATS_VERDICT_UNKNOWN)));
	json_object_set_new(r, "exit_code", json_integer(ATS_VERDICT_UNKNOWN));
}

json_t *ats_report_new(const char *command)
{
	json_t *r = json_pack("{s:s}", "command", command);
	if (r)
		ats_report_open(r);
	return r;
}

void ats_report_close(json_t *r, ats_verdict v, json_t *problems)
{
	/* An existing key keeps its place (jansson replaces in place), so a report opened early
	 * keeps its verdict beside its command. */
	json_object_set_new(r, "verdict", json_string(ats_verdict_name(v)));
	json_object_set_new(r, "exit_code", json_integer(v));
	if (problems)
		json_object_set_new(r, "problems", problems);
}

json_t *ats_report_problem(json_t *problems, ats_verdict sev, const char *store, const char *ca,
			   const char *message, const char *fix)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "severity", ats_verdict_name(sev), "message", message,
			      "fix", fix ? fix : "");
	if (!p)
		return NULL;
	if (store)
		json_object_set_new(p, "store", json_string(store));
	if (ca)
		json_object_set_new(p, "ca", json_string(ca));
	if (json_array_append_new(problems, p) != 0)
		return NULL;
	return p;
}

void ats_report_problem_cause(json_t *problems, const char *cause, ats_verdict sev,
			      const char *store, const char *ca, const char *message, const char *fix)
{
	json_t *p = ats_report_problem(problems, sev, store, ca, message, fix);
	if (p)
		json_object_set_new(p, "cause", json_string(cause));
}

ats_verdict ats_report_worst(const json_t *problems, ats_verdict v)
{
	size_t i;
	const json_t *p;
	json_array_foreach(problems, i, p)
		v = ats_verdict_worst(v, ats_status_verdict(ats_json_str(p, "severity")));
	return v;
}

void ats_report_stamp(json_t *r, const char *device_id, const char *machine_id)
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
	if (machine_id && strlen(machine_id) == 32 && strspn(machine_id, "0123456789abcdef") == 32)
		json_object_set_new(r, "machine_id", json_string(machine_id));
}

const char *ats_json_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

long long ats_json_int(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
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
