#include "cli.h"

#include "base/curl_lazy.h"

#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: atscheck audit [--bundle FILE]... [--capath DIR]... [--sdk-config FILE]...\n"
	"                      [--warn-days N] [--root DIR] [--at TIME] [--format FMT] [--output FILE]\n\n"
	"Checks trust stores for the four Amazon Root CAs and the two Starfield cross-signers, by\n"
	"SHA-256 of the certificate and of its public key, never by name alone. With no --bundle and\n"
	"no --capath, audits the stores this device really uses: OpenSSL's defaults (and\n"
	"SSL_CERT_FILE / SSL_CERT_DIR), libcurl's CA file and path, an AVS Device SDK config's, and\n"
	"Debian's selection in /etc/ca-certificates.conf.\n\n"
	"  --bundle FILE      a CA bundle: PEM, DER or PKCS#7 (repeatable)\n"
	"  --capath DIR       a hashed CA directory such as /etc/ssl/certs (repeatable)\n"
	"  --sdk-config FILE  AlexaClientSDKConfig.json, repeatable (merged in order, as the SDK does):\n"
	"                     audit what its libcurl trusts (CA file + CURLOPT_CAPATH)\n"
	"  --warn-days N      warn when a CA expires within N days (default 365)\n"
	"  --libcurl FILE     take libcurl's CA file and path from this libcurl, not the system's\n" CLI_COMMON_HELP
	"\nStatuses: present, variant, impostor, expired, not-yet-valid, deselected, missing.\n"
	"Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

enum { OPT_WARN = CLI_OPT_FIRST_OWN, OPT_LIBCURL };

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		CLI_STORE_LONGOPTS,
		{"warn-days", required_argument, NULL, OPT_WARN},
		{"libcurl", required_argument, NULL, OPT_LIBCURL},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	cli_stores st;
	ats_store_opts so = {0};
	ats_audit_opts ao = {.warn_days = 365};
	ats_store_list *stores = NULL;
	json_t *report = NULL;
	ats_err err = {0};
	int rc = ATS_VERDICT_UNKNOWN, opt;

	cli_common_init(&c);
	if (cli_stores_init(&st, argc) != 0)
		goto out;
	optind = 1;
	while ((opt = cli_getopt(&c, &st, argc, argv, "", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			goto out;
		switch (opt) {
		case CLI_OPT_HELP:
			fputs(usage, stdout);
			rc = 0;
			goto out;
		case OPT_WARN:
			if (cli_days("--warn-days", optarg, &ao.warn_days) != 0)
				goto out;
			break;
		case OPT_LIBCURL:
			if (ats_curl_use(optarg, &err) != 0) {
				rc = cli_fail("--libcurl %s", err.msg);
				goto out;
			}
			break;
		default:
			rc = cli_usage_error("audit");
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_fail("audit: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	so.root = c.root;
	so.bundles = st.bundles;
	so.capaths = st.capaths;
	so.sdk_configs = st.sdk_configs;
	so.use_env = c.root == NULL;
	ao.at = c.at;
	ao.root = c.root;
	if (ats_store_list_load(&so, &stores, &err) != 0 ||
	    ats_audit_run(stores, &ao, &report, &err) != 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	rc = cli_emit(report, &c);
out:
	ats_store_list_free(stores);
	cli_stores_free(&st);
	return rc;
}
