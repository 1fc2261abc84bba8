/* The AVS Device SDK config as the SDK reads it: comments stripped (kept out of strings, lines
 * kept), files merged object by object, the Auto SDK's nested form, and what is taken from it. */
#include "base/redact.h"
#include "store/sdk_config.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each case: commented JSON in, the JSON jansson must see after stripping (NULL: an error on
 * line `line`). */
static const struct {
	const char *in, *out;
	int line;
} strip_cases[] = {
	{"{\"a\": 1} // end", "{\"a\":1}", 0},
	{"// first\n{\"a\": /* mid */ 1}", "{\"a\":1}", 0},
	{" {\n  // The Client Secret\n  \"clientSecret\":\"x\"\n }\n// trailing notes\n", "{\"clientSecret\":\"x\"}", 0},
	{"{\"u\": \"https://alexa.na.gateway.devices.a2z.com\"}", "{\"u\":\"https://alexa.na.gateway.devices.a2z.com\"}", 0},
	{"{\"s\": \"/* not a comment */\"}", "{\"s\":\"/* not a comment */\"}", 0},
	{"{\"s\": \"a \\\" // still a string\"}", "{\"s\":\"a \\\" // still a string\"}", 0},
	{"{\"s\": \"ends in backslash \\\\\" // comment\n}", "{\"s\":\"ends in backslash \\\\\"}", 0},
	{"{\"a\": 1 /* a\n multi-line\n comment */, \"b\": 2}", "{\"a\":1,\"b\":2}", 0},
	{"{\"a\": /**/ 1 /***/}", "{\"a\":1}", 0},
	{"{\"a\": 1}\n/* never\nends", NULL, 2},
	{"{\n\n\"a\": /* open", NULL, 3},
	{"{\"a\": 1 / 2}", NULL, 1},
	{"{\"a\": 1,\n\n\"b\": }", NULL, 3},
	{"{\"a\": 1}\n// only a comment after\n\n{\"b\": 2}", NULL, 4},
	{"[1, 2]", NULL, 0},
	{"{\"x\": 1,\n \"x\": 2}", NULL, 2},
};

Test(sdk_config, strip_table)
{
	for (size_t i = 0; i < sizeof(strip_cases) / sizeof(strip_cases[0]); i++) {
		json_t *j = NULL;
		int line = -1;
		ats_err err = {0};
		const char *in = strip_cases[i].in;
		int rc = ats_jsonc_parse(in, strlen(in), "case.json", &j, &line, &err);
		if (strip_cases[i].out) {
			cr_assert_eq(rc, 0, "case %zu: %s", i, err.msg);
			char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
			cr_assert_str_eq(got, strip_cases[i].out, "case %zu", i);
			free(got);
			json_decref(j);
		} else {
			cr_assert_eq(rc, ATS_EPARSE, "case %zu should fail", i);
			cr_assert_null(j);
			cr_assert(strstr(err.msg, "case.json") != NULL, "case %zu: %s", i, err.msg);
			if (strip_cases[i].line) {
				char want[32];
				snprintf(want, sizeof(want), "line %d", strip_cases[i].line);
				cr_assert_eq(line, strip_cases[i].line, "case %zu: line %d", i, line);
				cr_assert(strstr(err.msg, want) != NULL, "case %zu: %s", i, err.msg);
			}
		}
	}
}

Test(sdk_config, strip_keeps_length_and_newlines)
{
	char t[] = "{ // c\n /* a\nb */ \"k\": \"v//\" }";
	size_t n = strlen(t);
	cr_assert_eq(ats_jsonc_strip(t, n, "t", NULL, NULL), 0);
	cr_assert_eq(strlen(t), n);
	cr_assert_str_eq(t, "{     \n     \n     \"k\": \"v//\" }");
}

Test(sdk_config, parse_error_never_quotes_the_text)
{
	const char *in = "{\"clientSecret\": hunter2secret}";
	json_t *j = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_jsonc_parse(in, strlen(in), "c.json", &j, NULL, &err), ATS_EPARSE);
	cr_assert(strstr(err.msg, "hunter2") == NULL, "%s", err.msg);
}

