#include "cli.h"

#include "audit/audit.h"

#include <openssl/crypto.h>
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

int cmd_audit(int argc, char **argv)
{
	cli_cmd cmd = {.name = "audit", .usage = usage};
	cli_stores st = {0};
	ats_audit_opts ao = {.warn_days = 365};
	cli_opt opts[] = {
		CLI_OPTS_STORES(&st),
		{.name = "warn-days", .kind = CLI_DAYS, .dest = &ao.warn_days},
		CLI_OPT_LIBCURL,
		{.name = NULL},
	};
	/* An audit reads certificates and hashes them: OpenSSL's configuration file (providers, TLS
	 * policy) says nothing about which CAs a store holds, and loading it is a third of an audit's
	 * peak memory. Said before OpenSSL's first use (it is settled once per process). */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	ats_store_opts so = {.root = cmd.c.root,
			     .bundles = st.bundles.v,
			     .capaths = st.capaths.v,
			     .sdk_configs = st.sdk_configs.v,
			     .use_env = cmd.c.root == NULL};
	ats_store_list *stores = NULL;
	ao.at = cmd.c.at;
	ao.root = cmd.c.root;
	rc = ats_store_list_load(&so, &stores, &cmd.err) != 0 ||
	     ats_audit_run(stores, &ao, &cmd.report, &cmd.err) != 0;
	ats_store_list_free(stores);
	return cli_end(&cmd, rc);
}
