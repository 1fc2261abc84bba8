/* base/redact: a URL's password shown as ***, with and without a scheme, in a URL and in free
 * text; truncation never leaves a piece of the password; secret config keys by name. */
#include "base/redact.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void url_is(const char *in, const char *want)
{
	char out[128];
	cr_assert_str_eq(ats_redact_url(in, out, sizeof(out)), want, "%s", in);
}

Test(redact, url)
{
	url_is("http://fielduser:PASSWORD@proxy:3128", "http://fielduser:***@proxy:3128");
	url_is("fielduser:PASSWORD@proxy:3128", "fielduser:***@proxy:3128");
	url_is("https://u:p%40ss@h/path?q=1", "https://u:***@h/path?q=1");
	url_is("http://u:p@ss@proxy:3128", "http://u:***@proxy:3128"); /* raw '@' in the password */
	url_is("http://fielduser@proxy:3128", "http://fielduser@proxy:3128"); /* no password */
	url_is("http://proxy:3128", "http://proxy:3128");
	url_is("https://localhost:8443/", "https://localhost:8443/");
	url_is("http://u:@proxy", "http://u:***@proxy");
	url_is("", "");
	char out[8];
	cr_assert_str_eq(ats_redact_url(NULL, out, sizeof(out)), "");
}

Test(redact, url_truncated_never_shows_the_password)
{
	char out[20];
	ats_redact_url("http://user:SECRETSECRETSECRET@a-long-proxy-name:3128", out, sizeof(out));
	cr_assert_null(strstr(out, "SECRET"), "%s", out);
	cr_assert_str_eq(out, "http://user:");
}

static void text_is(const char *in, const char *want)
{
	char *s = ats_redact_text(in);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, want, "%s", in);
	free(s);
}

Test(redact, text)
{
	text_is("the proxy http://fielduser:PW@proxy:3128 refused (CONNECT 407)",
		"the proxy http://fielduser:***@proxy:3128 refused (CONNECT 407)");
	text_is("{\"url\": \"http://a:b@c\", \"x\": \"d:e@f\"}", "{\"url\": \"http://a:***@c\", \"x\": \"d:***@f\"}");
	text_is("'label (u:p@h)'=3;30:;7:;0;", "'label (u:***@h)'=3;30:;7:;0;");
	text_is("mail me: admin@example.com", "mail me: admin@example.com");
	text_is("already http://u:***@h", "already http://u:***@h");
	text_is("x:1@a y:2@b z:3@c", "x:***@a y:***@b z:***@c");
	text_is("", "");
	text_is("pkcs11:token=DAK;object=dak?pin-value=1", "pkcs11:token=DAK;object=dak?pin-value=***");
	text_is("'pkcs11:object=k?pin-value=123456&module-path=/x' and pin-value=9",
		"'pkcs11:object=k?pin-value=***&module-path=/x' and pin-value=***");
	text_is("pin-value=*** u:***@h", "pin-value=*** u:***@h");
	cr_assert_null(ats_redact_text(NULL));
}

Test(redact, secret_keys)
{
	const char *yes[] = {"clientSecret", "refreshToken", "deviceToken", "accessToken", "CLIENTSECRET",
			     "keystorePassword", "pin-value", "dakPin"};
	const char *no[] = {"clientId", "productId", "deviceSerialNumber", "CURLOPT_CAPATH",
			    "avsGateway", "endpoint", "token_endpoint_url", ""};
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		cr_assert(ats_secret_key(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		cr_assert(!ats_secret_key(no[i]), "%s", no[i]);
	cr_assert(!ats_secret_key(NULL));
}

Test(redact, parse_error)
{
	char out[64];
	cr_assert_str_eq(ats_redact_parse_error("invalid token near 'sdk-Secret'", out, sizeof(out)),
			 "invalid token");
	cr_assert_str_eq(ats_redact_parse_error("'}' expected near '\"x'", out, sizeof(out)), "'}' expected");
	cr_assert_str_eq(ats_redact_parse_error("unable to open", out, sizeof(out)), "unable to open");
}

Test(redact, json_tree)
{
	json_t *r = json_pack("{s:s, s:{s:s, s:s, s:b}, s:[s, {s:s}]}", "proxy", "http://u:pw1@p:3128",
			      "authDelegate", "clientSecret", "pw2", "clientId", "amzn1.x", "deviceToken",
			      0, "list", "a:pw3@h", "refreshToken", "pw4");
	cr_assert_not_null(r);
	ats_redact_json(r);
	char *s = json_dumps(r, JSON_SORT_KEYS);
	cr_assert_str_eq(s, "{\"authDelegate\": {\"clientId\": \"amzn1.x\", \"clientSecret\": \"***\", "
			    "\"deviceToken\": false}, \"list\": [\"a:***@h\", {\"refreshToken\": \"***\"}], "
			    "\"proxy\": \"http://u:***@p:3128\"}");
	free(s);
	json_decref(r);
	ats_redact_json(NULL);
}