Test(sdk_config, merge_object_by_object)
{
	json_t *out = json_loads("{\"a\": {\"x\": 1, \"y\": {\"p\": 1}}, \"b\": 1, \"c\": {\"k\": 1}}", 0, NULL);
	json_t *in = json_loads("{\"a\": {\"y\": {\"q\": 2}, \"z\": 3}, \"b\": {\"now\": \"object\"}, \"c\": 5, \"d\": [1]}", 0, NULL);
	cr_assert_eq(ats_sdk_merge(out, in), 0);
	char *got = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(got, "{\"a\":{\"x\":1,\"y\":{\"p\":1,\"q\":2},\"z\":3},\"b\":{\"now\":\"object\"},\"c\":5,\"d\":[1]}");
	free(got);
	/* What was merged in is a copy: changing the source later changes nothing. */
	json_object_set_new(json_object_get(in, "a"), "z", json_integer(9));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "a"), "z")), 3);
	json_decref(out);
	json_decref(in);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/atscheck-sdk-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static ats_sdk_config *load(const char **texts, size_t n, char **paths)
{
	const char *files[8] = {0};
	ats_sdk_config *c = NULL;
	ats_err err = {0};
	for (size_t i = 0; i < n; i++)
		files[i] = paths[i] = write_tmp(texts[i]);
	cr_assert_eq(ats_sdk_config_load(NULL, files, &c, &err), 0, "%s", err.msg);
	return c;
}

static void unload(ats_sdk_config *c, char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	ats_sdk_config_free(c);
}

Test(sdk_config, later_file_wins_and_is_named)
{
	const char *t[] = {
		"{\"libcurlUtils\": {\"CURLOPT_CAPATH\": \"/first\", \"CURLOPT_INTERFACE\": \"eth0\"},\n"
		" \"avsGatewayManager\": {\"avsGateway\": \"https://alexa.eu.gateway.devices.a2z.com\"}}",
		"// second\n{\"libcurlUtils\": {\"CURLOPT_CAPATH\": \"/second\"}}",
		"{\"deviceInfo\": {\"clientId\": \"x\"}}"};
	char *p[3];
	ats_sdk_config *c = load(t, 3, p);
	cr_assert_str_eq(c->capath, "/second");
	cr_assert_str_eq(c->capath_file, p[1]);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(c->merged, "libcurlUtils"),
							   "CURLOPT_INTERFACE")), "eth0");
	cr_assert_str_eq(c->gateway, "https://alexa.eu.gateway.devices.a2z.com");
	cr_assert_str_eq(c->gateway_key, "avsGatewayManager.avsGateway");
	cr_assert_str_eq(c->gateway_file, p[0]);
	cr_assert_eq(json_array_size(c->problems), 0);
	cr_assert(!c->auto_sdk);
	unload(c, p, 3);
}

Test(sdk_config, auto_sdk_nested_form)
{
	const char *t[] = {"{\"aace.alexa\": {\"avsDeviceSDK\": {\n"
			   "  // as the Auto SDK nests it\n"
			   "  \"libcurlUtils\": {\"CURLOPT_CAPATH\": \"/nested\", \"verifyHostsAndPeers\": false},\n"
			   "  \"sampleApp\": {\"endpoint\": \"https://avs-alexa-eu.amazon.com\"}}},\n"
			   " \"libcurlUtils\": {\"CURLOPT_CAPATH\": \"/ignored-top-level\"}}"};
	char *p[1];
	ats_sdk_config *c = load(t, 1, p);
	cr_assert(c->auto_sdk);
	cr_assert_str_eq(c->capath, "/nested");
	cr_assert(c->verify_off);
	cr_assert_str_eq(c->verify_file, p[0]);
	cr_assert_str_eq(c->gateway_key, "sampleApp.endpoint");
	cr_assert_str_eq(c->gateway, "https://avs-alexa-eu.amazon.com");
	unload(c, p, 1);
}

Test(sdk_config, defaults_without_settings)
{
	const char *t[] = {"{\"deviceInfo\": {}, \"avsGatewayManager\": {\"avsGateway\": \"\"}}"};
	char *p[1];
	ats_sdk_config *c = load(t, 1, p);
	cr_assert(!c->libcurl_utils);
	cr_assert_null(c->capath);
	cr_assert(!c->verify_off);
	cr_assert_str_eq(c->gateway, ATS_SDK_DEFAULT_GATEWAY);
	cr_assert_str_eq(c->gateway_key, "default");
	cr_assert_eq(json_array_size(c->problems), 0);
	unload(c, p, 1);
}

