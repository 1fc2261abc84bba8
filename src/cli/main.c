/* atscheck: will this device trust Amazon Trust Services, reach AVS over HTTP/2, and present a
 * valid device certificate? */
#include "cli.h"

#include "base/curl_lazy.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static const cli_command commands[] = {
	{"check", cmd_check, "the main job: audit + probe + diagnosis, one verdict (the default)"},
	{"audit", cmd_audit, "check the trust stores this device uses for the six ATS CAs"},
	{"install", cmd_install, "install the missing ATS CAs the way this platform expects"},
	{"bundle", cmd_bundle, "list or export the six CA certificates embedded in atscheck"},
	{"probe", cmd_probe, "connect to the ATS endpoint over HTTP/2 and HTTP/1.1; explain failures"},
	{"chain", cmd_chain, "verify a saved server chain against the trust stores, offline"},
	{"selftest", cmd_selftest, "prove this libcurl/OpenSSL can do the job, on loopback, offline"},
	{"serve", cmd_serve, "serve a look-alike of the ATS test endpoint (h2 and HTTP/1.1) for tests"},
	{"report", cmd_report, "merge device reports into a fleet summary; render a saved report"},
	{"dha", cmd_dha, "verify device (DHA) certificates; provision a batch of devices"},
	{"dak", cmd_dak, "make the Device Attestation Key and its CSR"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *usage(char *buf, size_t n)
{
	int k = snprintf(buf, n, "Usage: atscheck [COMMAND] [OPTIONS]\n\n"
				 "Checks that this device trusts Amazon Trust Services (ATS), can reach AVS over\n"
				 "HTTP/2, and holds a valid device certificate; fixes what it can.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS && k > 0 && (size_t)k < n; i++)
		k += snprintf(buf + k, n - (size_t)k, "  %-10s %s\n", commands[i].name,
			      commands[i].summary);
	if (k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "\nWith no command, atscheck runs '%s'.\n"
						 "'atscheck COMMAND --help' describes a command.\n\n"
						 "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL (a check failed), 3 UNKNOWN (could not run).\n",
			 commands[0].name);
	return buf;
}

static void version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	printf("atscheck %s\nOpenSSL %s\nlibcurl %s (%s, HTTP/2 %s%s%s)\n", ATS_VERSION,
	       OpenSSL_version(OPENSSL_VERSION) + strlen("OpenSSL "), cv->version,
	       cv->ssl_version ? cv->ssl_version : "no TLS",
	       (cv->features & CURL_VERSION_HTTP2) ? "yes" : "no",
	       cv->nghttp2_version ? ", nghttp2 " : "", cv->nghttp2_version ? cv->nghttp2_version : "");
}

int main(int argc, char **argv)
{
	char buf[4096];
	int rc; /* libcurl is loaded and initialised by the first command that uses it */
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		version();
		rc = 0;
	} else {
		/* No command (none, or an option first): the main job, with whatever options were given. */
		rc = cli_dispatch("", commands, NCOMMANDS, &commands[0], usage(buf, sizeof(buf)), argc,
				  argv);
	}
	if (ats_curl_loaded())
		curl_global_cleanup();
	return rc;
}