Test(sdk_config, bad_values_are_problems_naming_file_and_key)
{
	const char *t[] = {"{\"avsGatewayManager\": {\"avsGateway\": \"http://alexa.na.gateway.devices.a2z.com\"},\n"
			   " \"libcurlUtils\": {\"CURLOPT_CAPATH\": 7}}",
			   "{ /* broken */ \"x\": ",
			   "{\"libcurlUtils\": {\"CURLOPT_CAINFO\": \"/etc/ca.pem\"}}"};
	char *p[3];
	ats_sdk_config *c = load(t, 3, p);
	int unknown = 0, warning = 0;
	size_t i;
	json_t *pr;
	cr_assert(c->gateway_bad);
	cr_assert_null(c->capath);
	json_array_foreach(c->problems, i, pr) {
		const char *sev = json_string_value(json_object_get(pr, "severity"));
		const char *msg = json_string_value(json_object_get(pr, "message"));
		cr_assert(strstr(msg, "/tmp/atscheck-sdk-") != NULL, "%s", msg);
		unknown += strcmp(sev, "UNKNOWN") == 0;
		warning += strcmp(sev, "WARNING") == 0;
		if (strstr(msg, "avsGateway"))
			cr_assert(strstr(msg, "https") != NULL, "%s", msg);
	}
	cr_assert_eq(unknown, 3, "gateway, CAPATH and the broken file");
	cr_assert_eq(warning, 1, "CURLOPT_CAINFO is not read by the SDK");
	unload(c, p, 3);
}

Test(sdk_config, usage_bounds)
{
	const char *none[] = {NULL};
	const char *many[ATS_SDK_MAX_FILES + 2];
	ats_sdk_config *c = NULL;
	ats_err err = {0};
	for (int i = 0; i < ATS_SDK_MAX_FILES + 1; i++)
		many[i] = "/nonexistent.json";
	many[ATS_SDK_MAX_FILES + 1] = NULL;
	cr_assert_eq(ats_sdk_config_load(NULL, none, &c, &err), ATS_EUSAGE);
	cr_assert_eq(ats_sdk_config_load(NULL, many, &c, &err), ATS_EUSAGE);
	cr_assert_null(c);
}

Test(sdk_config, gateway_urls)
{
	static const struct {
		const char *url;
		bool ok;
	} cases[] = {
		{"https://alexa.na.gateway.devices.a2z.com", true},
		{"https://127.0.0.1:8443", true},
		{"https://[::1]:8443/", true},
		{"HTTPS://avs-alexa-na.amazon.com/v20160207", true},
		{"http://alexa.na.gateway.devices.a2z.com", false},
		{"alexa.na.gateway.devices.a2z.com", false},
		{"https://", false},
		{"https://host:0", false},
		{"https://host:99999", false},
		{"https://ho st", false},
		{"https://[::1", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		cr_assert_eq(ats_sdk_gateway_valid(cases[i].url, &why), cases[i].ok, "%s", cases[i].url);
		if (!cases[i].ok)
			cr_assert_not_null(why);
	}
}

Test(redact, keys_urls_and_trees)
{
	/* The keys an SDK config holds its secrets in; the ones the trust reading needs stay. */
	cr_assert(ats_secret_key("clientSecret"));
	cr_assert(ats_secret_key("refreshToken"));
	cr_assert(ats_secret_key("LWA_access_token"));
	cr_assert(!ats_secret_key("productId"));
	cr_assert(!ats_secret_key("CURLOPT_CAPATH"));
	cr_assert(!ats_secret_key("avsGateway"));
	char out[128];
	cr_assert_str_eq(ats_redact_url("https://user:pw@host:1/path", out, sizeof(out)),
			 "https://user:" ATS_REDACTED "@host:1/path");
	ats_redact_url("https://host/a@b", out, sizeof(out));
	cr_assert_str_eq(out, "https://host/a@b");
	json_t *j = json_loads("{\"authDelegate\": {\"clientSecret\": \"s3\", \"refreshToken\": \"r3\"},"
			       " \"deviceInfo\": {\"productId\": \"p\"}, \"list\": [{\"accessToken\": 1}]}", 0, NULL);
	json_t *r = json_deep_copy(j); /* redacted in place: the original stays as read */
	ats_redact_json(r);
	char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert(strstr(s, "s3") == NULL && strstr(s, "r3") == NULL, "%s", s);
	cr_assert(strstr(s, "\"productId\":\"p\"") != NULL, "%s", s);
	cr_assert(strstr(s, "\"accessToken\":\"" ATS_REDACTED "\"") != NULL, "%s", s);
	free(s);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "authDelegate"), "clientSecret")), "s3");
	json_decref(r);
	json_decref(j);
}
